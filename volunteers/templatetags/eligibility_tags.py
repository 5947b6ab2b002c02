"""``{% eligibility_panel days needs %}``: on the event page, before the shifts, work out once
which of them the viewer can take, and say once what every shift asks and the viewer lacks
(volunteers.shift_rows.ShiftRows.eligibility_panel)."""

from django import template

from .shift_tags import shift_rows_for

register = template.Library()


@register.simple_tag(takes_context=True)
def eligibility_panel(context, days, needs):
    return shift_rows_for(context).eligibility_panel(days, needs)
