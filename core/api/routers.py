"""The one router of the API: every URL ends in a slash, and only there. REST framework's
default also answers `systems.json` and `systems.json/` (format suffixes, with an optional
slash): a second spelling of every URL that nobody documents. `?format=json` still works."""

from rest_framework.routers import DefaultRouter


class Router(DefaultRouter):
    include_format_suffixes = False
