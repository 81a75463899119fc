"""The API's one JSON parser: every JSON body is read here, so the limits below hold for every
endpoint. A body larger than DATA_UPLOAD_MAX_MEMORY_SIZE is a 413; nesting deeper than
API_JSON_MAX_DEPTH is a 400 (Python's parser would otherwise run out of stack, a 500); and a
string holding U+0000 or a lone surrogate is a 400 naming where it is, because PostgreSQL
cannot store either in text and such a value would fail later, far from the request."""

from __future__ import annotations

import re

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

from core.errors import Invalid, TooLarge

DEFAULT_MAX_DEPTH = 64
# Characters no database text column holds: NUL, and lone surrogates (no UTF-8 for them).
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def max_body_bytes() -> int | None:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def too_large(limit: int) -> TooLarge:
    return TooLarge(
        f"The request body is larger than the limit of {limit:,} bytes; split it into "
        "several requests.",
        limit=limit,
    )


def unstorable_character(text: str) -> str | None:
    """A sentence naming the first character of `text` no database text column can hold."""
    match = UNSTORABLE.search(text)
    if match is None:
        return None
    char = match.group()
    if char == "\x00":
        return "Null characters (U+0000) are not allowed."
    return f"Unpaired surrogate characters are not allowed (U+{ord(char):04X})."


def check_json(data, max_depth: int) -> None:
    """Walk a parsed body without recursion: refuse a depth beyond `max_depth` and strings (keys
    included) that cannot be stored."""
    stack = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            problem = unstorable_character(value)
            if problem:
                raise Invalid.at(path, problem)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > max_depth:
            raise Invalid.at(path, f"The JSON is nested more than {max_depth} levels deep.")
        if isinstance(value, dict):
            for key, item in value.items():
                problem = unstorable_character(key)
                if problem:
                    raise Invalid.at(path, f"A key: {problem}")
                stack.append((item, f"{path}.{key}" if path else key, depth + 1))
        else:
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_body_bytes()
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise too_large(limit)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(f"The body is not UTF-8: {exc.reason} at byte {exc.start}.") from None
        parse_constant = json.strict_constant if self.strict else None
        try:
            data = json.loads(text, parse_constant=parse_constant)
        except RecursionError:
            data = None
            depth_error = True
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        else:
            depth_error = False
        max_depth = getattr(settings, "API_JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH)
        if depth_error:
            raise Invalid(f"The JSON is nested more than {max_depth} levels deep.")
        check_json(data, max_depth)
        return data
