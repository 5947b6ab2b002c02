"""Bucket custody pages, made for an organizer's phone at the staging point: the drive's
custody list, the bucket inventory, a bucket's page (its history and the steps that fit its
state), incidents, and the holder's own "My bucket" page for a handoff at a shift change.

Views parse the forms and call donations/custody.py; its CustodyError is shown at the field
with HTTP 422 and nothing saved. Every step's form carries a one-time ``request_token``: the
same step re-posted (a weak signal in the street) is recorded once, and the page says so.
Organizers act; treasurers see the lists and histories read-only; the volunteer holding a
bucket may hand it to the next shift's volunteer; everyone else 403, anonymous to log in."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events import form_tokens
from events.models import Event
from volunteers.access import role_required
from volunteers.models import Signup, User
from volunteers.rules import is_organizer

from ..custody import (
    OUT_KINDS,
    CustodyError,
    bucket_create,
    bucket_found,
    bucket_hand_over,
    bucket_history,
    bucket_issue,
    bucket_report_missing,
    bucket_retire,
    bucket_return,
    bucket_state,
    buckets_with_state,
    incident_create,
    state_of,
)
from ..forms import (
    BucketCreateForm,
    FoundForm,
    HandOverForm,
    HolderHandOverForm,
    IncidentForm,
    IssueForm,
    MissingForm,
    ReturnForm,
)
from ..handoff import code_matches
from ..models import Bucket, CustodyEvent, Incident
from ..rules import can_manage_buckets, can_override_code, can_see_custody, holds_bucket

INVALID = 422
BUCKETS_PER_PAGE = 200

readers = role_required(can_see_custody)
organizer_only = role_required(can_manage_buckets)

STATE_LABELS = {
    "in_stock": gettext_lazy("In stock"),
    "out": gettext_lazy("Out"),
    "lost": gettext_lazy("Lost"),
    "stolen": gettext_lazy("Stolen"),
    "retired": gettext_lazy("Retired"),
}
# The custody list's filters: each a test on one listed bucket.
LIST_FILTERS = {
    "out": gettext_lazy("Out"),
    "overdue": gettext_lazy("Overdue"),
    "in_stock": gettext_lazy("In stock"),
    "returned": gettext_lazy("Returned"),
    "flagged": gettext_lazy("Flagged"),
    "missing": gettext_lazy("Lost or stolen"),
    "retired": gettext_lazy("Retired"),
}
# A service's field names, as the forms call them.
FIELD_ALIASES = {"to": "signup", "shift": "signup"}


def _show_error(form, error: CustodyError) -> None:
    field = FIELD_ALIASES.get(error.field, error.field)
    form.add_error(field if field in form.fields else None, error.message)


def _int_param(request, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def _recorded(request, step: CustodyEvent, started, done: str) -> None:
    """The success message, or "already recorded" when the service returned the row an
    earlier post of the same form made."""
    if step.at < started:
        messages.info(request, _("This was already recorded (the form was sent twice); "
                                 "nothing new was saved."))
    else:
        messages.success(request, done)


def _bucket_url(bucket: Bucket, event_id: int | None = None) -> str:
    url = reverse("organize_bucket_detail", args=[bucket.pk])
    return f"{url}?{urlencode({'event': event_id})}" if event_id else url


# --- Who may take a bucket -----------------------------------------------------------------


def _street_signups():
    return (
        Signup.objects.filter(status=Signup.Status.CONFIRMED, shift__site__isnull=False,
                              shift__is_cancelled=False)
        .exclude(shift__event__status=Event.Status.CANCELLED)
        .select_related("volunteer", "shift__site")
        .order_by("shift__starts_at", "shift__site__name", "shift__pk",
                  "volunteer__display_name", "pk")
    )


def issue_signups(event_id: int | None):
    """People confirmed on street shifts not yet over (of one drive, when given)."""
    signups = _street_signups().filter(shift__ends_at__gt=timezone.now())
    if event_id:
        signups = signups.filter(shift__event_id=event_id)
    return signups


def hand_over_signups(latest: CustodyEvent):
    """People confirmed on a shift at the bucket's site on the same drive, but its holder."""
    shift = latest.shift
    return (_street_signups().filter(shift__site_id=shift.site_id, shift__event_id=shift.event_id)
            .exclude(volunteer_id=latest.holder_id))


