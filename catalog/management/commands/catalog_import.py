"""`manage.py catalog_import FILE`: register systems, datasets and fields from a manifest."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.manifest import ManifestError, load_manifest
from catalog.services import import_systems
from core.commands import command_actor
from core.errors import BulkRejected


class Command(BaseCommand):
    help = (
        "Import a manifest (JSON, YAML or CSV) of systems, datasets and fields. Idempotent: "
        "re-running adds what is new and marks what disappeared as removed. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--actor", help="username recorded in the audit trail")
        parser.add_argument("--reason", default="", help="reason recorded in the audit trail")
        parser.add_argument(
            "--keep-missing",
            action="store_true",
            help="do not mark datasets and fields absent from the file as removed",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, file, actor, reason, keep_missing, no_progress, **options):
        try:
            manifest = load_manifest(file)
        except ManifestError as exc:
            raise CommandError(f"nothing imported:\n{exc.render()}") from None
        who = command_actor(actor, "catalog_import").with_reason(reason or f"import of {file}")
        bar = tqdm(
            total=len(manifest.systems),
            unit="system",
            disable=no_progress or None,
            file=self.stderr._out,
        )
        try:
            results = import_systems(
                who,
                manifest.systems,
                remove_missing=not keep_missing,
                on_system=lambda _: bar.update(),
            )
        except BulkRejected as exc:
            problems = [
                (manifest.line_of(e["path"]), f"{e['path']}: {e['message']}") for e in exc.errors
            ]
            raise CommandError(
                f"nothing imported, {len(problems)} problem(s):\n"
                + ManifestError(file, problems).render()
            ) from None
        finally:
            bar.close()
        for result in results:
            self.stdout.write(result.summary())
