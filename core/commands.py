"""What every management command shares: who it acts as, and domain errors printed as a
command error (every problem on its own line, exit status 1 unless the command says otherwise).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.audit import Actor
from core.errors import DomainError


def command_actor(username: str | None, command: str) -> Actor:
    """The user named by `--actor` (who then holds the rights the change grants, e.g. maintains
    an imported system), or the command itself when no user is named."""
    if not username:
        return Actor.system(f"manage.py {command}")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"--actor: no user named {username!r}")
    return Actor(user)


def error_text(exc: DomainError, line_of=None) -> str:
    """The error's message and each problem on its own line (with its file line, when
    `line_of(path)` can tell it)."""
    lines = [exc.message]
    for item in exc.errors:
        where = item.get("path", "")
        line = line_of(where) if line_of is not None and where else None
        prefix = f"line {line}: " if line else ""
        lines.append(f"  {prefix}{where + ': ' if where else ''}{item['message']}")
    return "\n".join(lines)


class DomainCommand(BaseCommand):
    """A command whose services' refusals (DomainError) end it with a readable error."""

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except DomainError as exc:
            raise CommandError(error_text(exc)) from None