# --- A bucket's page -----------------------------------------------------------------------


def _event_id(request, latest: CustodyEvent | None) -> int | None:
    event_id = _int_param(request, "event")
    if event_id is None and latest is not None and latest.shift_id:
        event_id = latest.shift.event_id
    return event_id


def _action_forms(request, bucket: Bucket, latest: CustodyEvent | None, state: str,
                  bound: dict) -> dict:
    """The forms for the steps that fit the bucket's state (organizers only); ``bound``
    holds a refused form to show again with its errors."""
    override = can_override_code(request.user)
    forms = {}
    if state == "in_stock":
        forms["issue"] = bound.get("issue") or IssueForm(
            prefix="issue", signups=issue_signups(_int_param(request, "event")),
            override_allowed=override)
    if state == "out":
        forms["hand_over"] = bound.get("hand_over") or HandOverForm(
            prefix="handover", signups=hand_over_signups(latest), override_allowed=override)
        forms["return"] = bound.get("return") or ReturnForm(prefix="return")
    if state in ("in_stock", "out") and latest is not None:
        forms["missing"] = bound.get("missing") or MissingForm(prefix="missing")
    if state in ("lost", "stolen"):
        forms["found"] = bound.get("found") or FoundForm(prefix="found")
    return forms


def _bucket_page(request, bucket: Bucket, *, bound: dict | None = None, status: int = 200,
                 error: str = ""):
    latest = bucket_state(bucket)
    state = state_of(latest.kind if latest else None, bucket.is_active)
    manage = can_manage_buckets(request.user)
    history = list(bucket_history(bucket))
    history.reverse()
    event_id = _event_id(request, latest)
    query = f"?{urlencode({'event': request.GET['event']})}" if _int_param(
        request, "event") else ""
    forms = _action_forms(request, bucket, latest, state, bound or {}) if manage else {}
    for name, form in (bound or {}).items():
        if name not in forms:  # the step no longer fits (returned meanwhile): say why above
            error = " ".join(str(m) for messages_ in form.errors.values() for m in messages_)
    return render(request, "donations/bucket_detail.html", {
        "bucket": bucket,
        "latest": latest,
        "state": state,
        "state_label": STATE_LABELS[state],
        "overdue": state == "out" and latest.shift_id and latest.shift.ends_at < timezone.now(),
        "history": history,
        "incidents": bucket.incidents.select_related("event", "site", "reported_by"),
        "forms": forms,
        "manage": manage,
        "organizer": is_organizer(request.user),
        "event": Event.objects.filter(pk=event_id).first() if event_id else None,
        "query": query,
        "error": error,
    }, status=status)


def _step(request, bucket: Bucket, *, name: str, make_form, record, done):
    """One custody step posted from a bucket's page: parse, call the service, and either go
    back to the page with a message or show the page again with the refusal (422)."""
    latest = bucket_state(bucket)
    form = make_form(request, latest)
    if form.is_valid():
        started = timezone.now()
        try:
            step = record(bucket, form.cleaned_data, latest)
        except CustodyError as error:
            _show_error(form, error)
        else:
            _recorded(request, step, started, done(step))
            return HttpResponseRedirect(_bucket_url(bucket, _int_param(request, "event")))
    return _bucket_page(request, bucket, bound={name: form}, status=INVALID)


def _issue(request, bucket: Bucket):
    def make_form(request, latest):
        return IssueForm(request.POST, prefix="issue",
                         signups=issue_signups(_int_param(request, "event")),
                         override_allowed=can_override_code(request.user))

    def record(bucket, data, latest):
        signup = data["signup"]
        return bucket_issue(
            bucket=bucket, shift=signup.shift, to=signup.volunteer,
            seal_number=data["seal_number"], by=request.user,
            receiver_code=data["receiver_code"], override_reason=data.get("override_reason", ""),
            request_token=data["request_token"])

    return _step(request, bucket, name="issue", make_form=make_form, record=record,
                 done=lambda step: _("Bucket %(number)s is issued to %(person)s.")
                 % {"number": step.bucket.number, "person": step.holder})


