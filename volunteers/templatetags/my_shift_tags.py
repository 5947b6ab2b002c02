"""My shifts: the cards of the upcoming places and the rows of the past shifts, written by
``volunteers.my_shift_cards`` (see there why)."""

from django import template

from ..my_shift_cards import MyShiftCards

register = template.Library()


def cards_for(context) -> MyShiftCards:
    """One ``MyShiftCards`` per rendered page, so its caches serve every tag on it."""
    cards = context.render_context.get(MyShiftCards)
    if cards is None:
        cards = context.render_context[MyShiftCards] = MyShiftCards()
    return cards


@register.simple_tag(takes_context=True)
def my_shift_cards(context, signups):
    """A card for each upcoming sign-up."""
    return cards_for(context).cards(signups)


@register.simple_tag(takes_context=True)
def my_shift_card(context, signup):
    """One card: the htmx answer after cancelling (with its ``notice``) and the shift's own
    page (``on_shift_page``: no link to itself)."""
    return cards_for(context).card(
        signup,
        notice=context.get("notice") or "",
        notice_level=context.get("notice_level") or "",
        on_shift_page=bool(context.get("on_shift_page")),
    )


@register.simple_tag(takes_context=True)
def past_shift_rows(context, signups):
    """The rows of the past-shifts table."""
    return cards_for(context).past_rows(signups)
