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
    schema: str | None = None,
    qualify: bool = True,
    on_table: Callable[[str], None] | None = None,
) -> tuple[list[dict], int]:
    """Return (dataset rows, table count). Dataset names are lower-cased and qualified with the
    schema (PostgreSQL, default `public`) or database (MySQL) unless `qualify` is false."""
    connection = _open(url)
    try:
        try:
            connection.ensure_connection()
        except Exception as exc:
            raise IntrospectionError(f"cannot connect: {exc}") from None
        with connection.cursor() as cursor:
            prefix = _select_schema(connection, cursor, schema)
            tables = connection.introspection.get_table_list(cursor)
            native = _native_types(connection, cursor, prefix)
            rows = []
            for info in sorted(tables, key=lambda t: t.name):
                columns = connection.introspection.get_table_description(cursor, info.name)
                name = info.name.lower()
                rows.append(
                    {
                        "name": f"{prefix}.{name}" if (qualify and prefix) else name,
                        "kind": "view" if info.type == "v" else "table",
                        "fields": [
                            {
                                "name": col.name.lower(),
                                "ordinal": position,
                                "data_type": native.get((name, col.name.lower()))
                                or _django_type(connection, col),
                                "nullable": bool(col.null_ok),
                            }
                            for position, col in enumerate(columns, start=1)
                        ],
                    }
                )
                if on_table is not None:
                    on_table(name)
        return rows, len(rows)
    finally:
        connection.close()
        del connections[connection.alias]


def _select_schema(connection, cursor, schema: str | None) -> str:
    if connection.vendor == "postgresql":
        schema = schema or "public"
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
        if cursor.fetchone() is None:
            raise IntrospectionError(f"no schema {schema!r} in that database")
        # Django lists the tables visible on the search path: point it at the one schema.
        cursor.execute(f"SET search_path TO {connection.ops.quote_name(schema)}")
        return schema.lower()
    if connection.vendor == "mysql":
        if schema:
            raise IntrospectionError(
                "--schema is for PostgreSQL; for MySQL put the database in the URL"
            )
        return connection.settings_dict["NAME"].lower()
    if schema:
        raise IntrospectionError("--schema is for PostgreSQL; SQLite has one schema")
    return ""


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