def _hand_over(request, bucket: Bucket):
    def make_form(request, latest):
        signups = (hand_over_signups(latest) if latest is not None and latest.kind in OUT_KINDS
                   else Signup.objects.none())
        return HandOverForm(request.POST, prefix="handover", signups=signups,
                            override_allowed=can_override_code(request.user))

    def record(bucket, data, latest):
        return bucket_hand_over(
            bucket=bucket, to=data["signup"].volunteer, by=request.user,
            receiver_code=data["receiver_code"], override_reason=data.get("override_reason", ""),
            request_token=data["request_token"])

    return _step(request, bucket, name="hand_over", make_form=make_form, record=record,
                 done=lambda step: _("Bucket %(number)s is now with %(person)s.")
                 % {"number": step.bucket.number, "person": step.holder})


def _return(request, bucket: Bucket):
    def record(bucket, data, latest):
        return bucket_return(bucket=bucket, seal_number=data["seal_number"],
                             seal_intact=data["seal_intact"], note=data["note"],
                             by=request.user, request_token=data["request_token"])

    def done(step):
        if step.flagged:
            return _("Bucket %(number)s is back. The seal was broken or not the one issued: "
                     "the return is flagged for the treasurers.") % {"number": step.bucket.number}
        return _("Bucket %(number)s is back, seal intact.") % {"number": step.bucket.number}

    return _step(request, bucket, name="return",
                 make_form=lambda request, latest: ReturnForm(request.POST, prefix="return"),
                 record=record, done=done)


def _missing(request, bucket: Bucket):
    def record(bucket, data, latest):
        return bucket_report_missing(
            bucket=bucket, kind=data["kind"], description=data["description"],
            police_report_number=data["police_report_number"], by=request.user,
            request_token=data["request_token"])

    return _step(request, bucket, name="missing",
                 make_form=lambda request, latest: MissingForm(request.POST, prefix="missing"),
                 record=record,
                 done=lambda step: _("Bucket %(number)s is reported %(kind)s; the incident is "
                                     "logged.") % {"number": step.bucket.number,
                                                   "kind": step.get_kind_display().lower()})


def _found(request, bucket: Bucket):
    def record(bucket, data, latest):
        return bucket_found(bucket=bucket, note=data["note"], by=request.user,
                            request_token=data["request_token"])

    return _step(request, bucket, name="found",
                 make_form=lambda request, latest: FoundForm(request.POST, prefix="found"),
                 record=record,
                 done=lambda step: _("Bucket %(number)s is found and back in stock.")
                 % {"number": step.bucket.number})


def _retire(request, bucket: Bucket):
    try:
        bucket_retire(bucket=bucket, by=request.user)
    except CustodyError as error:
        return _bucket_page(request, bucket, status=INVALID, error=error.message)
    messages.success(request, _("Bucket %(number)s is retired; it keeps its history.")
                     % {"number": bucket.number})
    return HttpResponseRedirect(reverse("organize_bucket_list"))


# Each form on a bucket's page says which step it records (a hidden "action").
STEPS = {"issue": _issue, "hand_over": _hand_over, "return": _return, "missing": _missing,
         "found": _found, "retire": _retire}


@readers
def bucket_detail(request, pk: int):
    """A bucket's state and full history; organizers record the steps that fit its state
    (each form posts here with its ``action``)."""
    bucket = get_object_or_404(Bucket, pk=pk)
    if request.method == "POST":
        if not can_manage_buckets(request.user):
            raise PermissionDenied
        step = STEPS.get(request.POST.get("action", ""))
        if step is None:
            return _bucket_page(request, bucket, status=400,
                                error=_("Choose a step on this page and send its form."))
        return step(request, bucket)
    return _bucket_page(request, bucket)


# --- The inventory -------------------------------------------------------------------------


INVENTORY_STATUSES = {"active": gettext_lazy("In use"), "retired": gettext_lazy("Retired"),
                      "all": gettext_lazy("All")}


