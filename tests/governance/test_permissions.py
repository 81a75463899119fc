"""Who may do what with every governance endpoint (the permission kit, tests/personas.py).

On the governance tests' world: the steward writes and stewards the definitions; the committee
persona chairs the Board (domains order and customer). order_amount_gross and order_total are
approved (every role reads them), order_amount_net a draft and order_discount in review (their
author, the committee and admins read them), order_amount_legacy deprecated. The engineer's
draft mapping of pos:sales.transactions.amount, the other engineer's mapping of
crm:public.contacts.email in review, an approved mapping of pos:sales.transactions.tax; the
engineer owns system pos."""

from __future__ import annotations

import datetime

from core.audit import Actor
from governance import services
from governance.models import Committee, Ownership
from governance.reports import open_conflicts
from governance.workflow import cast_vote, transition
from tests.catalog.helpers import add_field
from tests.governance.helpers import API, GROSS, GovernanceTestCase, open_review
from tests.personas import (
    EVERYONE,
    READS_CATALOG,
    ROLES,
    EndpointPermissionKit,
    Op,
    personas,
    read,
)

DEFINITION = API + "definitions/{key}/"
NET = API + "definitions/order_amount_net/"
GROSS_URL = API + "definitions/order_amount_gross/"
MAPPING = API + "mappings/{id}/"
REVIEW = API + "reviews/{id}/"
COMMITTEE = API + "committees/{id}/"

WITH_A_ROLE = ROLES | {"admin"}
# Who reads a draft or a version in review: its author (and steward), the committee, admins.
DRAFT_READERS = personas("committee", "steward", "admin")
EDITORS = personas("steward", "admin")
# Its editors and the members of the committee of its domain.
KEEPERS = personas("steward", "committee", "admin")
MAPPING_READERS = personas("committee", "steward", "engineer", "admin")


def mapping_url(attr: str, suffix: str = ""):
    return lambda t: f"{API}mappings/{getattr(t, attr).pk}/{suffix}"


def review_url(suffix: str = ""):
    return lambda t: f"{API}reviews/{t.review.pk}/{suffix}"


def board_url(suffix: str = ""):
    return lambda t: f"{API}committees/{t.board.pk}/{suffix}"


def conflict_shown(test):
    fingerprint = test.conflict

    return lambda body: any(c["fingerprint"] == fingerprint for c in body)


