"""Django's PostgreSQL backend with a health check that costs no round trip.

With CONN_HEALTH_CHECKS, Django checks a persistent connection before the first query of every
request with `SELECT 1`: one more round trip on every request, a third of the database work of a
one-field consult. A connection the server ended (pg_terminate_backend, a restart, a crash of
the server) has something to read on its socket while it sits idle between requests: the
server's last message ("terminating connection due to administrator command") or the end of the
stream. So a connection that has nothing to read is taken as usable at no cost, and only one
that has is asked with `SELECT 1` (and closed when that fails).

What this cannot see, a connection cut silently by the network, fails on its first query; the
API retries such a request once on a new connection (core.middleware.ApiRetryMiddleware).

And prepared statements for the few hot statements that ask for them (`prepared_cursor()`, used
by the token query and the decision log's insert): the server parses and plans such a statement
once per connection instead of on every request, which for the token query (two joins, three
subqueries) is most of its cost (0.9 ms of planning against 0.2 ms of execution). Every other
statement stays on Django's client-side binding, unprepared. Behind a connection pooler in
transaction mode that does not carry prepared statements (PgBouncer before 1.21), set
DB_PREPARED_STATEMENTS=0."""

from __future__ import annotations

import select

from django.conf import settings
from django.db.backends.postgresql import base, operations
from psycopg import errors

# psycopg prepares a statement of a server-binding cursor once it has run this many times; Django
# turns preparing off (None), and its client-side binding cursors never prepare, so only the
# cursors of `prepared_cursor()` do.
PREPARE_THRESHOLD = 0


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        """The statement as a client-side binding cursor would have sent it, for a prepared
        cursor too (Django reads it from the client-side cursor alone): the query log and
        assertNumQueries show prepared statements like any other."""
        if isinstance(cursor, base.ServerBindingCursor):
            try:
                return self.compose_sql(sql, params)
            except errors.DataError:
                return None
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if self._prepares() and connection.prepare_threshold is None:
            connection.prepare_threshold = PREPARE_THRESHOLD
        return connection

    def _prepares(self) -> bool:
        return getattr(settings, "DB_PREPARED_STATEMENTS", True) and (
            self.settings_dict["OPTIONS"].get("server_side_binding") is not True
        )

    def prepared_cursor(self):
        """A cursor whose statements are prepared on the server, once per connection (a plain
        cursor when preparing is off). Through Django's cursor wrapper, so the statements are
        logged and counted like any other."""
        if not self._prepares():
            return self.cursor()
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            return self._prepare_cursor(base.ServerBindingCursor(self.connection))

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
