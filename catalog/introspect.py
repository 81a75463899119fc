"""Reading tables, views and columns of a live database through Django's own introspection,
into the dataset rows that catalog.services.bulk_upsert takes."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import dj_database_url
from django.db import connections
from django.db.utils import load_backend

SUPPORTED = {"postgresql", "mysql", "sqlite"}


class IntrospectionError(Exception):
    pass


def _open(url: str):
    try:
        config = dj_database_url.parse(url)
    except Exception as exc:  # dj_database_url raises several kinds for a bad URL
        raise IntrospectionError(f"cannot read the database URL: {exc}") from None
    engine = config.get("ENGINE", "")
    if engine.endswith("mysql"):
        import pymysql  # only MySQL introspection needs it; no other start-up should pay for it

        # Django's MySQL backend expects mysqlclient; PyMySQL stands in for it.
        pymysql.version_info = (2, 2, 1, "final", 0)
        pymysql.install_as_MySQLdb()
    # A private connection: reachable by alias (Django's introspection opens transactions by
    # alias) but not added to the DATABASES settings, so nothing else iterates over it.
    settings_dict = connections.configure_settings({"default": config})["default"]
    alias = f"introspect-{uuid.uuid4().hex[:8]}"
    connection = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias)
    if connection.vendor not in SUPPORTED:
        raise IntrospectionError(f"unsupported database {connection.vendor!r}")
    connections[alias] = connection
    return connection


def introspect(
    url: str,
    schemas: list[str] | None = None,
    qualify: bool = True,
    on_table: Callable[[str], None] | None = None,
) -> tuple[list[dict], int, list[str]]:
    """Return (dataset rows, table count, schemas read). Dataset names are lower-cased and
    qualified with their schema (PostgreSQL, default `public`) or database (MySQL, default the
    URL's) unless `qualify` is false. Table and column comments are the rows' descriptions."""
    if not qualify and schemas and len(schemas) > 1:
        raise IntrospectionError("unqualified names need a single schema")
    connection = _open(url)
    try:
        try:
            connection.ensure_connection()
        except Exception as exc:
            raise IntrospectionError(f"cannot connect: {exc}") from None
        rows = []
        with connection.cursor() as cursor:
            read = _select_schemas(connection, cursor, schemas)
            for prefix in read:
                _enter(connection, cursor, prefix)
                rows.extend(_tables(connection, cursor, prefix, qualify, on_table))
        return rows, len(rows), [s.lower() for s in read]
    finally:
        connection.close()
        del connections[connection.alias]


def _tables(connection, cursor, prefix: str, qualify: bool, on_table) -> list[dict]:
    tables = connection.introspection.get_table_list(cursor)
    native = _native_types(connection, cursor, prefix)
    rows = []
    for info in sorted(tables, key=lambda t: t.name):
        columns = connection.introspection.get_table_description(cursor, info.name)
        name = info.name.lower()
        rows.append(
            {
                "name": f"{prefix.lower()}.{name}" if (qualify and prefix) else name,
                "kind": "view" if info.type == "v" else "table",
                "description": _comment(info),
                "fields": [
                    {
                        "name": col.name.lower(),
                        "ordinal": position,
                        "data_type": native.get((name, col.name.lower()))
                        or _django_type(connection, col),
                        "nullable": bool(col.null_ok),
                        "description": _comment(col),
                    }
                    for position, col in enumerate(columns, start=1)
                ],
            }
        )
        if on_table is not None:
            on_table(name)
    return rows


def _comment(info) -> str:
    # Django reports PostgreSQL and MySQL comments (None or "" when there is none); SQLite
    # has no comments.
    return (getattr(info, "comment", None) or "").strip()


def _select_schemas(connection, cursor, schemas: list[str] | None) -> list[str]:
    """The schemas (PostgreSQL) or databases (MySQL) to read, each checked to exist."""
    wanted = list(dict.fromkeys(s.strip() for s in schemas or [] if s.strip()))
    if connection.vendor == "postgresql":
        wanted = wanted or ["public"]
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", [wanted])
    elif connection.vendor == "mysql":
        wanted = wanted or [connection.settings_dict["NAME"]]
        marks = ", ".join(["%s"] * len(wanted))
        cursor.execute(
            f"SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ({marks})",
            wanted,
        )
    else:
        if wanted:
            raise IntrospectionError("--schema is for PostgreSQL and MySQL; SQLite has one schema")
        return [""]
    found = {row[0] for row in cursor.fetchall()}
    missing = [s for s in wanted if s not in found]
    if missing:
        what = "schema" if connection.vendor == "postgresql" else "database"
        names = ", ".join(repr(s) for s in missing)
        raise IntrospectionError(f"no {what} {names} in that database")
    return wanted


def _enter(connection, cursor, schema: str) -> None:
    """Point Django's introspection (which lists what is visible) at one schema."""
    if connection.vendor == "postgresql":
        cursor.execute(f"SET search_path TO {connection.ops.quote_name(schema)}")
    elif connection.vendor == "mysql":
        cursor.execute(f"USE {connection.ops.quote_name(schema)}")


def _native_types(connection, cursor, schema: str) -> dict[tuple[str, str], str]:
    """Declared column types as the database writes them (Django gives its own field types)."""
    if connection.vendor == "postgresql":
        cursor.execute(
            """
            SELECT lower(c.relname), lower(a.attname), format_type(a.atttypid, a.atttypmod)
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %s AND a.attnum > 0 AND NOT a.attisdropped
            """,
            [schema],
        )
    elif connection.vendor == "mysql":
        cursor.execute(
            "SELECT lower(table_name), lower(column_name), column_type "
            "FROM information_schema.columns WHERE table_schema = DATABASE()"
        )
    else:
        return {}
    return {(t, c): data_type for t, c, data_type in cursor.fetchall()}


def _django_type(connection, column) -> str:
    if isinstance(column.type_code, str):  # SQLite reports the declared type
        return column.type_code.lower()
    try:
        return connection.introspection.get_field_type(column.type_code, column)
    except KeyError:
        return str(column.type_code)
