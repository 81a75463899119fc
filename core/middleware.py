"""Request ids (taken from X-Request-ID when a caller sends one, returned on every response and
written into each audit record the request causes), the language of the web pages, the one
trailing-slash rule of the API, and the retry of API requests that failed for reasons not their
own (ApiRetryMiddleware)."""

import random
import re
import time
import uuid

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import JsonResponse
from django.middleware import common
from django.middleware.locale import LocaleMiddleware
from django.utils import timezone, translation

from core.api.errors import error_body, is_contention, sqlstate
from core.api.parsers import max_body_bytes, too_large, unstorable_character
from core.errors import Invalid

_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class PageLocaleMiddleware(LocaleMiddleware):
    """The language of the web pages: the user's choice (`set_language`), else the browser's
    Accept-Language (zh-TW and zh-Hant read as Traditional Chinese). The API under /api/ stays
    in English whatever the client sends: its messages are for programs and their logs."""

    def process_request(self, request):
        if request.path_info.startswith("/api/"):
            translation.activate(settings.API_LANGUAGE_CODE)
            timezone.deactivate()  # a worker thread may have served a page before
            request.LANGUAGE_CODE = translation.get_language()
            return
        # Times on the pages are the retailer's local time; the API answers in UTC.
        timezone.activate(settings.PAGE_TIME_ZONE)
        super().process_request(request)

    def process_response(self, request, response):
        if request.path_info.startswith("/api/"):
            return response
        return super().process_response(request, response)


class CommonMiddleware(common.CommonMiddleware):
    """Django's, with the API's rule: every URL ends in a slash. A read without it is redirected
    (301) to the URL with it, as Django does; a write is a 404 naming that URL, because a
    redirect would lose its body (and Django's own answer, with DEBUG on, is a 500)."""

    def process_response(self, request, response):
        if (
            response.status_code == 404
            and request.path_info.startswith("/api/")
            and request.method not in ("GET", "HEAD")
            and self.should_redirect_with_slash(request)
        ):
            message = (
                f"No API endpoint at {request.path}; API URLs end in a slash: "
                f"{request.method} to {request.path}/."
            )
            return JsonResponse(error_body(404, "not_found", message), status=404)
        return super().process_response(request, response)


class ApiRetryMiddleware:
    """Runs each API view itself (the last middleware's `process_view`) so that a failure that is
    not the request's fault is retried where the request began, before anything was sent:

    - a deadlock or serialization failure (or SQLite's busy database) on a write: the write's
      transaction was rolled back whole, so it runs again, at most API_WRITE_ATTEMPTS times,
      after a short random pause; if it still collides, a 409 `busy` in the error shape;
    - a database connection that dropped (a restarted or failed-over server, a terminated
      backend): the connection is discarded and the request runs once more on a new one.

    A retried request must be readable twice, so its body is read here first; a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE is refused here, as a 413 in the error shape. A query parameter
    holding U+0000 (which no filter can send to PostgreSQL) is a 400 here too, as in bodies
    (core.api.parsers)."""

    SAFE = frozenset({"GET", "HEAD", "OPTIONS"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.path_info.startswith("/api/"):
            return None
        for key, values in request.GET.lists():
            for text in (key, *values):
                problem = unstorable_character(text)
                if problem:
                    error = Invalid.at(key, problem)
                    return JsonResponse(error.as_dict(), status=error.status)
        if request.method not in self.SAFE:
            try:
                request.body  # noqa: B018  (read once, so a retry can read it again)
            except RequestDataTooBig:
                error = too_large(max_body_bytes() or 0)
                return JsonResponse(error.as_dict(), status=error.status)
        attempts = getattr(settings, "API_WRITE_ATTEMPTS", 3)
        reconnected = False
        attempt = 1
        while True:
            try:
                return view_func(request, *view_args, **view_kwargs)
            except DatabaseError as exc:
                retry = _retry_kind(exc)
                if retry == "dropped":
                    _discard_connections()
                    if not reconnected:
                        reconnected = True
                        continue
                    # Lost twice in one request: the database is going away; say so (503, to
                    # retry later) rather than fail as if the request were at fault.
                    body = error_body(
                        503,
                        "database_unavailable",
                        "The database connection was lost twice during this request; nothing "
                        "of it was applied unless a later read shows it. Retry shortly.",
                    )
                    return JsonResponse(body, status=503, headers={"Retry-After": "1"})
                if retry == "contention" and request.method not in self.SAFE:
                    if attempt < attempts:
                        attempt += 1
                        time.sleep(random.uniform(0.01, 0.05) * attempt)
                        continue
                    body = error_body(
                        409,
                        "busy",
                        "The request collided with simultaneous changes to the same objects "
                        f"{attempts} times and was not applied; retry it.",
                    )
                    return JsonResponse(body, status=409)
                raise


def _retry_kind(exc) -> str | None:
    live = connections.all(initialized_only=True)
    if any(conn.in_atomic_block for conn in live):
        return None  # an outer transaction (a test's) decides, not this request
    if is_contention(exc):
        return "contention"
    state = sqlstate(exc)
    if state.startswith("08") or state in ("57P01", "57P02", "57P03"):
        return "dropped"
    if isinstance(exc, OperationalError | InterfaceError) and not state:
        # No SQLSTATE: the client lost the server ("server closed the connection unexpectedly",
        # "the connection is closed"); Django may already have thrown the connection away.
        return "dropped"
    if any(conn.connection is not None and not conn.is_usable() for conn in live):
        return "dropped"
    return None


def _discard_connections() -> None:
    for conn in connections.all(initialized_only=True):
        if conn.connection is None or not conn.is_usable():
            conn.close()
