"""The page frame every web page shares: navigation by role (each app registers its entries in
its AppConfig.ready(), so core never imports the apps above it), the caller's roles, and the
helpers page views use to turn a domain error into messages next to the fields they concern.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.choices import Role
from core.errors import DomainError

ALL_ROLES = frozenset(Role.values)


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation: shown to users holding one of `roles`."""

    key: str
    label: str
    url_name: str
    roles: frozenset[str] = ALL_ROLES
    order: int = 50

    @property
    def url(self) -> str:
        return reverse(self.url_name)


_NAV: dict[str, NavItem] = {}


def register_nav(*items: NavItem) -> None:
    for item in items:
        _NAV[item.key] = item


def roles_of(user) -> frozenset[str]:
    """The governance roles of a user (an administrator holds every role)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    if user.is_superuser:
        return ALL_ROLES
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True)) & ALL_ROLES
        user._role_names = cached
    return cached


def nav_for(user) -> list[NavItem]:
    roles = roles_of(user)
    return sorted((i for i in _NAV.values() if i.roles & roles), key=lambda i: (i.order, i.key))


ROLE_LABELS = {
    Role.COMMITTEE: _("Committee member"),
    Role.STEWARD: _("Data steward"),
    Role.ENGINEER: _("Data engineer"),
    Role.VENDOR: _("Vendor"),
    Role.CONSUMER: _("Consuming service"),
}


def frame(request) -> dict:
    """Context processor: what the base template needs on every page."""
    if request.path_info.startswith("/api/"):
        return {}
    user = getattr(request, "user", None)
    roles = roles_of(user)
    if user is not None and user.is_superuser:
        labels = [str(_("Administrator"))]
    else:
        labels = [str(ROLE_LABELS[r]) for r in Role.values if r in roles]
    current = request.resolver_match.url_name if request.resolver_match else ""
    nav = nav_for(user)
    return {
        "nav_items": nav,
        "nav_current": next((i.key for i in nav if i.url_name == current), ""),
        "user_role_labels": labels,
    }


class PageMixin(LoginRequiredMixin):
    """A signed-in page. What the caller may not read is a 404 (raised by the view), what it
    may read but not change a 403, as in the API."""


def apply_error(form: forms.Form, exc: Exception, prefix: str = "") -> None:
    """Show a refusal next to the field it concerns: a DomainError's items by their `path`, a
    Django ValidationError's by field name; anything not naming a form field goes on top."""
    if isinstance(exc, DomainError):
        items = exc.errors or [{"path": "", "message": exc.message}]
        pairs = [(item.get("path", ""), item["message"]) for item in items]
    elif isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            pairs = [(k, m) for k, messages in exc.message_dict.items() for m in messages]
        else:
            pairs = [("", m) for m in exc.messages]
    else:
        raise exc
    for path, message in pairs:
        name = path.removeprefix(prefix).split(".")[0].split("[")[0] if path else ""
        form.add_error(name if name in form.fields else None, message)


def breadcrumbs(*pairs) -> list[tuple[str, str]]:
    """[(label, url), ...] for the frame's breadcrumb trail (the last is the current page)."""
    return [(str(label), url) for label, url in pairs]