@readers
def bucket_list(request):
    """Every bucket with its state; organizers add buckets one by one or as a range."""
    manage = can_manage_buckets(request.user)
    if request.method == "POST" and not manage:
        raise PermissionDenied
    form = BucketCreateForm(request.POST or None) if manage else None
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            numbers = form.cleaned_data["numbers"]
            taken = list(Bucket.objects.filter(number__in=numbers)
                         .values_list("number", flat=True)[:11])
            if taken:
                shown = ", ".join(str(n) for n in taken[:10]) + ("…" if len(taken) > 10 else "")
                form.add_error("numbers", _("These numbers are already used: %(numbers)s. "
                                            "Nothing was added.") % {"numbers": shown})
            else:
                try:
                    with transaction.atomic():
                        for number in numbers:
                            bucket_create(number=number, kind=form.cleaned_data["kind"],
                                          by=request.user)
                except CustodyError as error:
                    form.add_error("numbers" if error.field == "number" else None,
                                   error.message)
                else:
                    messages.success(request, _("Added %(count)s: numbers %(first)s to "
                                                "%(last)s.") % {
                        "count": len(numbers), "first": numbers[0], "last": numbers[-1]})
                    return HttpResponseRedirect(reverse("organize_bucket_list"))
    shown = request.GET.get("status", "active")
    if shown not in INVENTORY_STATUSES:
        shown = "active"
    buckets = buckets_with_state()
    if shown == "active":
        buckets = buckets.filter(is_active=True)
    elif shown == "retired":
        buckets = buckets.filter(is_active=False)
    page = Paginator(buckets.order_by("number"), BUCKETS_PER_PAGE).get_page(
        request.GET.get("page"))
    for bucket in page.object_list:
        bucket.state_label = STATE_LABELS[bucket.custody_state]
    return render(request, "donations/bucket_list.html", {
        "page": page, "form": form, "manage": manage, "status": shown,
        "statuses": list(INVENTORY_STATUSES.items()),
    }, status=status)


# --- A drive's custody list ----------------------------------------------------------------


def _drive(request, pk: int) -> Event:
    event = get_object_or_404(Event, pk=pk)
    if event.status == Event.Status.DRAFT and not is_organizer(request.user):
        raise Http404
    return event


def custody_rows(event: Event) -> list[Bucket]:
    """Every bucket in use (and every retired one last seen on this drive) with its latest
    step (holder, site, team, seal) and flags; three queries however many buckets."""
    buckets = list(
        buckets_with_state().filter(Q(is_active=True) | Q(latest_event_id=event.pk))
        .order_by("number"))
    steps = CustodyEvent.objects.filter(
        pk__in=[b.latest_id for b in buckets if b.latest_id is not None]
    ).select_related("holder", "team", "shift__site", "shift__event").in_bulk()
    now = timezone.now()
    for bucket in buckets:
        step = steps.get(bucket.latest_id)
        bucket.latest = step
        bucket.state_label = STATE_LABELS[bucket.custody_state]
        bucket.elsewhere = bool(step and step.shift_id and step.shift.event_id != event.pk)
        bucket.overdue = bool(bucket.custody_state == "out" and step and step.shift_id
                              and step.shift.ends_at < now)
        bucket.returned_here = bool(step and step.kind == CustodyEvent.Kind.RETURNED
                                    and not bucket.elsewhere)
        bucket.flagged = bool(step and step.flagged)
    return buckets


def _matches(bucket: Bucket, shown: str) -> bool:
    state = bucket.custody_state
    return {
        "out": state == "out",
        "overdue": bucket.overdue,
        "in_stock": state == "in_stock",
        "returned": bucket.returned_here,
        "flagged": bucket.flagged,
        "missing": state in ("lost", "stolen"),
        "retired": state == "retired",
    }[shown]


@readers
def event_buckets(request, pk: int):
    """The drive's custody list: every bucket, its state, holder, site, team and seal; the
    flagged returns of the drive on top (they cannot be hidden); filters by state."""
    event = _drive(request, pk)
    rows = custody_rows(event)
    shown = request.GET.get("state", "")
    if shown not in LIST_FILTERS:
        shown = ""
    base = reverse("organize_event_buckets", args=[event.pk])
    filters = [{"label": label, "count": sum(1 for b in rows if _matches(b, key)),
                "url": f"{base}?{urlencode({'state': key})}", "current": shown == key}
               for key, label in LIST_FILTERS.items()]
    flagged = (CustodyEvent.objects.filter(shift__event=event, kind=CustodyEvent.Kind.RETURNED)
               .exclude(seal_intact=True, seal_matches=True)
               .select_related("bucket", "from_holder", "by", "shift__site")
               .order_by("-at", "-pk"))
    return render(request, "donations/event_buckets.html", {
        "event": event,
        "rows": [b for b in rows if _matches(b, shown)] if shown else rows,
        "filters": filters,
        "total": len(rows),
        "all_url": base,
        "shown": shown,
        "flagged_returns": flagged,
        "organizer": is_organizer(request.user),
        "manage": can_manage_buckets(request.user),
    })


