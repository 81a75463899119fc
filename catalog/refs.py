"""Field and dataset references as users type them: `pos:sales.transactions.amount`.

The column is what follows the last dot; a column whose name holds a dot is written in double
quotes (`pos:files.events."payload.id"`, a quote inside doubled). Pure: no Django here."""

from __future__ import annotations

import re
from dataclasses import dataclass

SYSTEM_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class RefError(ValueError):
    """A reference that cannot be read; the message says why."""


@dataclass(frozen=True)
class DatasetRef:
    system: str
    dataset: str

    def __str__(self) -> str:
        return f"{self.system}:{self.dataset}"


@dataclass(frozen=True)
class FieldRef:
    system: str
    dataset: str
    column: str

    @property
    def dataset_ref(self) -> DatasetRef:
        return DatasetRef(self.system, self.dataset)

    def __str__(self) -> str:
        return format_field_ref(self.system, self.dataset, self.column)


def quote_column(column: str) -> str:
    if "." in column or '"' in column or column != column.strip():
        return '"' + column.replace('"', '""') + '"'
    return column


def format_field_ref(system: str, dataset: str, column: str) -> str:
    return f"{system}:{dataset}.{quote_column(column)}"


def _split_system(text: str, what: str) -> tuple[str, str]:
    if not isinstance(text, str):
        raise RefError(f"a {what} reference must be a string")
    text = text.strip()
    system, sep, rest = text.partition(":")
    if not sep:
        raise RefError(f"{text!r} is not a {what} reference: expected '<system>:…'")
    system = system.strip().lower()
    if not SYSTEM_KEY_RE.match(system):
        raise RefError(
            f"{system!r} is not a valid system key (lower-case letters, digits, - and _)"
        )
    return system, rest


def parse_dataset_ref(text: str) -> DatasetRef:
    system, rest = _split_system(text, "dataset")
    dataset = rest.strip().lower()
    if not _valid_dataset(dataset):
        raise RefError(f"{text!r} has no valid dataset name after the system key")
    return DatasetRef(system, dataset)


def _valid_dataset(name: str) -> bool:
    # The same shape Dataset.clean() accepts: no leading or trailing dot, no empty part.
    return bool(name) and not name.startswith(".") and not name.endswith(".") and ".." not in name


def parse_field_ref(text: str) -> FieldRef:
    """`pos:sales.transactions.amount` -> FieldRef("pos", "sales.transactions", "amount")."""
    system, rest = _split_system(text, "field")
    rest = rest.strip()
    if rest.endswith('"'):
        column, start = _read_quoted_from_end(rest, text)
        if start == 0 or rest[start - 1] != ".":
            raise RefError(f"{text!r}: a quoted column must follow '<dataset>.'")
        dataset = rest[: start - 1]
        column = column.lower()
    else:
        dataset, dot, column = rest.rpartition(".")
        if not dot:
            raise RefError(
                f"{text!r} is not a field reference: expected '<system>:<dataset>.<column>'"
            )
        if '"' in column:
            raise RefError(f"{text!r}: a column holding quotes must be quoted whole")
        if '."' in rest:
            # `ds."payload.id` : an opening quote whose closing quote is missing.
            raise RefError(f"{text!r}: unbalanced double quote in the column name")
        column = column.strip().lower()
    dataset = dataset.strip().lower()
    if not _valid_dataset(dataset):
        raise RefError(f"{text!r} has no valid dataset name")
    if not column:
        raise RefError(f"{text!r} has an empty column name")
    return FieldRef(system, dataset, column)


def _read_quoted_from_end(rest: str, original: str) -> tuple[str, int]:
    """Read a double-quoted column at the end of `rest`; return it and its start index."""
    i = len(rest) - 2
    chars: list[str] = []
    while i >= 0:
        ch = rest[i]
        if ch == '"':
            if i > 0 and rest[i - 1] == '"':
                chars.append('"')
                i -= 2
                continue
            return "".join(reversed(chars)), i
        chars.append(ch)
        i -= 1
    raise RefError(f"{original!r}: unbalanced double quote in the column name")
