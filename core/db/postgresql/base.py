"""Django's PostgreSQL backend with a health check that costs no round trip.

With CONN_HEALTH_CHECKS, Django checks a persistent connection before the first query of every
request with `SELECT 1`: one more round trip on every request, a third of the database work of a
one-field consult. A connection the server ended (pg_terminate_backend, a restart, a crash of
the server) has something to read on its socket while it sits idle between requests: the
server's last message ("terminating connection due to administrator command") or the end of the
stream. So a connection that has nothing to read is taken as usable at no cost, and only one
that has is asked with `SELECT 1` (and closed when that fails).

What this cannot see, a connection cut silently by the network, fails on its first query; the
API retries such a request once on a new connection (core.middleware.ApiRetryMiddleware)."""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed:
            return False
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        if not readable:
            return True
        return super().is_usable()
