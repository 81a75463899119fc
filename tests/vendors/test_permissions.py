"""Who may do what with every vendor endpoint (the permission kit, tests/personas.py).

On the vendor tests' world: the `vendor` persona works for posco, whose contract
pos-sales-nightly (pos -> dw, systems the engineer owns) has version 1 in force, a draft
version, one submitted and one approved awaiting activation, and one open change notice; the
committee persona sits on the board that reviews contracts. Stewards keep the vendor register."""

from __future__ import annotations

import datetime

from django.utils import timezone

from core.audit import Actor
from tests.personas import EndpointPermissionKit, Op, make_user, personas, read
from tests.vendors.helpers import API, VendorTestCase, document, payload
from vendors import odcs, services
from vendors.models import ContractVersion

# The company's roles read every vendor record; a vendor's users read their own vendor's.
POSCO_READERS = personas("committee", "steward", "engineer", "other_engineer", "vendor", "admin")
COMPANY_READERS = POSCO_READERS - {"vendor"}
KEEPERS = personas("steward", "vendor", "admin")  # the register, and the vendor its own records
# The owners of pos and dw and the contracts committee (not administrators: they override a
# review instead).
DECIDERS = personas("engineer", "committee")
VERSION = API + "versions/{id}/"


def version_url(attr: str, suffix: str = ""):
    return lambda t: f"{API}versions/{getattr(t, attr).pk}/{suffix}"


def notice_url(suffix: str = ""):
    return lambda t: f"{API}notices/{t.notice.pk}/{suffix}"


def contact_url(attr: str):
    return lambda t: f"{API}contacts/{getattr(t, attr).pk}/"


def version_body(test) -> dict:
    return payload("pos-sales-nightly", test.pos_contact.pk)


