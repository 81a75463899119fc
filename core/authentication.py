"""`Authorization: Token <token>` (or `Bearer <token>`) against hashed, revocable, expiring tokens.

`Bearer` is what OpenLineage producers send with an API key (the stock client's `api_key`
auth, Airflow, dbt-ol, Spark); both prefixes name the same tokens. Every request looks the
token up afresh, so a revoked token fails on the very next request."""

from __future__ import annotations

from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models.expressions import Col
from django.utils import timezone
from rest_framework import authentication, exceptions

from core.db import prepared_cursor
from core.models import ApiToken, CatalogVersion, hash_token

# Avoid a write per request: last_used_at is refreshed at most this often.
LAST_USED_RESOLUTION_SECONDS = 60


class Grants(NamedTuple):
    """What a hot endpoint needs to know of its caller beyond the user, read in the token's own
    query (see `HashedTokenAuthentication.grants_of`)."""

    perm: str  # the permission asked about, "app_label.codename"
    group_ids: tuple[int, ...]  # the user's groups, sorted
    holds: bool  # holds `perm` through a group or directly (superusers aside)
    catalog_version: int  # core.audit.current_catalog_version(), read at the same moment


class HashedTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"
    keywords = (b"token", b"bearer")
    # A permission name: the token query also reads the user's groups, whether the user holds
    # that permission, and the catalog version, and the token carries them as `grants` (one
    # round trip instead of three on an endpoint that needs all of them, such as consult).
    grants_of: str | None = None

    def __init__(self, grants_of: str | None = None) -> None:
        if grants_of is not None:
            self.grants_of = grants_of

    def authenticate(self, request):
        auth = authentication.get_authorization_header(request).split()
        if not auth or auth[0].lower() not in self.keywords:
            return None
        if len(auth) == 1:
            raise exceptions.AuthenticationFailed("Invalid token header. No credentials provided.")
        if len(auth) > 2:
            raise exceptions.AuthenticationFailed(
                "Invalid token header. Token string should not contain spaces."
            )
        try:
            token = auth[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(
                "Invalid token header. Token string should not contain invalid characters."
            ) from None
        return self.authenticate_credentials(token)

    def authenticate_credentials(self, key):
        # One query for the token and its user, read through the ORM's own value converters:
        # building the equivalent select_related() query was half the cost of a one-field
        # consult (see bench/consult.py).
        # Prepared on PostgreSQL: planning the query cost four times its execution.
        query = _TokenQuery.for_connection(connection, self.grants_of)
        with prepared_cursor(connection) as cursor:
            cursor.execute(query.sql, [*query.params, hash_token(key)])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token_values, user, grants = query.read(row)
        token_id, revoked_at, expires_at, last_used = token_values
        now = timezone.now()
        if revoked_at is not None:
            raise exceptions.AuthenticationFailed("Token has been revoked.")
        if expires_at is not None and expires_at <= now:
            raise exceptions.AuthenticationFailed("Token has expired.")
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if last_used is None or (now - last_used).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
            ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
        token = ApiToken(pk=token_id, user=user, expires_at=expires_at, last_used_at=last_used)
        token.grants = grants
        return user, token


class _TokenQuery:
    """The SQL and the per-column converters, built once per database vendor (and permission
    asked about)."""

    _cache: dict[tuple[str, str | None], _TokenQuery] = {}
    TOKEN_FIELDS = ("id", "revoked_at", "expires_at", "last_used_at")

    def __init__(self, connection, grants_of: str | None = None) -> None:
        User = get_user_model()
        qn = connection.ops.quote_name
        token_fields = [ApiToken._meta.get_field(name) for name in self.TOKEN_FIELDS]
        self.user_fields = list(User._meta.concrete_fields)
        columns = [f"t.{qn(f.column)}" for f in token_fields]
        columns += [f"u.{qn(f.column)}" for f in self.user_fields]
        self.grants_of = grants_of
        self.params: list = []
        if grants_of:
            columns += self._grant_columns(connection, User, grants_of)
        self.sql = (
            f"SELECT {', '.join(columns)} FROM {qn(ApiToken._meta.db_table)} t "
            f"JOIN {qn(User._meta.db_table)} u ON u.{qn(User._meta.pk.column)} = t."
            f"{qn(ApiToken._meta.get_field('user').column)} WHERE t.{qn('key_hash')} = %s"
        )
        self.converters = [
            (
                Col("t", f),
                connection.ops.get_db_converters(Col("t", f)) + f.get_db_converters(connection),
            )
            for f in [*token_fields, *self.user_fields]
        ]
        self.connection = connection
        self.model = User

    def _grant_columns(self, connection, User, perm: str) -> list[str]:
        """Three more columns: the user's group ids as "1,5", whether it holds `perm` through a
        group or directly (0/1), and the catalog version. The permission is found by name in
        the query, not by an id cached in the process: ids change when permissions are
        recreated (a flushed test database, a restored dump)."""
        app_label, codename = perm.split(".")
        user_groups = User.groups.through._meta.db_table
        group_perms = Group.permissions.through._meta.db_table
        user_perms = User.user_permissions.through._meta.db_table
        permission = (
            f"(SELECT p.id FROM {Permission._meta.db_table} p JOIN "
            f"{ContentType._meta.db_table} ct ON ct.id = p.content_type_id "
            "WHERE ct.app_label = %s AND p.codename = %s)"
        )
        if connection.vendor == "postgresql":
            joined = "string_agg(CAST(ug.group_id AS text), ',')"
        else:
            joined = "group_concat(ug.group_id, ',')"
        self.params = [app_label, codename, app_label, codename]
        uid = f"u.{connection.ops.quote_name(User._meta.pk.column)}"
        return [
            f"(SELECT {joined} FROM {user_groups} ug WHERE ug.user_id = {uid})",
            f"CASE WHEN EXISTS (SELECT 1 FROM {user_groups} ug JOIN {group_perms} gp "
            f"ON gp.group_id = ug.group_id WHERE ug.user_id = {uid} AND gp.permission_id IN "
            f"{permission}) OR EXISTS (SELECT 1 FROM {user_perms} up WHERE up.user_id = {uid} "
            f"AND up.permission_id IN {permission}) THEN 1 ELSE 0 END",
            f"(SELECT value FROM {CatalogVersion._meta.db_table} WHERE id = 1)",
        ]

    @classmethod
    def for_connection(cls, connection, grants_of: str | None = None) -> _TokenQuery:
        key = (connection.vendor, grants_of)
        query = cls._cache.get(key)
        if query is None or query.model is not get_user_model():
            query = cls._cache[key] = cls(connection, grants_of)
        return query

    def read(self, row) -> tuple[list, object, Grants | None]:
        grants = None
        if self.grants_of:
            row, (groups, holds, version) = row[:-3], row[-3:]
            group_ids = tuple(sorted(int(g) for g in groups.split(","))) if groups else ()
            grants = Grants(self.grants_of, group_ids, bool(holds), version or 0)
        values = []
        for value, (column, converters) in zip(row, self.converters, strict=True):
            for convert in converters:
                value = convert(value, column, self.connection)
            values.append(value)
        n = len(self.TOKEN_FIELDS)
        user = self.model.from_db(
            self.connection.alias, [f.attname for f in self.user_fields], values[n:]
        )
        return values[:n], user, grants
