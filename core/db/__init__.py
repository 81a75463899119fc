"""Database helpers shared by the apps."""


def prepared_cursor(connection):
    """A cursor whose statements PostgreSQL prepares once per connection (for the few statements
    every request of a hot endpoint runs; core/db/postgresql/base.py); a plain cursor elsewhere."""
    make = getattr(connection, "prepared_cursor", None)
    return make() if make is not None else connection.cursor()
