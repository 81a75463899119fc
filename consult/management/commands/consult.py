"""`manage.py consult USERNAME PURPOSE FIELD...`: the consult decision for a consumer, as JSON,
from the same snapshot the API uses (logged as simulated by the command)."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from consult.services import consult


class Command(BaseCommand):
    help = "Print the consult decisions for a consumer, a purpose and some fields."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("purpose")
        parser.add_argument("fields", nargs="+")

    def handle(self, username, purpose, fields, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        body = consult(user, purpose, fields, simulated_by="manage.py consult")
        self.stdout.write(json.dumps(body, indent=2))
