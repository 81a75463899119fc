"""`manage.py load_demo`: load the retail demo and print its users with fresh API tokens."""

import os

from django.core.management.base import BaseCommand

from core.audit import Actor
from demo import catalog as demo
from demo import consult as demo_consult
from demo import governance as demo_governance
from demo import lineage as demo_lineage
from demo import vendors as demo_vendors


class Command(BaseCommand):
    help = "Load the retail demo (idempotent) and print each demo user's password and a new token."

    def add_arguments(self, parser):
        parser.add_argument("--no-tokens", action="store_true", help="do not issue tokens")

    def handle(self, no_tokens, **options):
        actor = Actor.system("manage.py load_demo", reason="retail demo")
        users = demo.load_users(actor)
        demo.load_catalog(actor)
        demo_lineage.load(actor)
        demo_lineage.load_dbt(actor)
        demo_governance.load(actor)
        demo_consult.load(actor)
        demo_vendors.load(actor)
        self.stdout.write(self.style.SUCCESS("Retail demo loaded."))
        tokens = {} if no_tokens else demo.issue_demo_tokens(actor, users)
        self.stdout.write("")
        self.stdout.write(f"{'user':<18} {'role':<10} {'password':<24} token")
        for spec in demo.USERS:
            self.stdout.write(
                f"{spec.username:<18} {spec.role or 'admin':<10} {spec.password:<24} "
                f"{tokens.get(spec.username, '-')}"
            )
        self.stdout.write("")
        port = os.environ.get("PORT", "8000")
        self.stdout.write(
            f"Try: curl -H 'Authorization: Token <token>' http://127.0.0.1:{port}/api/v1/catalog/systems/"
        )
