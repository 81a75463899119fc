"""Words a user can act on: a refused choice lists the allowed values, wherever it is refused (a
body's field, a query parameter), and every API URL follows one trailing-slash rule."""

from __future__ import annotations

import importlib
import pkgutil

from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from rest_framework import serializers

from tests.personas import PersonaTestCase

APPS = ("core", "catalog", "lineage", "governance", "consult", "vendors", "workspace")
NOT_A_CHOICE = "maybe-not-a-choice"


def _import_api_modules() -> None:
    for app in APPS:
        try:
            package = importlib.import_module(f"{app}.api")
        except ModuleNotFoundError:
            continue
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{app}.api.{info.name}")


def _our_serializer_classes() -> list[type]:
    _import_api_modules()
    seen, todo = set(), [serializers.BaseSerializer]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return sorted(
        (c for c in seen if c.__module__.split(".")[0] in APPS),
        key=lambda c: f"{c.__module__}.{c.__qualname__}",
    )


def _choice_fields(serializer, prefix: str = ""):
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, serializers.ListSerializer):
            field = field.child
        if isinstance(field, serializers.ListField):
            field = field.child
        if isinstance(field, serializers.ChoiceField):
            yield f"{prefix}{name}", field
        elif isinstance(field, serializers.Serializer):
            yield from _choice_fields(field, f"{prefix}{name}.")


def _list_routes():
    """(name, view class) of every API route that takes no argument."""

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns)
            elif isinstance(p, URLPattern) and (p.name or "").endswith("-list"):
                yield p.name, getattr(p.callback, "cls", None)

    for name, cls in walk(get_resolver().url_patterns):
        try:
            path = reverse(name)
        except NoReverseMatch:  # a list under another object (a definition's versions)
            continue
        if path.startswith("/api/v1/"):
            yield path, cls


class ChoiceErrorTests(PersonaTestCase):
    def test_every_choice_a_request_body_takes_lists_the_allowed_values_when_refused(self):
        checked = 0
        for cls in _our_serializer_classes():
            try:
                serializer = cls()
                fields = list(_choice_fields(serializer))
            except Exception:  # a serializer that needs arguments has no choice of its own
                continue
            for name, field in fields:
                with self.subTest(serializer=cls.__qualname__, field=name):
                    with self.assertRaises(serializers.ValidationError) as caught:
                        field.run_validation(
                            [NOT_A_CHOICE]
                            if isinstance(field, serializers.MultipleChoiceField)
                            else NOT_A_CHOICE
                        )
                    message = str(caught.exception.detail[0])
                    allowed = ", ".join(str(k) for k in field.choices)
                    self.assertEqual(
                        message,
                        f'"{NOT_A_CHOICE}" is not a valid choice; choose one of: {allowed}.',
                    )
                    checked += 1
        self.assertGreater(checked, 20)

    def test_every_choice_a_query_parameter_takes_lists_the_allowed_values_when_refused(self):
        checked = 0
        client = self.as_(self.admin)
        for path, view in _list_routes():
            filterset_class = getattr(view, "filterset_class", None)
            if filterset_class is None:
                continue
            for name, filter_ in filterset_class.base_filters.items():
                choices = filter_.extra.get("choices")
                if choices is None:
                    continue
                with self.subTest(path=path, parameter=name):
                    response = client.get(path, {name: NOT_A_CHOICE})
                    self.assertEqual(response.status_code, 400, response.content)
                    allowed = ", ".join(str(value) for value, _ in choices)
                    self.assertEqual(
                        response.json()["errors"],
                        [
                            {
                                "path": name,
                                "message": f'"{NOT_A_CHOICE}" is not a valid choice; '
                                f"choose one of: {allowed}.",
                            }
                        ],
                    )
                    checked += 1
        self.assertGreater(checked, 15)

    def test_a_refused_choice_in_a_request_names_the_choices_in_the_message(self):
        response = self.as_(self.engineer).post(
            "/api/v1/catalog/systems/", {"key": "app", "name": "App", "kind": "spreadsheet"}
        )
        self.assertEqual(response.status_code, 400)
        message = response.json()["message"]
        self.assertTrue(message.startswith('kind: "spreadsheet" is not a valid choice; choose'))
        self.assertIn("choose one of: crm, pos, orders, membership,", message)


def _api_patterns():
    """The regular expression of every API route, whole (prefixes joined)."""

    def walk(patterns, prefix):
        for p in patterns:
            text = prefix + str(p.pattern.regex.pattern).lstrip("^")
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, text.rstrip("$").rstrip("\\Z"))
            else:
                yield text

    for pattern in walk(get_resolver().url_patterns, ""):
        if pattern.startswith("api/"):
            yield pattern


class TrailingSlashTests(PersonaTestCase):
    def test_every_api_url_ends_in_a_slash_and_only_there(self):
        for pattern in _api_patterns():
            with self.subTest(pattern=pattern):
                core = pattern.removesuffix("\\Z").removesuffix("$")
                self.assertTrue(core.endswith("/"), pattern)
                self.assertFalse(core.endswith("/?"), pattern)

    def test_a_read_without_the_slash_is_redirected_to_the_url_with_it(self):
        response = self.as_(self.engineer).get("/api/v1/catalog/systems?kind=pos")
        self.assertEqual(response.status_code, 301)
        self.assertEqual(response["Location"], "/api/v1/catalog/systems/?kind=pos")

    def test_the_definition_sources_url_ends_in_a_slash_and_the_old_one_redirects(self):
        old = self.as_(self.consumer).get("/api/v1/consult/definitions/nothing/sources")
        self.assertEqual(old.status_code, 301)
        self.assertEqual(old["Location"], "/api/v1/consult/definitions/nothing/sources/")
        new = self.as_(self.consumer).get(old["Location"])
        self.assertEqual(new.status_code, 404)
        self.assertEqual(new.json()["code"], "not_found")

    def test_a_write_without_the_slash_is_a_404_naming_the_url_with_it(self):
        for debug in (False, True):
            with self.subTest(debug=debug), self.settings(DEBUG=debug):
                response = self.as_(self.engineer).post(
                    "/api/v1/catalog/systems", {"key": "app", "name": "App"}
                )
                self.assertEqual(response.status_code, 404)
                self.assertEqual(
                    response.json()["message"],
                    "No API endpoint at /api/v1/catalog/systems; API URLs end in a slash: "
                    "POST to /api/v1/catalog/systems/.",
                )

    def test_a_format_suffix_is_not_an_alias_of_an_api_url(self):
        response = self.as_(self.engineer).get("/api/v1/catalog/systems.json")
        self.assertEqual(response.status_code, 404)
