"""Cutting SQL into statements: a script into its statements (sqlparse's splitter), and a
procedure or block body (T-SQL, BigQuery scripting, PL/pgSQL, PL/SQL) into the DML
statements inside it, so that each can be parsed on its own."""

from __future__ import annotations

import re

import sqlparse
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import Token
from sqlparse import tokens as T

_LEADING_NOISE = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/|#[^\n]*(?:\n|$))*", re.S)

# A statement whose body holds statements: a procedure, a DO block, BEGIN ... END, DECLARE.
PROCEDURAL = re.compile(
    r"\s*(?:CREATE\s+(?:OR\s+(?:REPLACE|ALTER)\s+)?(?:DEFINER\s*=\s*\S+\s+)?"
    r"(?:PROCEDURE|PROC)\b|DO\s+\$|BEGIN\b(?!\s+(?:TRAN|TRANSACTION|WORK)\b)(?!\s*;)|DECLARE\b"
    r"(?=[\s\S]*\bBEGIN\b))",
    re.I,
)


def _one_statement(sql: str) -> bool:
    """sqlparse splits only at `;` and at the T-SQL batch word `GO`: without either (or with
    one `;` closing the text) the script is one statement, and lexing it can be skipped."""
    if "GO" in sql:
        return False
    n = sql.count(";")
    return n == 0 or (n == 1 and sql.rstrip().endswith(";"))


def split_statements(sql: str) -> list[tuple[str, int, int]]:
    """(text, line, column) of each statement, 1-based, from sqlparse's splitter."""
    out = []
    offset = 0
    if _one_statement(sql):
        raws: list[str] = [sql]
    else:
        raws = _sqlparse_split(sql)
    for raw in raws:
        start = offset
        offset += len(raw)
        m = _LEADING_NOISE.match(raw)
        skip = m.end() if m else 0
        body = raw[skip:].rstrip()
        if not body.strip().strip(";").strip():
            continue
        pos = start + skip
        line = sql.count("\n", 0, pos) + 1
        col = pos - (sql.rfind("\n", 0, pos) + 1) + 1
        out.append((body, line, col))
    return out


def _sqlparse_split(sql: str) -> list[str]:
    """sqlparse's statements, except that a `;` inside parentheses ends a statement too:
    sqlparse does not split inside parentheses, so one unclosed `(` would swallow the rest
    of the script (a `;` there is an error anyway: semicolons in code bodies are inside
    strings or BEGIN ... END, not parentheses)."""
    out: list[str] = []
    rest: str | None = sql
    while rest is not None:
        raws = [str(stmt) for stmt in sqlparse.engine.FilterStack(strip_semicolon=False).run(rest)]
        rest = None
        for i, raw in enumerate(raws):
            cut = _semicolon_in_parentheses(raw)
            if cut is None:
                out.append(raw)
                continue
            out.append(raw[:cut])
            rest = raw[cut:] + "".join(raws[i + 1 :])
            break
    return out


def _semicolon_in_parentheses(raw: str) -> int | None:
    """The offset just after the first `;` inside parentheses, if any."""
    if raw.count("(") <= raw.count(")"):
        return None
    offset = depth = 0
    for ttype, value in sqlparse.lexer.tokenize(raw):
        offset += len(value)
        if ttype not in T.Punctuation:
            continue
        if value == "(":
            depth += 1
        elif value == ")":
            depth = max(depth - 1, 0)
        elif value == ";" and depth > 0:
            return offset
    return None


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


def _body_start(tokens: list[Token]) -> int | None:
    """Index of the first body token after `CREATE PROCEDURE name(params) [RETURNS ..]`."""
    depth = 0
    for i, tok in enumerate(tokens):
        up = tok.text.upper()
        if up == "(":
            depth += 1
        elif up == ")":
            depth -= 1
        elif depth == 0 and i > 1 and up in ("AS", "IS", "BEGIN"):
            return i + 1 if up != "BEGIN" else i
    return None


def _continues(up: str, prev: str, keyword: str, need_query: bool) -> tuple[bool, str, bool]:
    """Whether the word ``up`` still belongs to the open statement (which started with
    ``keyword``), and the statement's updated (keyword, need_query)."""
    if up in ("SELECT", "VALUES") and (prev in _SET_OPS or need_query):
        return True, keyword, False
    if up in ("INSERT", "UPDATE", "DELETE", "MERGE", "SELECT") and keyword == "WITH":
        return True, up, up == "INSERT"
    if (
        (up in ("INSERT", "UPDATE", "DELETE") and keyword == "MERGE" and prev == "THEN")
        or (up == "SET" and keyword in ("UPDATE", "MERGE"))
        or (up == "WITH" and need_query)
    ):
        return True, keyword, need_query
    return False, keyword, need_query


def procedural_statements(text: str, dialect: str | None) -> list[tuple[str, int, int]]:
    """DML statements inside a script or block body, as (text, line, column), the line
    relative to ``text`` and the column within that line."""
    line_offset = 0
    m = _DOLLAR_BODY.match(text)
    if m:
        line_offset = text.count("\n", 0, m.start(2))
        text = m.group(2)
    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(text)
    except Exception:
        return []
    start: int | None = 0
    if _HEADER.match(text):
        start = _body_start(tokens)
        if start is None:
            return []
    out: list[tuple[str, int, int]] = []
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
            col = a - text.rfind("\n", 0, a)
            out.append((text[a : b + 1], tokens[cur].line + line_offset, col))
        cur = None

    for i in range(start, len(tokens)):
        up = tokens[i].text.upper()
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
            belongs, cur_kw, need_query = _continues(up, prev, cur_kw, need_query)
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
