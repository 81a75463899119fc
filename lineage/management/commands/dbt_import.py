"""`manage.py dbt_import manifest.json [catalog.json] [run_results.json] --system KEY`: a dbt
project's models, sources, seeds, snapshots, tests and column lineage into the catalog."""

import json

from django.core.management.base import CommandError
from tqdm import tqdm

from core.commands import DomainCommand, command_actor
from lineage import dbt

KINDS = {"manifest": "manifest", "catalog": "catalog", "run-results": "run_results"}


def _read(path: str) -> tuple[str, dict]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise CommandError(f"{path}: file not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(f"{path}: not a JSON file ({exc})") from None
    url = ((data.get("metadata") or {}) if isinstance(data, dict) else {}).get(
        "dbt_schema_version"
    ) or ""
    for kind, name in KINDS.items():
        if f"/dbt/{kind}/" in url:
            return name, data
    raise CommandError(f"{path}: not a dbt manifest, catalog or run results artifact")


class Command(DomainCommand):
    help = (
        "Import dbt artifacts (manifest.json, and optionally catalog.json and run_results.json, "
        "in any order) into the system the project builds into: datasets, fields, owners, tags, "
        "tests and column lineage from each model's compiled SQL. Idempotent; all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="ARTIFACT")
        parser.add_argument("--system", required=True, help="key of the system dbt builds into")
        parser.add_argument(
            "--create-system", action="store_true", help="register the system if it is new"
        )
        parser.add_argument("--actor", help="username recorded in the audit trail")
        parser.add_argument("--reason", default="", help="reason recorded in the audit trail")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, files, system, create_system, actor, reason, no_progress, **options):
        artifacts: dict[str, dict] = {}
        for path in files:
            kind, data = _read(path)
            if kind in artifacts:
                raise CommandError(f"{path}: a second {kind} artifact")
            artifacts[kind] = data
        if "manifest" not in artifacts:
            raise CommandError("a manifest.json is required")
        manifest = artifacts["manifest"]
        steps = 1 + sum(
            1
            for n in (manifest.get("nodes") or {}).values()
            if isinstance(n, dict) and n.get("resource_type") in ("model", "snapshot")
        )
        who = command_actor(actor, "dbt_import").with_reason(reason or "dbt_import")
        bar = tqdm(total=steps, unit="step", disable=no_progress or None, file=self.stderr._out)
        try:
            report = dbt.import_artifacts(
                who,
                system,
                manifest,
                artifacts.get("catalog"),
                artifacts.get("run_results"),
                create=create_system,
                on_step=lambda _: bar.update(),
            )
        finally:
            bar.close()
        r = report.as_dict()
        self.stdout.write(
            f"{r['system']}: datasets {r['datasets']}, fields {r['fields']}, jobs {r['jobs']}, "
            f"{r['tests']} tests, {len(r['sources'])} sources"
            + (" (system created)" if r["created_system"] else "")
        )
        for ref in sorted(set(r["sources"].values())):
            self.stdout.write(f"  source {ref}")
        for warning in r["warnings"]:
            self.stdout.write(f"  warning: {warning}")
