"""``{% reminder_status user as reminders %}``: whether this volunteer gets shift reminders,
and if not, why (used by ``volunteers/partials/_reminder_notice.html``)."""

import re

from django import template

register = template.Library()


@register.filter
def tel_uri(phone: str) -> str:
    """``tel:`` link target for a phone number as people write it: "(559) 555-0142"."""
    return "tel:" + re.sub(r"[^0-9+]", "", phone or "")


@register.simple_tag
def reminder_status(user) -> dict:
    from ..messaging.render import has_verified_email

    if not getattr(user, "is_authenticated", False):
        return {"on": False, "reason": None}
    if not user.reminders_enabled:
        return {"on": False, "reason": "off"}
    if not has_verified_email(user):
        return {"on": False, "reason": "unverified"}
    return {"on": True, "reason": None}
