"""`manage.py contract_odcs export KEY[@N] [-o FILE]` writes a contract version as an ODCS v3
document (YAML, or JSON for a .json file); `manage.py contract_odcs import FILE --contract KEY
--actor USERNAME` makes one a new draft version of the contract, as that user, or lists every
problem with its path in the document and writes nothing."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.audit import Actor
from core.errors import DomainError
from core.permissions import user_can
from vendors import odcs
from vendors.api.odcs import import_document
from vendors.models import IntegrationContract


class Command(BaseCommand):
    help = "Export a contract version as an ODCS v3 document, or import one as a new draft."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        export = commands.add_parser("export", help="write a version as ODCS YAML or JSON")
        export.add_argument("ref", help="contract key, or key@number (default: the one in force)")
        export.add_argument("-o", "--output", help="a .yaml, .yml or .json file (default: stdout)")
        export.add_argument("--format", choices=["yaml", "json"], help="default: by the file name")
        export.add_argument("--actor", help="export only what this user may see")
        load = commands.add_parser("import", help="import an ODCS document as a new draft")
        load.add_argument("path", help="a .yaml, .yml or .json file")
        load.add_argument("--contract", required=True, help="the contract key")
        load.add_argument("--actor", required=True, help="the user who writes the version")

    def handle(self, command, **options):
        if command == "export":
            self.export(options["ref"], options["output"], options["format"], options["actor"])
        else:
            self.load(options["path"], options["contract"], options["actor"])

    def user(self, username: str | None):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        return user

    def contract(self, key: str, user) -> IntegrationContract:
        contract = IntegrationContract.objects.filter(key=key.strip().lower()).first()
        if contract is None or (user is not None and not user_can(user, "view", contract)):
            raise CommandError(f"No contract {key!r}.")
        return contract

    def export(self, ref: str, output: str | None, fmt: str | None, username: str | None):
        key, _, number = ref.partition("@")
        contract = self.contract(key, self.user(username))
        versions = contract.versions.all()
        version = (
            versions.filter(number=int(number)).first()
            if number.isdigit()
            else contract.effective_version or versions.order_by("-number").first()
        )
        if version is None:
            raise CommandError(f"Contract {contract} has no version {number or ''}".strip() + ".")
        fmt = fmt or ("json" if output and output.endswith(".json") else "yaml")
        text = odcs.dump(odcs.export(version), fmt)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stdout.write(f"{version} written to {output}.")
        else:
            self.stdout.write(text, ending="")

    def load(self, path: str, key: str, username: str):
        user = self.user(username)
        contract = self.contract(key, user)
        try:
            doc = odcs.parse(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        actor = Actor(user, reason=f"contract_odcs import {Path(path).name}")
        try:
            version = import_document(actor, contract, doc)
        except DomainError as exc:
            lines = "\n".join(f"  {e['path']}: {e['message']}" for e in exc.errors or [])
            raise CommandError(f"{exc}\n{lines}" if lines else str(exc)) from exc
        self.stdout.write(f"{version} created as a draft.")
