"""One-time form tokens: the same create form submitted twice creates once.

A create form carries a hidden ``form_token`` (a random UUID issued when the form is
rendered). ``save_once`` inserts the token as a ``FormToken`` row in the same transaction as
the create; the row is unique per person and token, so a second submission of that form (a
double click, the back button, a retry after a slow answer) finds the token taken and is sent
to what the first submission created, and nothing new is saved. When the create is refused
(a service's EventError), the transaction rolls the token back too, so the corrected form can
be sent again with it. On PostgreSQL two simultaneous submissions meet at the unique index:
the second waits for the first to commit, then finds its row.

A post without a token (an old page, a script) is handled as before, without this guard."""

import uuid
from collections.abc import Callable

from django import forms
from django.db import IntegrityError, transaction

from .models import FormToken

FIELD = "form_token"


def add_token_field(form: forms.BaseForm) -> None:
    """Give ``form`` its hidden one-time token, a new one on each unbound form."""
    form.fields[FIELD] = forms.UUIDField(required=False, widget=forms.HiddenInput)
    if not form.is_bound:
        form.initial[FIELD] = uuid.uuid4()


def save_once(*, user, form: forms.BaseForm, create: Callable[[], str]) -> tuple[str, bool]:
    """Run ``create`` (which saves and returns the address of what it made) unless this
    form's token was already used; return that address and whether it was created now.
    ``create``'s exceptions propagate, and leave the token unused."""
    token = form.cleaned_data.get(FIELD)
    if token is None:
        return create(), True
    with transaction.atomic():
        try:
            with transaction.atomic():
                claim = FormToken.objects.create(user=user, token=token)
        except IntegrityError:
            earlier = FormToken.objects.get(user=user, token=token)
            return earlier.result_url, False
        url = create()
        claim.result_url = url
        claim.save(update_fields=["result_url"])
    return url, True
