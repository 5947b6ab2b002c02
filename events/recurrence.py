"""Recurring series: RFC 5545 RRULEs expanded with python-dateutil in the coalition's wall time.

Occurrences are generated as naive local datetimes and only then made aware, so a series at
9:00 stays at 9:00 on both sides of a daylight-saving change. Pure functions, no database."""

import datetime
import itertools
import re

from dateutil import rrule as du
from django.utils import timezone
from django.utils.translation import gettext as _

# More than this in one series is almost certainly a mistake in the rule.
MAX_OCCURRENCES = 120
# A rule without COUNT or UNTIL is expanded this far ahead of its first start.
OPEN_ENDED_HORIZON = datetime.timedelta(days=366)
# No rule is scanned further than this, so an impossible rule cannot spin for long.
LONGEST_SCAN = datetime.timedelta(days=366 * 10)

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ALLOWED_PARTS = {
    "FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTH", "BYMONTHDAY", "BYSETPOS",
    "BYWEEKNO", "BYYEARDAY", "WKST",
}
BYDAY_TOKEN = re.compile(r"^([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$")
# Number parts: (largest absolute value, may be negative). python-dateutil quietly ignores
# some out-of-range values (BYMONTH=13, BYMONTHDAY=0), which would make a very wrong series.
NUMBER_PARTS = {
    "INTERVAL": (99, False), "BYMONTH": (12, False), "BYMONTHDAY": (31, True),
    "BYWEEKNO": (53, True), "BYYEARDAY": (366, True), "BYSETPOS": (366, True),
}


class RuleError(ValueError):
    """A repeat rule Rally cannot use; the message is written for the organizer."""


def build_rule(
    *,
    frequency: str,
    interval: int = 1,
    by_month: list[int] | tuple[int, ...] = (),
    weekdays: list[str] | tuple[str, ...] = (),
    ordinal: int | None = None,
    count: int | None = None,
    until: datetime.date | None = None,
) -> str:
    """An RRULE from the builder's fields, e.g. frequency MONTHLY, months 1,4,7,10, weekday TU
    and ordinal 4 give ``FREQ=MONTHLY;BYMONTH=1,4,7,10;BYDAY=4TU``."""
    if frequency not in FREQUENCIES:
        raise RuleError(_("Choose how often the event repeats."))
    parts = [f"FREQ={frequency}"]
    if interval and interval > 1:
        parts.append(f"INTERVAL={interval}")
    if by_month:
        parts.append("BYMONTH=" + ",".join(str(month) for month in sorted(by_month)))
    if weekdays:
        prefix = str(ordinal) if ordinal else ""
        parts.append("BYDAY=" + ",".join(f"{prefix}{day}" for day in weekdays))
    elif ordinal:
        raise RuleError(_("Choose the weekday that goes with “%(ordinal)s”.") % {
            "ordinal": ordinal})
    if count:
        parts.append(f"COUNT={count}")
    if until:
        parts.append(f"UNTIL={until:%Y%m%d}T235959")
    return ";".join(parts)


def _local_naive(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value, timezone.get_default_timezone()).replace(tzinfo=None)


def _parse_until(text: str) -> datetime.datetime:
    """UNTIL as a naive local datetime. A UTC value (``...Z``) is converted; a bare date
    means the end of that day (RFC 5545 wants the same type as DTSTART; people write dates)."""
    try:
        if re.fullmatch(r"\d{8}", text):
            day = datetime.datetime.strptime(text, "%Y%m%d")
            return day.replace(hour=23, minute=59, second=59)
        if text.endswith("Z"):
            moment = datetime.datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
            return _local_naive(moment)
        return datetime.datetime.strptime(text, "%Y%m%dT%H%M%S")
    except ValueError as error:
        raise RuleError(_("UNTIL must be a date like 20271231.")) from error


