"""No page meant for one person is kept by a browser's disk cache or a shared cache.

Views that know how they may be cached say so themselves (public pages for anonymous visitors:
``access.public_cache``; calendar files: ``events.feeds.calendar_response``). Every other
response that depends on who is asking — the session was read or written, so the user was
looked up, or a cookie is being set — gets ``Cache-Control: private, no-store``: profiles, My
shifts, rosters and their CSV, the calendar page with its secret feed address, forms carrying
a CSRF token. Doing it here, once, means a new private page cannot forget it.
"""

from django.utils.cache import patch_cache_control


class PrivatePagesMiddleware:
    """Sits just inside SessionMiddleware, so that it sees whether the view touched the
    session (``request.user`` does) before the session cookie is written."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        session = getattr(request, "session", None)
        personal = bool(
            (session is not None and (session.accessed or session.modified))
            or response.cookies
        )
        if personal:
            patch_cache_control(response, private=True, no_store=True)
        return response
