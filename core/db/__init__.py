"""Database helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection

CHUNK = 900  # ids per IN (...) on SQLite: below its smallest variable limit


def prepared_cursor(connection):
    """A cursor whose statements PostgreSQL prepares once per connection (for the few statements
    every request of a hot endpoint runs; core/db/postgresql/base.py); a plain cursor elsewhere."""
    make = getattr(connection, "prepared_cursor", None)
    return make() if make is not None else connection.cursor()


def table(model) -> str:
    """`model`'s table, quoted for plain SQL."""
    return connection.ops.quote_name(model._meta.db_table)


def chunks(ids) -> Iterator[list]:
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def select_in(sql: str, ids, params=()) -> list[tuple]:
    """Rows of `sql` for `ids`, whose last condition ends in `{ids}`: one `= ANY(array)` on
    PostgreSQL (a thousand placeholders cost more to send than the query to run), IN (...) of
    CHUNK at a time elsewhere."""
    ids = list(ids)
    if not ids:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(sql.format(ids="= ANY(%s)"), [*params, ids])
            return cursor.fetchall()
        rows = []
        for chunk in chunks(ids):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(sql.format(ids=f"IN ({marks})"), [*params, *chunk])
            rows += cursor.fetchall()
        return rows