class VendorPermissionTests(EndpointPermissionKit, VendorTestCase):
    OPS = [
        # Vendors
        read(API + "vendors/", API + "vendors/", POSCO_READERS, shows=lambda t: ("key", "posco")),
        Op("post", API + "vendors/", API + "vendors/", personas("steward", "admin"), success=201,
           collection=True, body={"key": "newco", "name": "New Co"}),
        read(API + "vendors/{key}/", API + "vendors/posco/", POSCO_READERS),
        Op("put", API + "vendors/{key}/", API + "vendors/posco/", KEEPERS, POSCO_READERS,
           body={"key": "posco", "name": "POS Systems Ltd", "contract_reference": "MSA-17",
                 "description": "Tills"}),
        Op("patch", API + "vendors/{key}/", API + "vendors/posco/", KEEPERS, POSCO_READERS,
           body={"description": "Tills"}),
        Op("delete", API + "vendors/{key}/", API + "vendors/spareco/", personas("admin"),
           COMPANY_READERS, success=204),
        read(API + "vendors/{key}/users/", API + "vendors/posco/users/", POSCO_READERS),
        Op("post", API + "vendors/{key}/users/", API + "vendors/posco/users/",
           personas("steward", "admin"), POSCO_READERS, body={"user": "newbie"}),
        # Contacts
        read(API + "contacts/", API + "contacts/", POSCO_READERS,
             shows=lambda t: ("id", t.pos_contact.pk)),
        Op("post", API + "contacts/", API + "contacts/", KEEPERS, success=201, collection=True,
           parent_readers=POSCO_READERS,
           body={"vendor": "posco", "name": "Night desk", "email": "night@posco.example"}),
        read(API + "contacts/{id}/", contact_url("pos_contact"), POSCO_READERS),
        Op("put", API + "contacts/{id}/", contact_url("pos_contact"), KEEPERS, POSCO_READERS,
           body={"vendor": "posco", "name": "Pat Desk", "email": "pat@posco.example"}),
        Op("patch", API + "contacts/{id}/", contact_url("pos_contact"), KEEPERS, POSCO_READERS,
           body={"phone": "+886 2 5555 0100"}),
        Op("delete", API + "contacts/{id}/", contact_url("spare_contact"), KEEPERS,
           POSCO_READERS, success=204),
        # Contracts
        read(API + "contracts/", API + "contracts/", POSCO_READERS,
             shows=lambda t: ("key", "pos-sales-nightly")),
        Op("post", API + "contracts/", API + "contracts/", KEEPERS, success=201,
           collection=True, parent_readers=POSCO_READERS,
           body={"vendor": "posco", "key": "pos-returns", "name": "POS returns"}),
        read(API + "contracts/{key}/", API + "contracts/pos-sales-nightly/", POSCO_READERS),
        Op("put", API + "contracts/{key}/", API + "contracts/pos-sales-nightly/", KEEPERS,
           POSCO_READERS,
           body={"vendor": "posco", "key": "pos-sales-nightly", "name": "POS sales"}),
        Op("patch", API + "contracts/{key}/", API + "contracts/pos-sales-nightly/", KEEPERS,
           POSCO_READERS, body={"name": "POS sales"}),
        read(API + "contracts/{key}/document/", API + "contracts/pos-sales-nightly/document/",
             POSCO_READERS),
        read(API + "contracts/{key}/printable/", API + "contracts/pos-sales-nightly/printable/",
             POSCO_READERS),
        read(API + "contracts/{key}/odcs/", API + "contracts/pos-sales-nightly/odcs/",
             POSCO_READERS),
        Op("post", API + "contracts/{key}/odcs/", API + "contracts/pos-sales-nightly/odcs/",
           KEEPERS, POSCO_READERS, success=201, body=lambda t: odcs.export(t.pos_v1)),
        # Versions
        read(API + "versions/", API + "versions/", POSCO_READERS,
             shows=lambda t: ("id", t.pos_v1.pk)),
        Op("post", API + "versions/", API + "versions/", KEEPERS, success=201, collection=True,
           parent_readers=POSCO_READERS, body=version_body),
        read(VERSION, version_url("pos_v1"), POSCO_READERS),
        Op("put", VERSION, version_url("draft"), KEEPERS, POSCO_READERS, body=version_body),
        Op("patch", VERSION, version_url("draft"), KEEPERS, POSCO_READERS,
           body={"schedule": "hourly"}),
        Op("delete", VERSION, version_url("draft"), KEEPERS, POSCO_READERS, success=204),
        Op("post", VERSION + "submit/", version_url("draft", "submit/"), KEEPERS,
           POSCO_READERS),
        Op("post", VERSION + "withdraw/", version_url("submitted", "withdraw/"), KEEPERS,
           POSCO_READERS),
        Op("post", VERSION + "approve/", version_url("submitted", "approve/"), DECIDERS,
           POSCO_READERS),
        Op("post", VERSION + "reject/", version_url("submitted", "reject/"), DECIDERS,
           POSCO_READERS, body={"reason": "SLA too weak"}),
        Op("post", VERSION + "request-changes/", version_url("submitted", "request-changes/"),
           DECIDERS, POSCO_READERS, body={"reason": "add a replay window"}),
        Op("post", VERSION + "activate/", version_url("approved", "activate/"),
           DECIDERS, POSCO_READERS),
        Op("post", VERSION + "expire/", version_url("pos_v1", "expire/"), DECIDERS,
           POSCO_READERS),
        read(VERSION + "history/", version_url("pos_v1", "history/"), POSCO_READERS),
        # Change notices: the vendor files them, the owners and the committee answer them.
        read(API + "notices/", API + "notices/", POSCO_READERS,
             shows=lambda t: ("id", t.notice.pk)),
        Op("post", API + "notices/", API + "notices/", KEEPERS, success=201, collection=True,
           parent_readers=POSCO_READERS,
           body=lambda t: {"contract": "pos-sales-nightly", "summary": "tax_code added",
                           "effective_date": t.in_days(60),
                           "changes": [{"change": "added",
                                        "field": "pos:sales.transactions.tax_code",
                                        "data_type": "char(2)"}]}),
        read(API + "notices/{id}/", notice_url(), POSCO_READERS),
        Op("post", API + "notices/{id}/acknowledge/", notice_url("acknowledge/"),
           DECIDERS, POSCO_READERS),
        Op("post", API + "notices/{id}/object/", notice_url("object/"), DECIDERS,
           POSCO_READERS, body={"reason": "too soon"}),
        # Questions over every contract: the company's roles only (a report, not a list).
        Op("get", API + "agenda/", API + "agenda/", COMPANY_READERS, collection=True),
        Op("get", API + "lineage/{ref}/", API + "lineage/pos:sales.transactions.amount/",
           COMPANY_READERS, collection=True),
        read(API + "responsibilities/", API + "responsibilities/", POSCO_READERS,
             shows=lambda t: lambda body: any(
                 r["contract"] == "pos-sales-nightly" for r in body["results"])),
    ]  # fmt: skip

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        system = Actor.system("tests")
        vendor = Actor(cls.vendor)
        make_user("newbie", "vendor")
        services.create_vendor(system, {"key": "spareco", "name": "Spare Co"})
        cls.spare_contact = services.ContactService.create(
            system, {"vendor": cls.posco, "name": "Spare", "email": "spare@posco.example"}
        )
        doc = document(cls.pos_contact, datasets=[cls.transactions])
        cls.draft = services.create_version(vendor, cls.pos_contract, doc)
        cls.submitted = services.create_version(vendor, cls.pos_contract, doc)
        services.version_transition(vendor, cls.submitted, "submit")
        start = timezone.localdate() + datetime.timedelta(days=10)
        cls.approved = services.create_version(
            vendor, cls.pos_contract, {**doc, "effective_from": start}
        )
        services.version_transition(vendor, cls.approved, "submit")
        services.decide(Actor(cls.engineer), cls.approved, "approve")
        # Its start date has come.
        ContractVersion.objects.filter(pk=cls.approved.pk).update(effective_from=None)
        cls.notice = services.file_notice(
            vendor,
            cls.pos_contract,
            {
                "summary": "amount renamed",
                "effective_date": timezone.localdate() + datetime.timedelta(days=60),
                "changes": [
                    {"change": "renamed", "field": "pos:sales.transactions.amount",
                     "new_name": "gross_amount"},
                ],
            },
        )  # fmt: skip
