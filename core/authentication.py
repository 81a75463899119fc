"""`Authorization: Token <token>` against hashed, revocable, expiring tokens.

Every request looks the token up afresh, so a revoked token fails on the very next request."""

import datetime
import functools

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import authentication, exceptions

from core.models import ApiToken, hash_token

# Avoid a write per request: last_used_at is refreshed at most this often.
LAST_USED_RESOLUTION_SECONDS = 60


class HashedTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key):
        # One raw query for the token and its user: the ORM's select_related() compilation
        # was half the cost of a one-field consult (see bench/consult.py).
        found = list(get_user_model().objects.raw(_token_sql(), [hash_token(key)]))
        if not found:
            raise exceptions.AuthenticationFailed("Invalid token.")
        user = found[0]
        now = timezone.now()
        if user.token_revoked_at is not None:
            raise exceptions.AuthenticationFailed("Token has been revoked.")
        expires_at = _aware(user.token_expires_at)
        if expires_at is not None and expires_at <= now:
            raise exceptions.AuthenticationFailed("Token has expired.")
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        last_used = _aware(user.token_last_used_at)
        if last_used is None or (now - last_used).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
            ApiToken.objects.filter(pk=user.token_id).update(last_used_at=now)
        return user, ApiToken(
            pk=user.token_id, user=user, expires_at=expires_at, last_used_at=last_used
        )


def _aware(value):
    """Token timestamps come back raw (SQLite gives text); make them aware datetimes."""
    if value is None or isinstance(value, datetime.datetime):
        return (
            value
            if value is None or timezone.is_aware(value)
            else timezone.make_aware(value, datetime.UTC)
        )
    parsed = parse_datetime(str(value))
    return timezone.make_aware(parsed, datetime.UTC) if timezone.is_naive(parsed) else parsed


@functools.cache
def _token_sql() -> str:
    user_table = get_user_model()._meta.db_table
    token_table = ApiToken._meta.db_table
    return (
        f"SELECT u.*, t.id AS token_id, t.revoked_at AS token_revoked_at, "
        f"t.expires_at AS token_expires_at, t.last_used_at AS token_last_used_at "
        f"FROM {token_table} t JOIN {user_table} u ON u.id = t.user_id "
        f"WHERE t.key_hash = %s"
    )
