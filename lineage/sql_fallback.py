"""Token-level helpers of ``lineage.sql`` for SQL that sqlglot cannot take whole.

``fallback_tables`` reads table-level lineage off sqlparse's tokens when a statement does not
parse; ``procedural_statements`` cuts the DML statements out of procedure bodies and blocks
(T-SQL, BigQuery scripting, PL/pgSQL, PL/SQL) so each can be parsed on its own.
"""

from __future__ import annotations

import re

import sqlparse
from sqlglot.dialects.dialect import Dialect
from sqlparse import tokens as T

_QUOTES = '`"[]'


def _clean(name: str) -> str:
    return ".".join(p.strip(_QUOTES) for p in name.split(".")).lower()


class _Tok:
    __slots__ = ("ttype", "value", "is_keyword", "normalized")

    def __init__(self, ttype: object, value: str) -> None:
        self.ttype = ttype
        self.value = value
        self.is_keyword = ttype in T.Keyword
        self.normalized = value.upper() if self.is_keyword else value


def fallback_tables(text: str) -> tuple[str, list[str], list[str]]:
    """(kind, reads, writes) from a keyword scan; good enough to keep table-level lineage."""
    # the lexer alone: sqlparse's grouping is slow and refuses very long statements
    try:
        toks = [
            _Tok(ttype, value)
            for ttype, value in sqlparse.lexer.tokenize(text)
            if ttype not in T.Whitespace and ttype not in T.Newline and ttype not in T.Comment
        ]
    except Exception:
        return "other", [], []
    if not toks:
        return "other", [], []
    words = [t.normalized.upper() if t.is_keyword else t.value for t in toks]
    first = words[0].upper()
    kind = {
        "INSERT": "insert",
        "MERGE": "merge",
        "UPDATE": "update",
        "DELETE": "delete",
        "DROP": "drop",
        "SELECT": "select",
        "WITH": "select",
    }.get(first, "other")
    if first == "WITH":
        # the statement after the CTEs decides the kind
        for w in words:
            if w in ("INSERT", "UPDATE", "MERGE", "DELETE"):
                kind = w.lower()
                break
    if first in ("CREATE", "REPLACE"):
        kind = "create_view" if "VIEW" in words[:8] else "create_table"
    if kind in ("delete", "drop") or first in ("TRUNCATE", "USE", "SET", "SHOW", "ALTER"):
        return kind, [], []
    ctes = set()
    for i, w in enumerate(words[:-2]):
        if w.upper() == "AS" and words[i + 1] == "(" and i > 0 and toks[i - 1].ttype in T.Name:
            ctes.add(_clean(toks[i - 1].value))
    reads: list[str] = []
    writes: list[str] = []

    aliases: dict[str, str] = {}

    def name_at(j: int) -> str | None:
        parts: list[str] = []
        want_name = True
        while j < len(toks):
            tok = toks[j]
            is_name = tok.ttype in T.Name or tok.ttype in T.Literal.String.Symbol
            if want_name and (is_name or (parts and tok.ttype in T.Keyword)):
                parts.append(tok.value)
                want_name = False
            elif not want_name and tok.value == ".":
                parts.append(".")
                want_name = True
            else:
                break
            j += 1
        name = "".join(parts).strip(".")
        if not name:
            return None
        # remember `tab [AS] alias` so `UPDATE alias ... FROM tab alias` finds its table
        if j < len(toks) and words[j] == "AS":
            j += 1
        if j < len(toks) and toks[j].ttype in T.Name:
            aliases[toks[j].value.lower()] = _clean(name)
        return _clean(name)

    created = False
    for i, w in enumerate(words):
        wu = w.upper() if isinstance(w, str) else w
        target = None
        if wu in ("FROM", "USING") or wu.endswith("JOIN"):
            target = reads
        elif wu == "INTO" or (wu == "UPDATE" and i == 0):
            target = writes
        elif wu == "OVERWRITE":
            j = i + 1
            if j < len(words) and words[j].upper() in ("TABLE", "DIRECTORY"):
                j += 1
            n = name_at(j)
            if n:
                writes.append(n)
            continue
        elif wu in ("TABLE", "VIEW") and kind.startswith("create") and not created:
            created = True
            j = i + 1
            while j < len(words) and words[j].upper() in ("IF", "NOT", "EXISTS"):
                j += 1
            n = name_at(j)
            if n:
                writes.append(n)
            continue
        if target is None:
            continue
        n = name_at(i + 1)
        if n and n not in ctes and n not in target:
            target.append(n)
    resolved = []
    for w in writes:
        real = aliases.get(w, w)
        if real != w and kind == "update" and real in reads:
            reads.remove(real)
        if real not in resolved:
            resolved.append(real)
    return kind, reads, resolved