def normalize_rule(text: str) -> dict[str, str]:
    """Split an RRULE into its parts, checking the names Rally accepts."""
    text = (text or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    text = re.sub(r"\s+", "", text).upper().strip(";")
    if not text:
        raise RuleError(_("Enter a repeat rule, for example FREQ=MONTHLY;BYDAY=4TU."))
    parts: dict[str, str] = {}
    for piece in text.split(";"):
        name, sep, value = piece.partition("=")
        if not sep or not value:
            raise RuleError(_("“%(piece)s” is not a NAME=VALUE part of a repeat rule.") % {
                "piece": piece})
        if name not in ALLOWED_PARTS:
            raise RuleError(_("Rally does not understand “%(name)s” in a repeat rule.") % {
                "name": name})
        if name in parts:
            raise RuleError(_("“%(name)s” appears twice in the repeat rule.") % {"name": name})
        parts[name] = value
    if parts.get("FREQ") not in FREQUENCIES:
        raise RuleError(_("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY."))
    if "COUNT" in parts and "UNTIL" in parts:
        raise RuleError(_("Use COUNT or UNTIL, not both."))
    for name, (largest, signed) in NUMBER_PARTS.items():
        if name not in parts:
            continue
        for token in parts[name].split(","):
            pattern = r"[+-]?\d+" if signed else r"\+?\d+"
            if not re.fullmatch(pattern, token) or not 1 <= abs(int(token)) <= largest:
                raise RuleError(_("“%(token)s” is not a valid %(name)s.") % {
                    "token": token, "name": name})
    for token in filter(None, parts.get("BYDAY", "").split(",")):
        if not BYDAY_TOKEN.match(token):
            raise RuleError(_("“%(token)s” is not a weekday such as TU or 4TU.") % {
                "token": token})
    return parts


def rule_text(parts: dict[str, str]) -> str:
    return ";".join(f"{name}={value}" for name, value in parts.items())


def expand(rule: str, *, start: datetime.datetime) -> list[datetime.datetime]:
    """The aware starts of a series whose first possible start is ``start`` (aware).

    Like python-dateutil (and unlike a bare RFC 5545 DTSTART), ``start`` only counts when the
    rule matches it, so "from 1 January, fourth Tuesday of each quarter" begins on the 26th.
    A rule without COUNT or UNTIL stops at OPEN_ENDED_HORIZON."""
    parts = normalize_rule(rule)
    first = _local_naive(start)
    count = None
    if "COUNT" in parts:
        try:
            count = int(parts.pop("COUNT"))
        except ValueError as error:
            raise RuleError(_("COUNT must be a whole number.")) from error
        if not 1 <= count <= MAX_OCCURRENCES:
            raise RuleError(_("COUNT must be between 1 and %(max)s.") % {"max": MAX_OCCURRENCES})
    scan_until = first + (LONGEST_SCAN if count else OPEN_ENDED_HORIZON)
    if "UNTIL" in parts:
        until = _parse_until(parts.pop("UNTIL"))
        if until < first:
            raise RuleError(_("UNTIL is before the first date."))
        scan_until = min(until, first + LONGEST_SCAN)
    # dateutil wants COUNT or UNTIL, never both: scan to a bound, then take COUNT.
    parts["UNTIL"] = f"{scan_until:%Y%m%dT%H%M%S}"
    try:
        generator = du.rrulestr(rule_text(parts), dtstart=first)
        starts = list(itertools.islice(generator, count or MAX_OCCURRENCES + 1))
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as error:
        raise RuleError(_("This repeat rule is not valid: %(error)s") % {"error": error}) from error
    if len(starts) > MAX_OCCURRENCES:
        raise RuleError(_("This rule makes more than %(max)s events; add COUNT or UNTIL.") % {
            "max": MAX_OCCURRENCES})
    if not starts:
        raise RuleError(_("This rule gives no dates on or after the first date."))
    zone = timezone.get_default_timezone()
    return [timezone.make_aware(moment, zone) for moment in starts]


def local_end(start: datetime.datetime, duration: datetime.timedelta) -> datetime.datetime:
    """The end of an occurrence: ``duration`` later in wall time (9:00 + 1h30 = 10:30)."""
    return timezone.make_aware(_local_naive(start) + duration, timezone.get_default_timezone())


def shift_wall_time(moment: datetime.datetime, delta: datetime.timedelta) -> datetime.datetime:
    """``moment`` moved by ``delta`` of wall-clock time (keeps 7:00 at 7:00 across DST)."""
    return timezone.make_aware(_local_naive(moment) + delta, timezone.get_default_timezone())


def wall_time_delta(old: datetime.datetime, new: datetime.datetime) -> datetime.timedelta:
    return _local_naive(new) - _local_naive(old)

