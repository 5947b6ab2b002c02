"""The acknowledgment pages (treasurers only): the list of gifts that need a written
acknowledgment, missing ones first and marked; a gift's page (send by email through the
outbox, or print a letter); the printable letter and "Record as sent by letter".

Each gift is acknowledged once: a second attempt answers 409 and says when and how it went.
A bad address or language answers 422 with the error at its field and nothing saved."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from volunteers.access import role_required

from ..acknowledgments import (
    GIFT_KINDS,
    AlreadyAcknowledged,
    Gift,
    gift_get,
    gifts_to_acknowledge,
    letter_context,
    missing_count,
    threshold_cents,
)
from ..acknowledgments import acknowledgment_record as record
from ..forms_ack import (
    AcknowledgmentFilterForm,
    EmailAcknowledgmentForm,
    LetterAcknowledgmentForm,
)
from ..ledger import MoneyError
from ..models import Acknowledgment
from ..money import format_cents
from ..rules import can_handle_money

INVALID = 422
CONFLICT = 409
GIFTS_PER_PAGE = 50

treasurers_only = role_required(can_handle_money)


def _gift_or_404(kind: str, pk: int) -> Gift:
    if kind not in GIFT_KINDS:
        raise Http404
    gift = gift_get(kind, pk)
    if gift is None:
        raise Http404
    return gift


def _list_url(gift: Gift) -> str:
    return f"{reverse('money_acknowledgments')}?{urlencode({'event': gift.event.pk})}"


def _show_error(form, error: MoneyError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


# --- The list ------------------------------------------------------------------------------


@treasurers_only
@require_http_methods(["GET", "HEAD"])
def acknowledgment_list(request):
    """Every gift that needs an acknowledgment (of one drive with ?event=), missing ones first
    and marked, then those sent: how, when, by whom. Paginated; a constant number of
    queries however many gifts."""
    form = AcknowledgmentFilterForm(request.GET or None)
    event, show = None, "all"
    if form.is_bound and form.is_valid():
        event = form.cleaned_data["event"]
        show = form.cleaned_data["show"] or "all"
    gifts = gifts_to_acknowledge(event=event)
    missing = missing_count(gifts)
    if show == "missing":
        shown = [gift for gift in gifts if gift.missing]
    elif show == "sent":
        shown = [gift for gift in gifts if not gift.missing]
    else:
        shown = gifts
    page = Paginator(shown, GIFTS_PER_PAGE).get_page(request.GET.get("page"))
    query = {key: value for key, value in (("event", event.pk if event else ""),
                                           ("show", show if show != "all" else "")) if value}
    return render(request, "donations/money/acknowledgments/list.html", {
        "form": form, "event": event, "show": show, "page": page, "gifts": page.object_list,
        "needed": len(gifts), "missing": missing, "threshold_cents": threshold_cents(),
        "query": urlencode(query),
    }, status=200 if not form.is_bound or form.is_valid() else INVALID)


# --- A gift --------------------------------------------------------------------------------


def _gift_page(request, gift: Gift, *, email_form=None, letter_form=None, conflict: str = "",
               status: int = 200):
    acknowledgment = gift.acknowledgment
    return render(request, "donations/money/acknowledgments/gift.html", {
        "gift": gift, "event": gift.event, "acknowledgment": acknowledgment,
        "conflict": conflict,
        "email_form": email_form or EmailAcknowledgmentForm(gift=gift, prefix="email"),
        "letter_form": letter_form or LetterAcknowledgmentForm(gift=gift, prefix="letter"),
    }, status=status)


@treasurers_only
@require_http_methods(["GET", "HEAD", "POST"])
def acknowledgment_gift(request, kind: str, pk: int):
    """A gift: who gave what, when and how; its acknowledgment if it went; else "Send by
    email" (POST here) and "Print a letter" (the letter page)."""
    gift = _gift_or_404(kind, pk)
    if request.method != "POST":
        return _gift_page(request, gift)
    form = EmailAcknowledgmentForm(request.POST, gift=gift, prefix="email")
    if not form.is_valid():
        return _gift_page(request, gift, email_form=form, status=INVALID)
    try:
        record(gift=gift, method=Acknowledgment.Method.EMAIL, by=request.user,
               **form.choices())
    except AlreadyAcknowledged as error:
        gift.acknowledgment = error.acknowledgment
        return _gift_page(request, gift, email_form=form, conflict=error.message,
                          status=CONFLICT)
    except MoneyError as error:
        _show_error(form, error)
        return _gift_page(request, gift, email_form=form, status=INVALID)
    messages.success(request, _("The acknowledgment of %(amount)s to %(donor)s is in the outbox: "
                                "it goes by email in a moment.") % {
        "amount": format_cents(gift.amount_cents), "donor": gift.donor_name})
    return HttpResponseRedirect(_list_url(gift))


# --- The letter ----------------------------------------------------------------------------


def _letter_page(request, gift: Gift, *, choices: dict | None = None, conflict: str = "",
                 status: int = 200):
    acknowledgment = gift.acknowledgment
    if acknowledgment is not None:
        context = letter_context(gift, language=acknowledgment.language,
                                 acknowledgment=acknowledgment)
    else:
        context = letter_context(gift, language=choices["language"],
                                 with_item=choices["with_item"])
        context["donor_address"] = choices["to_address"]
    return render(request, "donations/money/acknowledgments/letter.html", {
        **context, "acknowledgment": acknowledgment, "choices": choices, "conflict": conflict,
    }, status=status)


def _letter_defaults(gift: Gift) -> dict:
    """The letter as it is shown before anything is chosen on the gift's page."""
    return {"letter-to_address": gift.address, "letter-language": gift.language_or_default,
            "letter-with_item": "on" if gift.item_by_default else ""}


@treasurers_only
@require_http_methods(["GET", "HEAD", "POST"])
def acknowledgment_letter(request, kind: str, pk: int):
    """The printable letter: as recorded once the gift is acknowledged (to print again), else
    as chosen on the gift's page (language, item, address), with "Record as sent by letter"
    (POST, the same choices) for after it is printed."""
    gift = _gift_or_404(kind, pk)
    if request.method != "POST":
        if gift.acknowledgment is not None:
            return _letter_page(request, gift)
        form = LetterAcknowledgmentForm(request.GET or _letter_defaults(gift), gift=gift,
                                        prefix="letter")
        if not form.is_valid():
            return _gift_page(request, gift, letter_form=form, status=INVALID)
        return _letter_page(request, gift, choices=form.choices())
    form = LetterAcknowledgmentForm(request.POST, gift=gift, prefix="letter")
    if not form.is_valid():
        return _gift_page(request, gift, letter_form=form, status=INVALID)
    try:
        record(gift=gift, method=Acknowledgment.Method.LETTER, by=request.user,
               **form.choices())
    except AlreadyAcknowledged as error:
        gift.acknowledgment = error.acknowledgment
        return _letter_page(request, gift, conflict=error.message, status=CONFLICT)
    except MoneyError as error:
        _show_error(form, error)
        return _gift_page(request, gift, letter_form=form, status=INVALID)
    messages.success(request, _("The letter to %(donor)s is recorded as sent.")
                     % {"donor": gift.donor_name})
    return HttpResponseRedirect(reverse("money_acknowledgment_letter", args=[kind, pk]))
