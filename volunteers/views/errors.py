"""Error pages (400, 404, 500) with the hotline, the coalition and a way home, in the reader's
language. They are rendered from settings alone: no context processors, no database, no
session, so that a broken database or a bad request still gets a helpful page."""

from django.conf import settings
from django.http import (
    HttpResponseBadRequest,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.views.decorators.csrf import requires_csrf_token


def error_context() -> dict:
    try:
        stylesheet = static("css/rally.css")
    except ValueError:  # a missing manifest entry must not turn a 404 into a 500
        stylesheet = None
    try:
        home_url = reverse("home")
    except NoReverseMatch:
        home_url = "/"
    return {
        "SITE_NAME": settings.SITE_NAME,
        "COALITION": settings.COALITION,
        "HOTLINE": settings.HOTLINE,
        "LANGUAGE_CODE": translation.get_language() or settings.LANGUAGE_CODE,
        "stylesheet": stylesheet,
        "home_url": home_url,
    }


@requires_csrf_token
def bad_request(request, exception=None):
    return HttpResponseBadRequest(render_to_string("400.html", error_context()))


@requires_csrf_token
def page_not_found(request, exception=None):
    return HttpResponseNotFound(render_to_string("404.html", error_context()))


@requires_csrf_token
def server_error(request):
    return HttpResponseServerError(render_to_string("500.html", error_context()))
