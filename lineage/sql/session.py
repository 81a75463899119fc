"""State shared by the statements of one script: the dialect, the known schema (the caller's
plus the tables the script creates) and the text of the statement being analysed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot.schema import MappingSchema


class SchemaStore:
    """User schema plus tables created earlier in the script (session metadata)."""

    def __init__(self, schema: dict[str, list[str]] | None) -> None:
        self.tables: dict[str, list[str]] = {}
        for name, cols in (schema or {}).items():
            self.tables[str(name).lower()] = [str(c).lower() for c in cols]
        self._cache: dict[tuple, MappingSchema | None] = {}

    def columns(self, name: str | None) -> list[str] | None:
        if not name:
            return None
        return self.tables.get(name)

    def mapping_for(self, names: set[str], dialect: str | None) -> MappingSchema | None:
        """A MappingSchema holding just the referenced tables (sqlglot needs uniform depth)."""
        picked = [(n, self.tables[n]) for n in sorted(names) if n in self.tables]
        if not picked:
            return None
        by_depth: dict[int, list[tuple[str, list[str]]]] = {}
        for n, cols in picked:
            by_depth.setdefault(n.count("."), []).append((n, cols))
        group = max(by_depth.values(), key=len)
        key = (dialect, tuple((n, tuple(c)) for n, c in group))
        if key in self._cache:
            return self._cache[key]
        nested: dict[str, Any] = {}
        for n, cols in group:
            parts = n.split(".")
            d = nested
            for p in parts[:-1]:
                d = d.setdefault(p, {})
            d[parts[-1]] = {c: "UNKNOWN" for c in cols}
        try:
            ms: MappingSchema | None = MappingSchema(nested, dialect=dialect)
        except Exception:
            ms = None
        self._cache[key] = ms
        return ms


@dataclass
class Session:
    """One script's analysis: what every statement handler reads and updates."""

    dialect: str | None
    schema: SchemaStore
    temps: set[str] = field(default_factory=set)
    # the text the current tree was parsed from (token offsets point into it)
    text: str = ""
