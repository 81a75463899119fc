"""Pages that span apps: the caller's home (what awaits them, by role) and the one search."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from core.pages import PageMixin
from workspace import search as search_service
from workspace.home import home_for


class HomeView(PageMixin, TemplateView):
    template_name = "workspace/home.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **home_for(self.request.user)}


class SearchView(PageMixin, TemplateView):
    template_name = "workspace/search.html"

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", "")
        kind = self.request.GET.get("kind", "")
        hits = search_service.search(self.request.user, query)
        counts: dict[str, int] = {}
        for hit in hits:
            counts[hit.kind] = counts.get(hit.kind, 0) + 1
        if kind in search_service.KINDS:
            hits = [h for h in hits if h.kind == kind]
        else:
            kind = ""
        return {
            **super().get_context_data(**kwargs),
            "search_query": query,
            "kind": kind,
            "kinds": [(k, label, counts.get(k, 0)) for k, label in search_service.KINDS.items()],
            "hits": hits,
            "breadcrumbs": [(_("Search"), "")],
        }
