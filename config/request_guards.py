"""Refuse a request whose address holds a NUL byte or another control character (400), or
a number too long to be any row's id (404).

Such an address is never a link Rally wrote: PostgreSQL refuses NUL in any text it is
asked to compare (a calendar token, a ``?kind=`` or ``?q=`` filter), which answered 500, and
control characters have no meaning in a path. Checked once, here, for every page, logged in
or not, before any view or cache sees the request."""

import re
from urllib.parse import unquote

from django.http import HttpResponseBadRequest, HttpResponseNotFound
from django.utils.translation import gettext as _

# C0 controls and DEL. Tab, line feed and carriage return are refused too: none belongs in a
# path or a filter, and an encoded line break in ``?next=`` is how header injection starts.
FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")
# A number in the path longer than any row id (``bigint`` has 19 digits): ``<int:pk>`` takes
# it, and SQLite raises OverflowError looking it up instead of "not found".
HUGE_NUMBER = re.compile(r"\d{19,}")


def address_is_hostile(path: str, query_string: str) -> bool:
    decoded_query = unquote(query_string.replace("+", " "), errors="replace")
    return bool(FORBIDDEN.search(path) or FORBIDDEN.search(decoded_query))


class RefuseControlCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if address_is_hostile(request.path, request.META.get("QUERY_STRING", "")):
            return HttpResponseBadRequest(
                _("This address holds a control character (such as NUL) and cannot be "
                  "opened."),
                content_type="text/plain; charset=utf-8",
            )
        if HUGE_NUMBER.search(request.path):
            return HttpResponseNotFound(_("Not found."), content_type="text/plain; charset=utf-8")
        return self.get_response(request)
