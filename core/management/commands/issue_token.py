"""`manage.py issue_token USERNAME [--role ROLE] [--create]`: print a new API token."""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.audit import Actor
from core.choices import Role
from core.services import ensure_user, issue_token


class Command(BaseCommand):
    help = "Print a new API token for USERNAME as the only line on stdout."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=Role.values, help="add the user to this role")
        parser.add_argument("--create", action="store_true", help="create the user if missing")
        parser.add_argument("--name", default="", help="a label for the token")
        parser.add_argument("--expires-days", type=int, help="the token expires after N days")

    def handle(self, username, role, create, name, expires_days, **options):
        actor = Actor.system("manage.py issue_token")
        User = get_user_model()
        if create:
            user, _ = ensure_user(actor, username, role=role)
        else:
            try:
                user = User.objects.get(username=username)
            except User.DoesNotExist:
                raise CommandError(
                    f"no user named {username!r}; pass --create to create it"
                ) from None
            if role:
                ensure_user(actor, username, role=role)
        expires_at = None
        if expires_days is not None:
            if expires_days <= 0:
                raise CommandError("--expires-days must be a positive number of days")
            expires_at = timezone.now() + datetime.timedelta(days=expires_days)
        _, raw = issue_token(actor, user, name=name or "issued by manage.py", expires_at=expires_at)
        self.stdout.write(raw)
