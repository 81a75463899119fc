"""Who may do what with the audit trail, tokens and health (the permission kit,
tests/personas.py)."""

from __future__ import annotations

from core.audit import Actor
from core.models import ChangeRecord
from core.services import issue_token
from tests.catalog.helpers import CatalogTestCase
from tests.personas import ANONYMOUS, EVERYONE, EndpointPermissionKit, Op, personas, read

AUDIT = "/api/v1/audit/"
TOKENS = "/api/v1/tokens/"
# The audit role, reading rows about the catalog (vendors do not read it).
AUDIT_OF_POS = personas("committee", "steward", "engineer", "other_engineer", "admin")


def record_of(test, obj_type: str, obj) -> ChangeRecord:
    return ChangeRecord.objects.filter(object_type=obj_type, object_id=str(obj.pk)).first()


class CorePermissionTests(EndpointPermissionKit, CatalogTestCase):
    OPS = [
        read("/api/v1/health/", "/api/v1/health/", EVERYONE | {ANONYMOUS}),
        read(AUDIT, AUDIT, AUDIT_OF_POS,
             shows=lambda t: ("id", record_of(t, "catalog.sourcesystem", t.pos).pk)),
        read(AUDIT + "{id}/", lambda t: f"{AUDIT}{record_of(t, 'catalog.sourcesystem', t.pos).pk}/",
             AUDIT_OF_POS),
        read(TOKENS, TOKENS, personas("engineer"),
             shows=lambda t: ("id", t.token.pk)),
        Op("post", TOKENS, TOKENS, EVERYONE, success=201, collection=True,
           body={"name": "laptop"}),
        read(TOKENS + "{id}/", lambda t: f"{TOKENS}{t.token.pk}/", personas("engineer")),
        Op("post", TOKENS + "{id}/revoke/", lambda t: f"{TOKENS}{t.token.pk}/revoke/",
           personas("engineer")),
    ]  # fmt: skip

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.token, _ = issue_token(Actor(cls.engineer), cls.engineer, name="ci")