class GovernancePermissionTests(EndpointPermissionKit, GovernanceTestCase):
    OPS = [
        # Definitions
        read(API + "definitions/", API + "definitions/", DRAFT_READERS,
             shows=lambda t: ("key", "order_amount_net")),
        Op("post", API + "definitions/", API + "definitions/", KEEPERS, success=201,
           collection=True, body={**GROSS, "key": "order_tax", "synonyms": []}),
        read(DEFINITION, NET, DRAFT_READERS),
        Op("patch", DEFINITION, NET, EDITORS, DRAFT_READERS, body={"unit": "TWD"}),
        Op("post", DEFINITION + "submit/", NET + "submit/", EDITORS, DRAFT_READERS),
        Op("post", DEFINITION + "withdraw/", API + "definitions/order_discount/withdraw/",
           EDITORS, DRAFT_READERS),
        Op("post", DEFINITION + "recertify/", GROSS_URL + "recertify/", KEEPERS, WITH_A_ROLE),
        Op("post", DEFINITION + "deprecate/", GROSS_URL + "deprecate/", KEEPERS, WITH_A_ROLE,
           body={"replaced_by": "order_total", "sunset_date": "2031-01-01"}),
        Op("post", DEFINITION + "retire/", API + "definitions/order_amount_legacy/retire/",
           KEEPERS, WITH_A_ROLE),
        read(DEFINITION + "versions/", NET + "versions/", DRAFT_READERS),
        read(DEFINITION + "versions/{number}/", NET + "versions/1/", DRAFT_READERS),
        read(DEFINITION + "diff/", NET + "diff/", DRAFT_READERS, body={"from": 1, "to": 1}),
        read(DEFINITION + "history/", NET + "history/", DRAFT_READERS),
        # A key the caller may not read is unknown to it (400, as for a key that does not
        # exist); a caller without any role may not bulk-submit at all (403, before the body).
        Op("post", API + "definitions/bulk-submit/", API + "definitions/bulk-submit/", EDITORS,
           collection=True, parent_readers=DRAFT_READERS, answers=(("outsider", 403),),
           body={"keys": ["order_amount_net"]}),
        # Mappings
        read(API + "mappings/", API + "mappings/", MAPPING_READERS,
             shows=lambda t: ("id", t.mapping.pk)),
        Op("post", API + "mappings/", API + "mappings/", MAPPING_READERS, success=201,
           collection=True,
           body={"field": "pos:sales.transactions.spare", "definition": "order_amount_gross"}),
        read(MAPPING, mapping_url("mapping"), MAPPING_READERS),
        Op("patch", MAPPING, mapping_url("mapping"), MAPPING_READERS,
           body={"conversion_note": "as is"}),
        Op("post", MAPPING + "submit/", mapping_url("mapping", "submit/"), MAPPING_READERS),
        Op("post", MAPPING + "withdraw/", mapping_url("pending_mapping", "withdraw/"),
           personas("committee", "steward", "other_engineer", "admin")),
        Op("post", MAPPING + "retire/", mapping_url("approved_mapping", "retire/"), KEEPERS,
           READS_CATALOG),
        read(MAPPING + "history/", mapping_url("mapping", "history/"), MAPPING_READERS),
        # Reviews: opened by submitting their subject, never directly.
        read(API + "reviews/", API + "reviews/", DRAFT_READERS,
             shows=lambda t: ("id", t.review.pk)),
        Op("post", API + "reviews/", API + "reviews/", personas(), collection=True, body={}),
        read(REVIEW, review_url(), DRAFT_READERS),
        # The Board votes; its author may not, nor may an administrator (who overrides).
        Op("post", REVIEW + "vote/", review_url("vote/"), personas("committee"), DRAFT_READERS,
           body={"choice": "approve"}),
        Op("post", REVIEW + "override/", review_url("override/"), personas("admin"),
           DRAFT_READERS, body={"decision": "approve", "reason": "emergency"}),
        # Committees: set up by administrators; their agenda is their members'.
        read(API + "committees/", API + "committees/", WITH_A_ROLE,
             shows=lambda t: ("name", "Board")),
        Op("post", API + "committees/", API + "committees/", personas("admin"), success=201,
           collection=True, body={"name": "Payments", "domains": ["payment"], "min_approvals": 1}),
        read(COMMITTEE, board_url(), WITH_A_ROLE),
        Op("patch", COMMITTEE, board_url(), personas("admin"), WITH_A_ROLE,
           body={"min_approvals": 1}),
        read(COMMITTEE + "agenda/", board_url("agenda/"), personas("committee", "admin"),
             reads=WITH_A_ROLE),
        # Conflicts and KPIs
        # Others than the committee see the conflicts whose definitions they may all read.
        read(API + "conflicts/", API + "conflicts/", WITH_A_ROLE, shows=conflict_shown),
        Op("post", API + "conflicts/resolve/", API + "conflicts/resolve/",
           personas("committee", "admin"), collection=True, success=201,
           body=lambda t: {"fingerprint": t.conflict, "note": "settled"}),
        # The KPIs count the whole catalog: who does not read all of it may not read them.
        Op("get", API + "kpis/", API + "kpis/", READS_CATALOG, collection=True),
        # Ownerships
        read(API + "ownerships/", API + "ownerships/", READS_CATALOG,
             shows=lambda t: ("id", t.ownership.pk)),
        Op("post", API + "ownerships/", API + "ownerships/", personas("engineer", "admin"),
           success=201, collection=True,
           body={"system": "pos", "user": "steward", "role": "steward"}),
        read(API + "ownerships/{id}/", lambda t: f"{API}ownerships/{t.ownership.pk}/",
             READS_CATALOG),
        Op("delete", API + "ownerships/{id}/", lambda t: f"{API}ownerships/{t.ownership.pk}/",
           personas("engineer", "admin"), READS_CATALOG, success=204),
    ]  # fmt: skip

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        pending = cls.define({**GROSS, "key": "order_discount", "synonyms": []})
        cls.review = cls.submit(pending)
        cls.approve(cls.define({**GROSS, "key": "order_total", "synonyms": []}))
        legacy = cls.define({**GROSS, "key": "order_amount_legacy", "synonyms": []})
        cls.approve(legacy)
        services.definition_transition(
            Actor(cls.steward), legacy, "deprecate",
            replaced_by=cls.gross, sunset_date=datetime.date(2030, 1, 1),
        )  # fmt: skip
        tax = add_field(cls.engineer, cls.transactions, "tax", ordinal=3)
        add_field(cls.engineer, cls.transactions, "spare", ordinal=4)
        cls.mapping = services.create_mapping(
            Actor(cls.engineer), {"field": cls.amount, "definition": cls.gross}
        )
        cls.pending_mapping = services.create_mapping(
            Actor(cls.other_engineer), {"field": cls.email, "definition": cls.gross}
        )
        transition(Actor(cls.other_engineer), cls.pending_mapping, "submit")
        cls.approved_mapping = services.create_mapping(
            Actor(cls.engineer), {"field": tax, "definition": cls.gross}
        )
        transition(Actor(cls.engineer), cls.approved_mapping, "submit")
        cast_vote(Actor(cls.steward), open_review(cls.approved_mapping), "approve")
        cls.ownership = services.assign_ownership(Actor.system(), cls.pos, cls.engineer, "owner")
        conflicts = open_conflicts()
        cls.conflict = conflicts[0].fingerprint if conflicts else None
        assert cls.conflict, "the world needs one open conflict"
        assert Committee.objects.filter(name="Board").exists() and Ownership.objects.exists()
        assert EVERYONE
