"""The "Raised so far" box (templates/events/partials/_raised.html) on a fundraiser's event page
and on the home page, without the views that render those pages knowing of it: its figures
are kept in the cache per change of the public pages (donations/public.py), so the box costs
those pages no query once its figures are kept."""

from django import template
from django.contrib.auth.models import AnonymousUser

from ..public import RaisedBox, home_raised_box, raised_box

register = template.Library()


@register.simple_tag(takes_context=True)
def raised_box_for(context, event=None) -> RaisedBox | None:
    """``{% raised_box_for event as raised %}``: the box of ``event``, or with no event the
    home page's (the current or most recent fundraiser this visitor may see)."""
    if event is not None:
        return raised_box(event)
    return home_raised_box(user=context.get("user") or AnonymousUser())
