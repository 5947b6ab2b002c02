"""View guards: anonymous visitors are sent to log in, the wrong role gets 403; public pages
may be cached for anonymous visitors only."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers

PUBLIC_MAX_AGE = 60


def role_required(predicate):
    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return guarded

    return decorator


def public_cache(view):
    """Pages for anonymous visitors may be kept for a minute by browsers and shared caches
    (keyed on Cookie); a page for a logged-in person, or one carrying a message, never is."""

    @wraps(view)
    def cached(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        personal = (
            request.user.is_authenticated
            or len(messages.get_messages(request))
            or response.cookies  # e.g. a CSRF or language cookie: never share it
        )
        if personal or response.status_code != 200:
            add_never_cache_headers(response)
        else:
            patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        patch_vary_headers(response, ["Cookie"])
        return response

    return cached
