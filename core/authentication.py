"""`Authorization: Token <token>` (or `Bearer <token>`) against hashed, revocable, expiring tokens.

`Bearer` is what OpenLineage producers send with an API key (the stock client's `api_key`
auth, Airflow, dbt-ol, Spark); both prefixes name the same tokens. Every request looks the
token up afresh, so a revoked token fails on the very next request."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.expressions import Col
from django.utils import timezone
from rest_framework import authentication, exceptions

from core.models import ApiToken, hash_token

# Avoid a write per request: last_used_at is refreshed at most this often.
LAST_USED_RESOLUTION_SECONDS = 60


class HashedTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"
    keywords = (b"token", b"bearer")

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
        query = _TokenQuery.for_connection(connection)
        with connection.cursor() as cursor:
            cursor.execute(query.sql, [hash_token(key)])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token_values, user = query.read(row)
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
        return user, ApiToken(pk=token_id, user=user, expires_at=expires_at, last_used_at=last_used)


class _TokenQuery:
    """The SQL and the per-column converters, built once per database vendor."""

    _cache: dict[str, _TokenQuery] = {}
    TOKEN_FIELDS = ("id", "revoked_at", "expires_at", "last_used_at")

    def __init__(self, connection) -> None:
        User = get_user_model()
        qn = connection.ops.quote_name
        token_fields = [ApiToken._meta.get_field(name) for name in self.TOKEN_FIELDS]
        self.user_fields = list(User._meta.concrete_fields)
        columns = [f"t.{qn(f.column)}" for f in token_fields]
        columns += [f"u.{qn(f.column)}" for f in self.user_fields]
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

    @classmethod
    def for_connection(cls, connection) -> _TokenQuery:
        query = cls._cache.get(connection.vendor)
        if query is None or query.model is not get_user_model():
            query = cls._cache[connection.vendor] = cls(connection)
        return query

    def read(self, row) -> tuple[list, object]:
        values = []
        for value, (column, converters) in zip(row, self.converters, strict=True):
            for convert in converters:
                value = convert(value, column, self.connection)
            values.append(value)
        n = len(self.TOKEN_FIELDS)
        user = self.model.from_db(
            self.connection.alias, [f.attname for f in self.user_fields], values[n:]
        )
        return values[:n], user
