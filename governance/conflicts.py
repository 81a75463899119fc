"""Conflict detection over plain data (no Django): fields mapped to one definition whose stated
semantics disagree, and definitions that look like duplicates of each other. This is what shows
the committee the "three kinds of amount" problem at a glance.

governance/reports.py turns the database into these facts; the result is recomputed on demand,
so a conflict disappears as soon as its cause is fixed."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from itertools import combinations

MAPPING_DISAGREEMENT = "mapping_disagreement"
POSSIBLE_DUPLICATE = "possible_duplicate"

# What a field's stated meaning is compared on (data types differ by dialect: not compared).
COMPARED_SEMANTICS = ("tax", "discount", "currency", "unit", "grain")


@dataclass(frozen=True)
class DefinitionFacts:
    key: str
    name: str
    domain: str
    attributes: dict = field(default_factory=dict)  # the version in force, else the pending one

    @property
    def terms(self) -> set[str]:
        names = [self.name, self.key, *self.attributes.get("synonyms", [])]
        return {_normal(n) for n in names if isinstance(n, str) and _normal(n)}


@dataclass(frozen=True)
class MappingFacts:
    field: str  # the field reference, e.g. pos:sales.transactions.amount
    definition: str
    semantics: dict = field(default_factory=dict)
    conversion_note: str = ""


@dataclass(frozen=True)
class Conflict:
    kind: str
    summary: str
    definitions: tuple[str, ...]
    fields: tuple[str, ...] = ()
    details: dict = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Stable while the cause stays the same; a changed cause is a new conflict."""
        payload = json.dumps(
            [self.kind, self.definitions, self.fields, self.details], sort_keys=True, default=str
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:32]

    def as_dict(self) -> dict:
        return {
            "fingerprint": self.fingerprint,
            "kind": self.kind,
            "summary": self.summary,
            "definitions": list(self.definitions),
            "fields": list(self.fields),
            "details": self.details,
        }


def _normal(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())


def _normal_type(text: str) -> str:
    return re.sub(r"\s+", "", (text or "").lower())


def detect(definitions: list[DefinitionFacts], mappings: list[MappingFacts]) -> list[Conflict]:
    return [*mapping_disagreements(definitions, mappings), *possible_duplicates(definitions)]


def mapping_disagreements(
    definitions: list[DefinitionFacts], mappings: list[MappingFacts]
) -> list[Conflict]:
    """Per definition and attribute: the definition's value and the values stated by the fields
    mapped to it without a conversion (a conversion note says how a field is brought into line),
    when they are not all the same."""
    by_key = {d.key: d for d in definitions}
    found = []
    for key in sorted({m.definition for m in mappings}):
        definition = by_key.get(key)
        plain = [m for m in mappings if m.definition == key and not m.conversion_note.strip()]
        for attribute in COMPARED_SEMANTICS:
            statements = []
            if definition is not None and definition.attributes.get(attribute):
                statements.append(
                    {"source": f"definition {key}", "value": definition.attributes[attribute]}
                )
            statements.extend(
                {"source": m.field, "value": m.semantics[attribute]}
                for m in sorted(plain, key=lambda m: m.field)
                if m.semantics.get(attribute)
            )
            values = sorted({str(s["value"]) for s in statements})
            if len(values) > 1 and any(s["source"] != f"definition {key}" for s in statements):
                fields = tuple(
                    s["source"] for s in statements if not s["source"].startswith("definition ")
                )
                found.append(
                    Conflict(
                        MAPPING_DISAGREEMENT,
                        f"Fields mapped to {key} disagree on {attribute}: "
                        + "; ".join(f"{s['source']} says {s['value']}" for s in statements),
                        (key,),
                        fields,
                        {"attribute": attribute, "statements": statements},
                    )
                )
    return found


def possible_duplicates(definitions: list[DefinitionFacts]) -> list[Conflict]:
    """Pairs in the same domain with the same data type and grain whose names or synonyms
    overlap, with the structured attributes in which they differ."""
    found = []
    for a, b in combinations(sorted(definitions, key=lambda d: d.key), 2):
        if a.domain != b.domain:
            continue
        if _normal_type(a.attributes.get("data_type", "")) != _normal_type(
            b.attributes.get("data_type", "")
        ):
            continue
        if (a.attributes.get("grain") or "") != (b.attributes.get("grain") or ""):
            continue
        shared = sorted(a.terms & b.terms)
        if not shared:
            continue
        differing = [
            name
            for name in COMPARED_SEMANTICS
            if (a.attributes.get(name) or "") != (b.attributes.get(name) or "")
        ]
        what = ", ".join(differing) if differing else "nothing structured"
        found.append(
            Conflict(
                POSSIBLE_DUPLICATE,
                f"{a.key} and {b.key} may be duplicates: same domain, type and grain, "
                f"both called {', '.join(repr(s) for s in shared)}; they differ in {what}.",
                (a.key, b.key),
                (),
                {
                    "shared_terms": shared,
                    "differing": {
                        name: {a.key: a.attributes.get(name), b.key: b.attributes.get(name)}
                        for name in differing
                    },
                },
            )
        )
    return found
