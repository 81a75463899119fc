"""`manage.py catalog_introspect --system KEY --database-url URL [--schema NAME ...]`."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog import services
from catalog.introspect import IntrospectionError, introspect
from catalog.models import SourceSystem
from catalog.services import bulk_upsert
from core.commands import command_actor
from core.errors import BulkRejected


class Command(BaseCommand):
    help = (
        "Register the tables, views and columns of a live PostgreSQL, MySQL/MariaDB or SQLite "
        "database as datasets and fields of a system, with table and column comments as "
        "descriptions. Idempotent; what disappeared from the schemas read is marked removed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--system", required=True, help="the system key")
        parser.add_argument("--database-url", required=True, help="e.g. postgres://user@host/db")
        parser.add_argument(
            "--schema",
            action="append",
            dest="schemas",
            help="PostgreSQL schema (default: public) or MySQL database (default: the URL's); "
            "repeat to read several",
        )
        parser.add_argument(
            "--unqualified", action="store_true", help="do not prefix dataset names with the schema"
        )
        parser.add_argument(
            "--create-system", action="store_true", help="create the system if missing"
        )
        parser.add_argument("--actor", help="username recorded in the audit trail")
        parser.add_argument("--no-progress", action="store_true")

    def handle(
        self,
        system,
        database_url,
        schemas,
        unqualified,
        create_system,
        actor,
        no_progress,
        **options,
    ):
        who = command_actor(actor, "catalog_introspect").with_reason(f"introspection of {system}")
        key = system.strip().lower()
        target = SourceSystem.objects.filter(key=key).first()
        if target is None and not create_system:
            raise CommandError(f"no system {key!r}; register it first or pass --create-system")
        bar = tqdm(unit="table", disable=no_progress or None, file=self.stderr._out)
        try:
            rows, count, read = introspect(
                database_url,
                schemas=schemas,
                qualify=not unqualified,
                on_table=lambda _: bar.update(),
            )
        except IntrospectionError as exc:
            raise CommandError(f"nothing imported: {exc}") from None
        finally:
            bar.close()
        if target is None:
            target = services.create_system(who, {"key": key, "name": key})
        try:
            result = bulk_upsert(
                who,
                target,
                rows,
                remove_missing=True,
                remove_scope=_scope(read, qualified=not unqualified),
                from_comments=True,
            )
        except BulkRejected as exc:
            lines = "\n".join(f"{e['path']}: {e['message']}" for e in exc.errors)
            raise CommandError(f"nothing imported:\n{lines}") from None
        self.stdout.write(f"read {count} tables and views")
        self.stdout.write(result.summary())
        if result.kept_descriptions:
            self.stdout.write(
                f"kept {len(result.kept_descriptions)} descriptions written in the catalog "
                f"over a different database comment: {', '.join(result.kept_descriptions)}"
            )


def _scope(schemas: list[str], qualified: bool):
    """Which of the system's datasets the introspection speaks for: those of the schemas read
    (`schema.table`), or with unqualified names the names without a schema. Datasets of other
    schemas, registered by other introspections or manifests, are left alone."""
    if not qualified:
        return lambda name: "." not in name
    prefixes = tuple(f"{s}." for s in schemas if s)
    return lambda name: name.startswith(prefixes) if prefixes else "." not in name
