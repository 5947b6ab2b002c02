"""The navigation and the footer of every page, written once per kind of visitor and
language in each process, not once per request.

Both are the same for everyone of a kind: the nav for (logged in, organizer, treasurer,
captain, in a team or invited to one and how many times), the footer for (logged in); the
language, the script prefix and the settings they read never change within a process (a test
that changes a setting clears what is kept). What differs per request goes in afterwards: the
CSRF token of the log-out and language forms, and the address the language form returns to.
"""

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .team_tags import _team_standing

register = template.Library()

# A real token's length and alphabet, so the markup around it is the same.
CSRF_PLACEHOLDER = "FrameCsrfTokenPlaceholder" + "x" * 39
PATH_PLACEHOLDER = "FramePathPlaceholder"
MOST_KEPT = 2000  # kinds of visitor x languages: a few dozen in practice

_kept: dict[tuple, str] = {}


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    _kept.clear()


def _written(key: tuple, template_name: str, context: dict) -> str:
    html = _kept.get(key)
    if html is None:
        if len(_kept) >= MOST_KEPT:
            _kept.clear()
        html = _kept[key] = render_to_string(template_name, context)
    return html


def _with_token(html: str, request) -> str:
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, str(get_token(request)))
    return html


@register.simple_tag(takes_context=True)
def site_nav(context):
    """``partials/_nav.html`` for this visitor."""
    user = context.get("user")
    nav = context.get("nav") or {}
    request = context.get("request")
    if request is None:  # rendered outside a request: nothing to keep
        return render_to_string("partials/_nav.html", context.flatten())
    authenticated = bool(user is not None and user.is_authenticated)
    flags = (bool(nav.get("organizer")), bool(nav.get("treasurer")), bool(nav.get("captain")))
    # The Teams link: always there for organizers and captains, else as the standing says.
    standing = (_team_standing(user) if authenticated and not (flags[0] or flags[2])
                else None)
    key = ("nav", translation.get_language(), get_script_prefix(), authenticated, flags,
           standing)
    html = _written(key, "partials/_nav.html", {
        "user": user, "nav": nav, "csrf_token": CSRF_PLACEHOLDER})
    return mark_safe(_with_token(html, request))  # noqa: S308 (rendered with autoescape)


@register.simple_tag(takes_context=True)
def site_footer(context):
    """``partials/_footer.html`` (contacts, the language form) for this visitor."""
    user = context.get("user")
    request = context.get("request")
    if request is None:  # rendered outside a request: nothing to keep
        return render_to_string("partials/_footer.html", {**context.flatten(), "full_path": ""})
    authenticated = bool(user is not None and user.is_authenticated)
    key = ("footer", translation.get_language(), get_script_prefix(), authenticated)
    html = _written(key, "partials/_footer.html", {
        "user": user, "csrf_token": CSRF_PLACEHOLDER, "full_path": PATH_PLACEHOLDER,
        "HOTLINE": context.get("HOTLINE"), "COALITION": context.get("COALITION")})
    html = html.replace(PATH_PLACEHOLDER, escape(request.get_full_path()))
    return mark_safe(_with_token(html, request))  # noqa: S308 (rendered with autoescape)
