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
EQUIVALENT_DEFINITIONS = "equivalent_definitions"
GRAIN_MISMATCH = "grain_mismatch"

# What a field's stated meaning is compared on (data types differ by dialect: not compared).
COMPARED_SEMANTICS = ("tax", "discount", "currency", "unit", "grain")
# Two definitions agreeing on all of these (and stating at least two of MEANINGFUL) say the
# same thing, whatever they are called.
EQUIVALENCE = ("tax", "discount", "currency", "unit", "grain")
MEANINGFUL = ("tax", "discount", "currency")
# Grains of one row of a source; a per-customer or per-day figure is an aggregate of them.
ROW_GRAINS = ("order_line", "order", "payment", "ledger_entry")


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
    # The field is computed by an aggregation in the stored lineage (its source, if known).
    aggregated_from: str = ""


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


def detect(definitions: list[DefinitionFacts], mappings: list[MappingFacts]) -> list[Conflict]:
    return [
        *mapping_disagreements(definitions, mappings),
        *grain_mismatches(definitions, mappings),
        *equivalent_definitions(definitions),
        *possible_duplicates(definitions),
    ]


def involving(conflicts: list[Conflict], key: str = "", field: str = "") -> list[Conflict]:
    """The conflicts that name definition `key` or field `field`."""
    return [c for c in conflicts if (key and key in c.definitions) or (field and field in c.fields)]


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
        # Grain is not converted away by a note: grain_mismatches() reports it always.
        for attribute in (a for a in COMPARED_SEMANTICS if a != "grain"):
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


def _equivalent(a: DefinitionFacts, b: DefinitionFacts) -> bool:
    stated = [name for name in MEANINGFUL if a.attributes.get(name)]
    return len(stated) >= 2 and all(
        (a.attributes.get(name) or "") == (b.attributes.get(name) or "") for name in EQUIVALENCE
    )


def equivalent_definitions(definitions: list[DefinitionFacts]) -> list[Conflict]:
    """Pairs that state the same meaning (tax, discount, currency, unit and grain all equal)
    under different keys, whatever their names, domains or data types."""
    found = []
    for a, b in combinations(sorted(definitions, key=lambda d: d.key), 2):
        if not _equivalent(a, b):
            continue
        same = {name: a.attributes.get(name) for name in EQUIVALENCE if a.attributes.get(name)}
        stated = ", ".join(f"{k} {v}" for k, v in same.items())
        shared = sorted(a.terms & b.terms)
        also = f"; both called {', '.join(repr(t) for t in shared)}" if shared else ""
        found.append(
            Conflict(
                EQUIVALENT_DEFINITIONS,
                f"{a.key} and {b.key} mean the same ({stated}){also}: keep one, or say what "
                "tells them apart.",
                (a.key, b.key),
                (),
                {"same": same, "shared_terms": shared},
            )
        )
    return found


def grain_mismatches(
    definitions: list[DefinitionFacts], mappings: list[MappingFacts]
) -> list[Conflict]:
    """Fields whose grain contradicts the definition they are mapped to: a stated grain that
    differs (no conversion note makes a per-customer total a per-order amount), or a field the
    lineage computes by aggregation mapped to a definition of one source row."""
    by_key = {d.key: d for d in definitions}
    found = []
    for m in sorted(mappings, key=lambda m: (m.definition, m.field)):
        definition = by_key.get(m.definition)
        wanted = (definition.attributes.get("grain") or "") if definition else ""
        if not wanted:
            continue
        stated = m.semantics.get("grain") or ""
        if stated and stated != wanted:
            why = f"the mapping states grain {stated}"
        elif not stated and m.aggregated_from and wanted in ROW_GRAINS:
            why = f"its lineage aggregates {m.aggregated_from}"
        else:
            continue
        found.append(
            Conflict(
                GRAIN_MISMATCH,
                f"{m.field} is mapped to {m.definition} (one value per {wanted}), but {why}.",
                (m.definition,),
                (m.field,),
                {
                    "definition_grain": wanted,
                    "stated_grain": stated,
                    "aggregated_from": m.aggregated_from,
                },
            )  # fmt: skip
        )
    return found


def possible_duplicates(definitions: list[DefinitionFacts]) -> list[Conflict]:
    """Pairs in the same domain or with the same grain whose names or synonyms overlap (and
    that are not already equivalent), with the structured attributes in which they differ."""
    found = []
    for a, b in combinations(sorted(definitions, key=lambda d: d.key), 2):
        if _equivalent(a, b):
            continue
        same_grain = (a.attributes.get("grain") or "") == (b.attributes.get("grain") or "")
        if a.domain != b.domain and not same_grain:
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
                f"{a.key} and {b.key} may be duplicates: both called "
                f"{', '.join(repr(s) for s in shared)}; they differ in {what}.",
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
