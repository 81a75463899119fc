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
