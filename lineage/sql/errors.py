"""The ``error`` of a statement: a message for people, placed at a line and column.

sqlglot's messages name its own classes and token objects (`Required keyword: 'expression'
missing for <class 'sqlglot.expressions.core.GT'>`, `Expected table name but got <Token
token_type: TokenType.WHERE, ...>`); here they become `Incomplete expression: '>' needs a
value on each side at line 3, column 12` and `Expected table name but got WHERE at line 1,
column 15`. The position is where the offending token starts, in the whole script.
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot.errors import ParseError, TokenError

_TOKEN_REPR = re.compile(
    r"<Token token_type: TokenType\.(\w+), text: (.*?), line: \d+, col: \d+, start: \d+, "
    r"end: \d+, comments: \[.*?\]>",
    re.S,
)
_CLASS_REPR = re.compile(r"<class '(?:[\w.]+\.)?(\w+)'>")
_REQUIRED = re.compile(r"Required keyword: '(\w+)' missing for <class '(?:[\w.]+\.)?(\w+)'>")
_NO_CTE = re.compile(r"(\w+) does not support CTE")
_EXPECTING = re.compile(r"Expecting (\S+)$")
_MISSING_DELIMITER = re.compile(r"Missing (.+) from \d+:(\d+)")
_BAD_NUMBER = re.compile(r"Numeric string contains invalid characters from \d+:(\d+)")
_WORD = re.compile(r"[A-Za-z_][\w ]*")

# sqlglot's binary operator classes, by the SQL they stand for
_OPERATORS = {
    "GT": ">", "GTE": ">=", "LT": "<", "LTE": "<=", "EQ": "=", "NEQ": "<>", "NullSafeEQ": "<=>",
    "Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "IntDiv": "DIV", "Mod": "%", "DPipe": "||",
    "And": "AND", "Or": "OR", "Xor": "XOR", "Like": "LIKE", "ILike": "ILIKE", "Is": "IS",
    "BitwiseAnd": "&", "BitwiseOr": "|", "BitwiseXor": "^", "Glob": "GLOB", "Escape": "ESCAPE",
    "RegexpLike": "RLIKE", "Collate": "COLLATE", "PropertyEQ": ":=",
}  # fmt: skip
_NOUNS = {
    "Whens": "MERGE (no WHEN clause)", "TableAlias": "alias", "Tuple": "list",
    "Column": "column name", "Dot": "dotted name", "Table": "table name", "Identifier": "name",
    "Where": "WHERE clause", "Group": "GROUP BY", "Order": "ORDER BY", "Join": "JOIN",
}  # fmt: skip
_QUOTE_NAMES = {"'": "string", '"': "quoted name", "`": "quoted name", "]": "quoted name"}


def error_at(message: str, line: int, column: int) -> dict[str, Any]:
    return {"message": _readable(message), "line": line, "column": column}


def not_a_statement(word: str, line: int, column: int) -> dict[str, Any]:
    return error_at(
        f"{word!r} does not start a SQL statement (expected SELECT, INSERT, CREATE, ...)",
        line,
        column,
    )


def short(e: BaseException) -> str:
    msg = str(e).strip().splitlines()
    return f"{type(e).__name__}: {msg[0][:300]}" if msg else type(e).__name__


def internal_error(e: BaseException, line: int, column: int) -> dict[str, Any]:
    """A failure of the analysis itself (a bug), not of the SQL."""
    return error_at(f"Could not analyse this statement (internal error: {short(e)})", line, column)


def _place(text: str, offset: int, line0: int, col0: int) -> tuple[int, int]:
    """Script (line, column) of ``offset`` in a statement ``text`` starting at line0/col0."""
    offset = max(0, min(offset, len(text)))
    rel_line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line0 + rel_line - 1, col + (col0 - 1 if rel_line == 1 else 0)


def _words(token_text: str) -> str:
    """A token as a message shows it: keywords and names bare, anything else quoted."""
    text = re.sub(r"\s+", " ", token_text).strip()[:40]
    if not text:
        return "the end of the statement"
    if _WORD.fullmatch(text) or (len(text) > 1 and text[0] in "'\"`["):
        return text
    return f"'{text}'"


def _class_words(name: str) -> str:
    return _NOUNS.get(name) or re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).upper()


def _readable(message: str) -> str:
    """Whatever sqlglot object reprs are left in a message, in words."""
    message = _TOKEN_REPR.sub(
        lambda m: "the end of the statement" if m.group(1) == "SENTINEL" else _words(m.group(2)),
        message,
    )
    return _CLASS_REPR.sub(lambda m: _class_words(m.group(1)), message)


def _describe(description: str, highlight: str) -> str:
    """sqlglot's description of a parse error, told about the token it stopped at."""
    near = _words(highlight)
    if description.startswith("Invalid expression / Unexpected token"):
        return f"Unexpected {near}"
    m = _REQUIRED.match(description)
    if m:
        cls = m.group(2)
        if cls in _OPERATORS:
            # not "nothing after": when both sides are missing, sqlglot names either at random
            return f"Incomplete expression: '{_OPERATORS[cls]}' needs a value on each side"
        return f"Incomplete {_class_words(cls)} near {near}"
    m = _NO_CTE.match(description)
    if m:
        return f"WITH must be followed by a query or a statement, not {near}"
    m = _EXPECTING.match(description)
    if m:
        return f"Expected {_words(m.group(1))} near {near}"
    token = _TOKEN_REPR.search(description)
    if token:
        if token.group(1) == "SENTINEL":
            return f"{_readable(description)} (after {near})"
        return _readable(description)
    return f"{_readable(description.rstrip('.'))} near {near}"


def parse_error(e: ParseError, line0: int, col0: int) -> dict[str, Any]:
    """sqlglot's first error, placed in the script (``line0``/``col0``: where the text starts)."""
    errors = getattr(e, "errors", None) or []
    first = errors[0] if errors else {}
    rel_line = first.get("line") or 1
    highlight = first.get("highlight") or ""
    # sqlglot gives the column of the token's last character; point at its first
    col = first.get("col") or 1
    if highlight and "\n" not in highlight:
        col = max(col - len(highlight) + 1, 1)
    line, column = line0 + rel_line - 1, col + (col0 - 1 if rel_line == 1 else 0)
    desc = first.get("description") or (str(e).splitlines() or ["parse error"])[0]
    message = _describe(str(desc), highlight)[:300]
    return error_at(f"{message} at line {line}, column {column}", line, column)


def token_error(e: TokenError, text: str, line0: int, col0: int) -> dict[str, Any]:
    """The tokenizer's error: an unclosed quote or comment, a malformed number."""
    cause = str(e.__cause__ or "")
    m = _MISSING_DELIMITER.match(cause)
    if m:
        delimiter, offset = m.group(1), int(m.group(2))
        line, column = _place(text, offset, line0, col0)
        what = _QUOTE_NAMES.get(delimiter, "text")
        message = f"Unterminated {what} starting at line {line}, column {column}"
        return error_at(f"{message} (no closing {delimiter})", line, column)
    m = _BAD_NUMBER.match(cause)
    if m:
        line, column = _place(text, int(m.group(1)), line0, col0)
        return error_at(f"Invalid number at line {line}, column {column}", line, column)
    # the error's context snippet is 50 characters either side of where it stopped
    start, end = getattr(e, "start", None), getattr(e, "end", None)
    if start:
        offset = start + 50
    elif end is not None and end < len(text) - 1:
        offset = end - 50
    else:
        offset = 0
    line, column = _place(text, offset, line0, col0)
    return error_at(f"Cannot read the SQL text at line {line}, column {column}", line, column)