# --- Incidents -----------------------------------------------------------------------------


@readers
def event_incidents(request, pk: int):
    """The drive's incident log, newest first; organizers log a new one."""
    event = _drive(request, pk)
    manage = can_manage_buckets(request.user)
    if request.method == "POST" and not manage:
        raise PermissionDenied
    form = None
    status = 200
    if manage:
        form = IncidentForm(request.POST or None, event=event)
        form_tokens.add_token_field(form)
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            data = form.cleaned_data

            def create() -> str:
                incident = incident_create(
                    event=event, kind=data["kind"], description=data["description"],
                    by=request.user, site=data["site"], shift=data["shift"],
                    bucket=data["bucket"], police_report_number=data["police_report_number"])
                return reverse("organize_event_incidents", args=[event.pk]) + (
                    f"#incident-{incident.pk}")
            try:
                url, created = form_tokens.save_once(user=request.user, form=form,
                                                     create=create)
            except CustodyError as error:
                _show_error(form, error)
            else:
                if created:
                    messages.success(request, _("The incident is logged."))
                else:
                    messages.info(request, _("This was already recorded (the form was sent "
                                             "twice); nothing new was saved."))
                return HttpResponseRedirect(url)
    incidents = (Incident.objects.filter(event=event)
                 .select_related("site", "shift__site", "bucket", "reported_by"))
    return render(request, "donations/event_incidents.html", {
        "event": event, "incidents": incidents, "form": form, "manage": manage,
    }, status=status)


# --- The holder's own page -----------------------------------------------------------------


def _receiver(latest: CustodyEvent, code: str) -> User | None:
    """Whoever is confirmed on a shift at the bucket's site on this drive and has this
    personal code (the holder aside)."""
    event = latest.shift.event
    for signup in hand_over_signups(latest):
        if code_matches(code, signup.volunteer, event):
            return signup.volunteer
    return None


@login_required
def my_bucket(request, pk: int):
    """The volunteer holding a bucket hands it to the next shift's volunteer by typing (or
    scanning) that person's code. Anyone else: 404 (organizers go to the bucket's page)."""
    bucket = get_object_or_404(Bucket, pk=pk)
    form = HolderHandOverForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["request_token"]
        earlier = token and CustodyEvent.objects.filter(
            request_token=token, bucket=bucket, by=request.user).select_related("holder").first()
        if earlier:  # the same handoff re-posted after it went through
            messages.info(request, _("This handoff was already recorded: bucket %(number)s is "
                                     "with %(person)s.") % {"number": bucket.number,
                                                            "person": earlier.holder})
            return HttpResponseRedirect(reverse("my_shifts"))
    latest = bucket_state(bucket)
    if not holds_bucket(request.user, latest):
        if can_see_custody(request.user):
            return HttpResponseRedirect(reverse("organize_bucket_detail", args=[bucket.pk]))
        raise Http404
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            code = form.cleaned_data["receiver_code"]
            receiver = _receiver(latest, code)
            if receiver is None:
                form.add_error("receiver_code", _(
                    "Nobody on a shift at %(site)s has that code. Check it on their phone "
                    "and type it again, or call your captain.") % {
                        "site": latest.shift.site.name})
            else:
                started = timezone.now()
                try:
                    step = bucket_hand_over(
                        bucket=bucket, to=receiver, by=request.user, receiver_code=code,
                        request_token=form.cleaned_data["request_token"])
                except CustodyError as error:
                    _show_error(form, error)
                else:
                    _recorded(request, step, started, _(
                        "Bucket %(number)s is now with %(person)s. Thank you!") % {
                        "number": bucket.number, "person": receiver})
                    return HttpResponseRedirect(reverse("my_shifts"))
    return render(request, "donations/my_bucket.html", {
        "bucket": bucket, "latest": latest, "form": form,
    }, status=status)
