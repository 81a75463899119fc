"""How a column feeds a value: the (type, subtype, masking) role of one column inside one
expression, and how roles compose along a path of intermediate columns (OpenLineage's
column-lineage facet)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

IDENTITY = "IDENTITY"
TRANSFORMATION = "TRANSFORMATION"
AGGREGATION = "AGGREGATION"
_DIRECT_RANK = {IDENTITY: 0, TRANSFORMATION: 1, AGGREGATION: 2}

# Functions whose output hides the input value; an edge through one is flagged as masking.
# Names are compared without underscores so SHA2_256 / sha2256 style spellings match.
MASKING_FUNCTIONS = frozenset(
    name.replace("_", "")
    for name in (
        "md5", "md5_hex", "md5_binary", "md5_number_lower64", "md5_number_upper64", "sha",
        "sha1", "sha1_hex", "sha1_binary", "sha2", "sha2_hex", "sha2_binary", "sha224",
        "sha256", "sha384", "sha512", "sha2_digest", "digest", "hash", "hashbytes", "hash_md5",
        "hash_sha256", "standard_hash", "ora_hash", "farm_fingerprint", "xxhash64", "xxhash",
        "murmur3", "crc32", "mask", "mask_hash", "mask_first_n", "mask_last_n", "mask_show_first_n",
        "mask_show_last_n", "redact", "tokenize", "encrypt", "aes_encrypt", "pgp_sym_encrypt",
        "anonymize", "pseudonymize",
    )
)  # fmt: skip

# A role is (type, subtype, masking): how one column feeds one output value.
Role = tuple[str, str, bool]
Sources = dict[str, set[Role]]


def func_name(node: exp.Expression) -> str:
    """Lower-cased function name, underscores removed (for masking look-ups)."""
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower().replace("_", "")
    return node.key.replace("_", "")


def compose(outer: Role, inner: Role) -> Role:
    """The role of a column seen through an intermediate column.

    An INDIRECT use anywhere on the path makes the whole path INDIRECT (the outermost
    indirect use wins); otherwise the strongest DIRECT subtype on the path wins.
    """
    masking = outer[2] or inner[2]
    if outer[0] == "INDIRECT":
        return ("INDIRECT", outer[1], masking)
    if inner[0] == "INDIRECT":
        return ("INDIRECT", inner[1], masking)
    sub = outer[1] if _DIRECT_RANK[outer[1]] >= _DIRECT_RANK[inner[1]] else inner[1]
    return ("DIRECT", sub, masking)


def role_in(node: exp.Expression, root: exp.Expression) -> Role:
    """How ``node`` (a column inside ``root``) feeds the value of ``root``."""
    if node is root:
        return ("DIRECT", IDENTITY, False)
    subtype = TRANSFORMATION
    indirect = None
    masking = False
    child, parent = node, node.parent
    while parent is not None and child is not root:
        key = child.arg_key
        if indirect is None:
            if isinstance(parent, exp.Window) and key in ("partition_by", "order"):
                indirect = "WINDOW"
            elif isinstance(parent, (exp.If, exp.Case)) and key == "this":
                indirect = "CONDITIONAL"
        if isinstance(parent, exp.AggFunc) and subtype != AGGREGATION:
            subtype = AGGREGATION
        if isinstance(parent, exp.Func) and func_name(parent) in MASKING_FUNCTIONS:
            masking = True
        child, parent = parent, parent.parent
    if indirect:
        return ("INDIRECT", indirect, masking)
    if subtype == TRANSFORMATION and _is_plain_rename(node, root):
        subtype = IDENTITY
    return ("DIRECT", subtype, masking)


def _is_plain_rename(node: exp.Expression, root: exp.Expression) -> bool:
    # `col AS alias` and `(col)` keep the value unchanged.
    parent = node.parent
    while parent is not None and isinstance(parent, (exp.Alias, exp.Paren)):
        if parent is root:
            return True
        parent = parent.parent
    return node is root


def iter_value_nodes(root: exp.Expression) -> Iterator[exp.Expression]:
    """Columns, stars and subqueries in ``root``, not descending into subqueries."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, (exp.Column, exp.Star)):
            yield node
            continue
        if isinstance(node, exp.Query) and node is not root:
            yield node
            continue
        if isinstance(node, exp.Subquery):
            yield node
            continue
        if isinstance(node, (exp.Lambda,)):
            # lambda parameters are not columns; their body may still reference columns
            stack.append(node.this)
            continue
        stack.extend(node.iter_expressions())
