"""Table-level lineage read off sqlparse's tokens, for a statement sqlglot cannot take whole
(a parse error, a timeout): good enough to keep which tables it reads and writes."""

from __future__ import annotations

import sqlparse
from sqlparse import tokens as T

from lineage.sql.result import StatementLineage, add_unique

_QUOTES = '`"[]'
_FIRST_WORD_KINDS = {
    "INSERT": "insert",
    "MERGE": "merge",
    "UPDATE": "update",
    "DELETE": "delete",
    "DROP": "drop",
    "SELECT": "select",
    "WITH": "select",
}
# Statements whose tables are not lineage.
_NO_LINEAGE = ("TRUNCATE", "USE", "SET", "SHOW", "ALTER")


def _clean(name: str) -> str:
    return ".".join(p.strip(_QUOTES) for p in name.split(".")).lower()


class _Tok:
    __slots__ = ("ttype", "value", "is_keyword", "normalized")

    def __init__(self, ttype: object, value: str) -> None:
        self.ttype = ttype
        self.value = value
        self.is_keyword = ttype in T.Keyword
        self.normalized = value.upper() if self.is_keyword else value


def _lex(text: str) -> list[_Tok] | None:
    # the lexer alone: sqlparse's grouping is slow and refuses very long statements
    try:
        return [
            _Tok(ttype, value)
            for ttype, value in sqlparse.lexer.tokenize(text)
            if ttype not in T.Whitespace and ttype not in T.Newline and ttype not in T.Comment
        ]
    except Exception:
        return None


def _kind(words: list[str]) -> str:
    first = words[0].upper()
    kind = _FIRST_WORD_KINDS.get(first, "other")
    if first == "WITH":
        # the statement after the CTEs decides the kind
        for w in words:
            if w in ("INSERT", "UPDATE", "MERGE", "DELETE"):
                kind = w.lower()
                break
    if first in ("CREATE", "REPLACE"):
        kind = "create_view" if "VIEW" in words[:8] else "create_table"
    return kind


class _Names:
    """Reads dotted names off the token list, remembering `tab [AS] alias` on the way."""

    def __init__(self, toks: list[_Tok], words: list[str]) -> None:
        self.toks = toks
        self.words = words
        self.aliases: dict[str, str] = {}

    def at(self, j: int) -> str | None:
        toks, words = self.toks, self.words
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
            self.aliases[toks[j].value.lower()] = _clean(name)
        return _clean(name)


def _cte_names(toks: list[_Tok], words: list[str]) -> set[str]:
    ctes = set()
    for i, w in enumerate(words[:-2]):
        if w.upper() == "AS" and words[i + 1] == "(" and i > 0 and toks[i - 1].ttype in T.Name:
            ctes.add(_clean(toks[i - 1].value))
    return ctes


def fallback_tables(text: str) -> tuple[str, list[str], list[str]]:
    """(kind, reads, writes) from a keyword scan; good enough to keep table-level lineage."""
    toks = _lex(text)
    if not toks:
        return "other", [], []
    words = [t.normalized.upper() if t.is_keyword else t.value for t in toks]
    kind = _kind(words)
    if kind in ("delete", "drop") or words[0].upper() in _NO_LINEAGE:
        return kind, [], []
    ctes = _cte_names(toks, words)
    names = _Names(toks, words)
    reads: list[str] = []
    writes: list[str] = []
    created = False
    for i, w in enumerate(words):
        wu = w.upper()
        target = None
        if wu in ("FROM", "USING") or wu.endswith("JOIN"):
            target = reads
        elif wu == "INTO" or (wu == "UPDATE" and i == 0):
            target = writes
        elif wu == "OVERWRITE":
            j = i + 1
            if j < len(words) and words[j].upper() in ("TABLE", "DIRECTORY"):
                j += 1
            n = names.at(j)
            if n:
                writes.append(n)
            continue
        elif wu in ("TABLE", "VIEW") and kind.startswith("create") and not created:
            created = True
            j = i + 1
            while j < len(words) and words[j].upper() in ("IF", "NOT", "EXISTS"):
                j += 1
            n = names.at(j)
            if n:
                writes.append(n)
            continue
        if target is None:
            continue
        n = names.at(i + 1)
        if n and n not in ctes and n not in target:
            target.append(n)
    return kind, reads, _real_writes(kind, reads, writes, names.aliases)


def _real_writes(
    kind: str, reads: list[str], writes: list[str], aliases: dict[str, str]
) -> list[str]:
    """Writes named by an alias (`UPDATE a ... FROM tab a`) become the table; an UPDATE's
    target is then no longer one of its reads."""
    resolved: list[str] = []
    for w in writes:
        real = aliases.get(w, w)
        if real != w and kind == "update" and real in reads:
            reads.remove(real)
        if real not in resolved:
            resolved.append(real)
    return resolved


_TEMP_WORDS = ("TEMP", "TEMPORARY")


def _lifecycle(text: str, kind: str, writes: list[str]) -> tuple[list[tuple[str, str]], bool]:
    """What a CREATE or DROP the parser could not read does to the script's tables, and
    whether the created table is a temp table, so it is collapsed like one."""
    toks = _lex(text)
    if not toks:
        return [], False
    words = [t.normalized.upper() if t.is_keyword else t.value.upper() for t in toks]
    if kind == "create_table" and writes:
        head = words[: words.index("TABLE")] if "TABLE" in words else []
        temp = any(w in _TEMP_WORDS for w in head) or writes[0].startswith("#")
        return [("create", writes[0])], temp
    if kind == "drop" and len(words) > 2 and words[1] in ("TABLE", "VIEW"):
        j = 2
        while j < len(words) and words[j] in ("IF", "EXISTS"):
            j += 1
        name = _Names(toks, words).at(j)
        return ([("drop", name)] if name else []), False
    return [], False


def apply_fallback(text: str, st: StatementLineage) -> None:
    """Add the token scan's tables to ``st`` (its kind too, unless already known)."""
    kind, reads, writes = fallback_tables(text)
    st.set_kind(kind)
    add_unique(st.reads, reads)
    add_unique(st.writes, writes)
    events, temp = _lifecycle(text, kind, writes)
    st.lifecycle.extend(events)
    if temp:
        st.temp_tables.add(writes[0])
