"""The ``error`` of a statement: a message for people, with the line and column it is at."""

from __future__ import annotations

from typing import Any

from sqlglot.errors import ParseError


def error_at(message: str, line: int, column: int) -> dict[str, Any]:
    return {"message": message, "line": line, "column": column}


def not_a_statement(word: str, line: int, column: int) -> dict[str, Any]:
    return error_at(
        f"{word!r} does not start a SQL statement (expected SELECT, INSERT, CREATE, ...)",
        line,
        column,
    )


def short(e: BaseException) -> str:
    msg = str(e).strip().splitlines()
    return f"{type(e).__name__}: {msg[0][:300]}" if msg else type(e).__name__


def parse_error(e: ParseError, line0: int, col0: int) -> dict[str, Any]:
    """sqlglot's first error, placed in the script (``line0``/``col0``: where the text starts)."""
    errors = getattr(e, "errors", None) or []
    first = errors[0] if errors else {}
    rel_line = first.get("line") or 1
    col = first.get("col") or 1
    desc = first.get("description") or (str(e).splitlines() or ["parse error"])[0]
    return error_at(
        str(desc)[:300],
        line0 + rel_line - 1,
        col + (col0 - 1 if rel_line == 1 else 0),
    )
