"""The entry point: a script in, its ``LineageResult`` out, one statement at a time, each under
a time budget; what sqlglot cannot parse is retried (T-SQL batches, procedure bodies) or
reported and handed to the token-level fallback."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable

import sqlglot
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token

from lineage.sql.dialects import TSQL_LIKE, normalize_dialect, unknown_statement_word
from lineage.sql.errors import (
    error_at,
    internal_error,
    not_a_statement,
    parse_error,
    short,
    token_error,
)
from lineage.sql.fallback import apply_fallback
from lineage.sql.handlers import analyse_tree
from lineage.sql.result import KINDS, LineageResult, StatementLineage, merge_statement
from lineage.sql.session import SchemaStore, Session
from lineage.sql.splitting import PROCEDURAL, procedural_statements, split_statements
from lineage.sql.timeout import WATCHDOG, StatementTimeout

DEFAULT_TIMEOUT = 10.0

_COMPOUND = re.compile(r"([\w.\[\]@#]+)\s*([-+*/%&|^])=(?!=)\s*")


def analyse_text(session: Session, text: str, st: StatementLineage, col0: int) -> None:
    """Lineage of one statement of the script (``col0``: the column it starts at)."""
    dialect = Dialect.get_or_raise(session.dialect)
    try:  # tokenized once, for the first-word check and for the parser
        tokens: list[Token] | None = dialect.tokenize(text)
    except Exception:  # the parser reports what the tokenizer cannot read
        tokens = None
    unknown = unknown_statement_word(text, session.dialect, tokens)
    if unknown is not None:
        st.error = not_a_statement(unknown, st.line, col0)
        return
    if PROCEDURAL.match(text):
        _procedural(session, text, st, col0)
        return
    try:
        parsed = dialect.parse(text) if tokens is None else dialect.parser().parse(tokens, text)
        trees = [t for t in parsed if t is not None]
    except ParseError as e:
        if _try_without_semicolons(session, text, st):
            return
        if _try_compound_assignment(session, text, st):
            return
        st.error = parse_error(e, st.line, col0)
        apply_fallback(text, st)
        return
    except TokenError as e:
        st.error = token_error(e, text, st.line, col0)
        apply_fallback(text, st)
        return
    for tree in trees:
        analyse_tree(session, tree, st, text)


def _try_without_semicolons(session: Session, text: str, st: StatementLineage) -> bool:
    """T-SQL scripts often omit semicolons: retry statement by statement."""
    if session.dialect not in TSQL_LIKE:
        return False
    parts = procedural_statements(text, session.dialect)
    if len(parts) < 2:
        return False
    try:
        trees = [sqlglot.parse_one(p, read=session.dialect) for p, _, _ in parts]
    except Exception:
        return False
    for tree in trees:
        analyse_tree(session, tree, st, text)
    return True


def _try_compound_assignment(session: Session, text: str, st: StatementLineage) -> bool:
    """T-SQL `SET col += expr` (not parsed by sqlglot) is `SET col = col + expr`."""
    if session.dialect not in TSQL_LIKE or not _COMPOUND.search(text):
        return False
    rewritten = _COMPOUND.sub(lambda m: f"{m.group(1)} = {m.group(1)} {m.group(2)} ", text)
    try:
        trees = [t for t in sqlglot.parse(rewritten, read=session.dialect) if t is not None]
    except Exception:
        return False
    for tree in trees:
        analyse_tree(session, tree, st, rewritten)
    return True


def _procedural(session: Session, text: str, st: StatementLineage, col0: int) -> None:
    """Procedure / block bodies: every inner DML statement, as one unit."""
    st.kind = "other"
    for part, rel_line, rel_col in procedural_statements(text, session.dialect):
        sub = StatementLineage(index=st.index, line=st.line)
        line, col = st.line + rel_line - 1, rel_col + (col0 - 1 if rel_line == 1 else 0)
        try:
            tree = sqlglot.parse_one(part, read=session.dialect)
        except Exception as e:
            if st.error is None and isinstance(e, ParseError):
                st.error = parse_error(e, line, col)
            elif st.error is None and isinstance(e, TokenError):
                st.error = token_error(e, part, line, col)
            apply_fallback(part, sub)
            merge_statement(st, sub)
            continue
        if tree is None:
            continue
        analyse_tree(session, tree, sub, part)
        merge_statement(st, sub)
    st.kind = "other"


def _analyse_in_time(
    session: Session, text: str, line: int, col: int, index: int, timeout: float | None
) -> StatementLineage:
    st = StatementLineage(index=index, line=line)
    token = WATCHDOG.arm(timeout) if timeout else None
    timed_out = False
    try:
        try:
            analyse_text(session, text, st, col)
        except Exception as e:  # a bug or an unexpected sqlglot failure: report, go on
            if st.error is None:
                st.error = internal_error(e, line, col)
            with contextlib.suppress(Exception):
                apply_fallback(text, st)
        finally:
            if token is not None and WATCHDOG.disarm(token):
                timed_out = True
    except StatementTimeout:
        # raised in the analysis, or just before disarm(): make sure it is disarmed
        timed_out = True
        if token is not None:
            WATCHDOG.disarm(token)
    if timed_out:
        st = StatementLineage(index=index, line=line)
        st.error = error_at(f"statement analysis timed out after {timeout:g} s", line, col)
        with contextlib.suppress(Exception):
            apply_fallback(text, st)
    if st.kind not in KINDS:
        st.kind = "other"
    return st


def extract_lineage(
    sql: str,
    dialect: str | None = None,
    schema: dict[str, list[str]] | None = None,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    progress: Callable[[int, int], None] | None = None,
) -> LineageResult:
    """Column- and table-level lineage of every statement of ``sql``.

    ``dialect`` is a sqlglot dialect name or an alias (``ansi``, ``sparksql``, ...);
    ``schema`` maps table names to their columns in order. Each statement gets at most
    ``timeout`` seconds (None disables the limit). Never raises for bad SQL.

    ``progress``, when given, is called as ``progress(done, total)`` once the script is split
    (``done`` 0) and after each statement. An exception it raises stops the parse and is
    raised to the caller: that is how a caller enforces limits of its own (a statement count,
    a total time) without parsing the rest.
    """
    session = Session(normalize_dialect(dialect), SchemaStore(schema))
    try:
        chunks = split_statements(sql or "")
    except Exception as e:  # sqlparse is robust, but never let a split failure escape
        return LineageResult([StatementLineage(0, 1, error=error_at(short(e), 1, 1))])
    total = len(chunks)
    if progress is not None:
        progress(0, total)
    statements = []
    for index, (text, line, col) in enumerate(chunks):
        statements.append(_analyse_in_time(session, text, line, col, index, timeout))
        if progress is not None:
            progress(index + 1, total)
    return LineageResult(statements)