# ---------------------------------------------------------------------- procedural bodies
_DML_START = {"INSERT", "UPDATE", "MERGE", "DELETE", "SELECT", "WITH", "CREATE", "DROP", "ALTER"}
_SET_OPS = {"UNION", "ALL", "EXCEPT", "INTERSECT", "MINUS", "DISTINCT"}
# Keywords that end a DML statement in a body written without semicolons.
_CONTROL = {
    "IF", "ELSE", "ELSIF", "ELSEIF", "WHILE", "LOOP", "DECLARE", "BEGIN", "EXEC", "EXECUTE",
    "RETURN", "COMMIT", "ROLLBACK", "PRINT", "RAISERROR", "THROW", "FETCH", "OPEN", "CLOSE",
    "EXIT", "CALL", "GO", "SET", "END",
}  # fmt: skip
_DOLLAR_BODY = re.compile(r"\s*DO\s+(\$\w*\$)(.*)\1", re.I | re.S)
_HEADER = re.compile(r"\s*CREATE\b", re.I)


def procedural_statements(text: str, dialect: str | None) -> list[tuple[str, int]]:
    """DML statements inside a script or block body, as (text, line relative to ``text``)."""
    line_offset = 0
    m = _DOLLAR_BODY.match(text)
    if m:
        line_offset = text.count("\n", 0, m.start(2))
        text = m.group(2)
    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(text)
    except Exception:
        return []
    start = 0
    if _HEADER.match(text):
        # skip `CREATE PROCEDURE name(params) [RETURNS ..]` up to the body's AS / IS / BEGIN
        depth = 0
        for i, tok in enumerate(tokens):
            up = tok.text.upper()
            if up == "(":
                depth += 1
            elif up == ")":
                depth -= 1
            elif depth == 0 and i > 1 and up in ("AS", "IS", "BEGIN"):
                start = i + 1 if up != "BEGIN" else i
                break
        else:
            return []
    out: list[tuple[str, int]] = []
    cur: int | None = None  # index of the current statement's first token
    cur_kw = ""
    need_query = False
    last = None
    depth = 0
    case_depth = 0

    def close(end_index: int) -> None:
        nonlocal cur
        if cur is not None and end_index >= cur:
            a, b = tokens[cur].start, tokens[end_index].end
            out.append((text[a : b + 1], tokens[cur].line + line_offset))
        cur = None

    for i in range(start, len(tokens)):
        tok = tokens[i]
        up = tok.text.upper()
        prev = tokens[i - 1].text.upper() if i > start else ""
        if up == "(":
            depth += 1
        elif up == ")":
            depth = max(depth - 1, 0)
        if depth > 0 or up in ("(", ")"):
            last = i
            continue
        if up == "CASE":
            case_depth += 1
        elif up == "END" and case_depth:
            case_depth -= 1
            last = i
            continue
        if case_depth:
            last = i
            continue
        if up == ";":
            if cur is not None:
                close(last if last is not None else i - 1)
            continue
        nxt = tokens[i + 1].text if i + 1 < len(tokens) else ""
        if cur is not None:
            belongs = False
            if up in ("SELECT", "VALUES") and (prev in _SET_OPS or need_query):
                belongs = True
                need_query = False
            elif up in ("INSERT", "UPDATE", "DELETE", "MERGE", "SELECT") and cur_kw == "WITH":
                belongs = True
                cur_kw = up
                need_query = up == "INSERT"
            elif (
                (up in ("INSERT", "UPDATE", "DELETE") and cur_kw == "MERGE" and prev == "THEN")
                or (up == "SET" and cur_kw in ("UPDATE", "MERGE"))
                or (up == "WITH" and need_query)
            ):
                belongs = True
            if not belongs and (
                up in _DML_START or (up in _CONTROL and nxt != "(" and prev != "END")
            ):
                close(last if last is not None else i - 1)
            else:
                last = i
                continue
        if up in _DML_START:
            cur, cur_kw = i, up
            need_query = up in ("INSERT", "CREATE", "WITH")
        last = i
    if cur is not None:
        close(last if last is not None else len(tokens) - 1)
    return out
