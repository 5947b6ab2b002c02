from django import template

from ..money import format_cents, plain_cents

register = template.Library()


@register.filter
def cents(value) -> str:
    """{{ amount_cents|cents }} -> $1,234.56"""
    return format_cents(value)


@register.filter
def cents_plain(value) -> str:
    """{{ amount_cents|cents_plain }} -> 1234.56 (form fields, CSV)"""
    return "" if value is None else plain_cents(value)
