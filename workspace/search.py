"""One search over systems, datasets, fields, definitions (names, synonyms, both languages),
ETL jobs and vendor contracts, ranked, each hit with its kind, and only what the caller may
read. PostgreSQL ranks with its full-text search (plus substring matching, which Chinese text
needs: it has no spaces between words); SQLite ranks by where the text matches."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from catalog.models import Dataset, Field, SourceSystem
from core.permissions import visible
from governance.models import DefinitionVersion, FieldDefinition
from governance.permissions import definitions_visible_to, versions_visible_to
from lineage.models import EtlJob
from vendors.models import IntegrationContract

KINDS = {
    "definition": _("Definition"),
    "field": _("Field"),
    "dataset": _("Dataset"),
    "system": _("System"),
    "job": _("ETL job"),
    "contract": _("Vendor contract"),
}
PER_KIND = 20
MAX_QUERY = 200


@dataclass(frozen=True)
class Hit:
    kind: str
    title: str
    ref: str
    summary: str
    url: str
    rank: float

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])


def search(user, query: str, kinds: list[str] | None = None) -> list[Hit]:
    """The hits for `query` the user may read, best first."""
    query = " ".join(query.split())[:MAX_QUERY]
    if not query:
        return []
    wanted = [k for k in KINDS if kinds is None or k in kinds]
    hits: list[Hit] = []
    for kind in wanted:
        hits.extend(SEARCHERS[kind](user, query))
    return sorted(hits, key=lambda h: (-h.rank, h.kind, h.title))


# Where a hit opens: its page in the workspace.
PAGES = {
    "definition": "definition-page",
    "field": "catalog-field",
    "dataset": "catalog-dataset",
    "system": "catalog-system",
    "job": "job-page",
    "contract": "vendor-contract",
}


def page_url(kind: str, key: str) -> str:
    return reverse(PAGES[kind], args=[key])


# Ranking, per database -------------------------------------------------------------------------


def _ranked(queryset: QuerySet, query: str, fields: tuple[str, ...], key: str) -> QuerySet:
    """Rows matching `query` in any of `fields`, annotated with `rank` (higher is better): an
    exact match of `key` first, then a prefix of it, then full-text (PostgreSQL) or any
    substring. A query of several words matches a row that has each word in one of its fields
    ("pos amount": the field amount of a dataset of the system pos)."""
    words = query.split()
    contains = Q()
    for word in words:
        anywhere = Q()
        for name in fields:
            anywhere |= Q(**{f"{name}__icontains": word})
        contains &= anywhere
    exact = Case(
        When(**{f"{key}__iexact": query}, then=Value(3.0)),
        When(**{f"{key}__istartswith": query}, then=Value(2.0)),
        default=Value(0.0),
        output_field=FloatField(),
    )
    if len(words) > 1:  # a word that is the whole key ("amount" of "pos amount") first
        for word in words:
            exact = exact + Case(
                When(**{f"{key}__iexact": word}, then=Value(1.0)),
                default=Value(0.0),
                output_field=FloatField(),
            )
    if connection.vendor == "postgresql":
        vector = SearchVector(*fields, config="simple")
        terms = SearchQuery(query, config="simple", search_type="websearch")
        matches = queryset.annotate(_vector=vector).filter(Q(_vector=terms) | contains)
        return matches.annotate(rank=exact + SearchRank(F("_vector"), terms) + Value(0.5))
    position: object = Value(0.0)
    for word in words:
        position = position + Case(
            *(When(**{f"{name}__icontains": word.lower()}, then=Value(1.0 - i * 0.1)) for i, name in
              enumerate(fields)),
            default=Value(0.0),
            output_field=FloatField(),
        )  # fmt: skip
    return queryset.filter(contains).annotate(rank=exact + position / Value(float(len(words))))


def _best(queryset: QuerySet, key: str) -> QuerySet:
    # Ties by the natural key (a model's default ordering may start with a foreign key, which
    # PostgreSQL cannot lower()).
    return queryset.order_by("-rank", Lower(key), "pk")[:PER_KIND]


# Per kind ---------------------------------------------------------------------------------------


def _systems(user, query: str) -> list[Hit]:
    rows = _ranked(
        visible(user, SourceSystem.objects.all()), query, ("key", "name", "description"), "key"
    )
    return [
        Hit("system", f"{s.name} ({s.key})", s.key, s.description[:200],
            page_url("system", s.key), s.rank)
        for s in _best(rows, "key")
    ]  # fmt: skip


def _datasets(user, query: str) -> list[Hit]:
    rows = _ranked(
        visible(user, Dataset.objects.select_related("system"), ("system",)),
        query,
        ("name", "description", "system__key"),
        "name",
    )
    return [
        Hit("dataset", d.ref, d.ref, d.description[:200],
            page_url("dataset", d.ref), d.rank)
        for d in _best(rows, "name")
    ]  # fmt: skip


def _fields(user, query: str) -> list[Hit]:
    rows = _ranked(
        visible(
            user, Field.objects.select_related("dataset__system"), ("dataset", "dataset__system")
        ),
        query,
        ("name", "description", "dataset__name", "dataset__system__key"),
        "name",
    )
    return [
        Hit("field", f.ref, f.ref, f.description[:200] or f.data_type,
            page_url("field", f.ref), f.rank)
        for f in _best(rows, "name")
    ]  # fmt: skip


def _definitions(user, query: str) -> list[Hit]:
    readable = definitions_visible_to(user, FieldDefinition.objects.all())
    versions = DefinitionVersion.objects.filter(definition__in=readable.values("pk"))
    rows = _ranked(
        versions.select_related("definition"),
        query,
        ("definition__key", "name", "name_zh", "synonyms", "description", "description_zh"),
        "definition__key",
    )
    best: dict[int, Hit] = {}
    for version in rows.order_by("-rank", "-number")[: PER_KIND * 3]:
        definition = version.definition
        if (
            definition.pk in best
            or not versions_visible_to(user, definition).filter(pk=version.pk).exists()
        ):
            continue
        name = " · ".join(n for n in (version.name, version.name_zh) if n)
        best[definition.pk] = Hit(
            "definition", f"{name} ({definition.key})", definition.key, version.description[:200],
            page_url("definition", definition.key), version.rank + 0.25,
        )  # fmt: skip
    return list(best.values())[:PER_KIND]


def _jobs(user, query: str) -> list[Hit]:
    jobs = visible(user, EtlJob.objects.all())
    rows = _ranked(jobs, query, ("key", "name", "description"), "key")
    return [
        Hit("job", f"{j.name} ({j.key})", j.key, j.description[:200],
            page_url("job", j.key), j.rank)
        for j in _best(rows, "key")
    ]  # fmt: skip


def _contracts(user, query: str) -> list[Hit]:
    rows = _ranked(
        visible(user, IntegrationContract.objects.select_related("vendor"), ("vendor",)),
        query,
        ("key", "name", "description"),
        "key",
    )
    return [
        Hit("contract", f"{c.name} ({c.key})", c.key, c.description[:200],
            page_url("contract", c.key), c.rank)
        for c in _best(rows, "key")
    ]  # fmt: skip


SEARCHERS = {
    "definition": _definitions,
    "field": _fields,
    "dataset": _datasets,
    "system": _systems,
    "job": _jobs,
    "contract": _contracts,
}
