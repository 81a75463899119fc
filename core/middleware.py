"""Request ids (taken from X-Request-ID when a caller sends one, returned on every response and
written into each audit record the request causes), the language of the web pages, and the one
trailing-slash rule of the API."""

import re
import uuid

from django.conf import settings
from django.http import JsonResponse
from django.middleware import common
from django.middleware.locale import LocaleMiddleware
from django.utils import timezone, translation

from core.api.errors import error_body

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
