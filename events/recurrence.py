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
# No rule is scanned further than this, so an impossible rule cannot spin for long: python-
# dateutil walks one period (day, week, month, year) at a time and yields only matches, so the
# time a rule can take is the number of periods scanned. A daily rule is scanned at most three
# years ahead (about 1,100 periods, well under a second even with BYSETPOS); the others ten.
LONGEST_SCAN = datetime.timedelta(days=366 * 10)
LONGEST_SCAN_BY_FREQUENCY = {
    "DAILY": datetime.timedelta(days=366 * 3),
    "WEEKLY": datetime.timedelta(days=366 * 10),
    "MONTHLY": datetime.timedelta(days=366 * 10),
    "YEARLY": datetime.timedelta(days=366 * 10),
}
# The most days one period can hold (Rally has no BYHOUR/BYMINUTE); see _most_candidates.
DAYS_IN_PERIOD = {"DAILY": 1, "WEEKLY": 7, "MONTHLY": 31, "YEARLY": 366}
# Python's datetime ends at 9999; a series must begin and end well inside what every layer
# (time zones, iCalendar, PostgreSQL) holds. The forms allow 2000-2100 (config.input_bounds).
FIRST_YEAR = 1900
LAST_YEAR = 2200

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
    _check_combination(parts)
    for token in filter(None, parts.get("BYSETPOS", "").split(",")):
        largest = _most_candidates(parts)
        if abs(int(token)) > largest:
            raise RuleError(_("BYSETPOS %(token)s can never match a rule with FREQ=%(frequency)s "
                              "(at most %(largest)s).") % {"token": token, "largest": largest,
                                                           "frequency": parts["FREQ"]})
    for token in filter(None, parts.get("BYDAY", "").split(",")):
        if not BYDAY_TOKEN.match(token):
            raise RuleError(_("“%(token)s” is not a weekday such as TU or 4TU.") % {
                "token": token})
    return parts


# Which parts RFC 5545 allows with each frequency (section 3.3.10). Beyond following the RFC,
# this keeps every rule quick to expand: python-dateutil checks UNTIL only when a period has a
# candidate, so a rule whose filters can never match walks period by period up to the year
# 9999 (seconds for a daily rule). With these parts and the month/day check below, every
# rule Rally accepts has a match within a few decades, where dateutil stops at UNTIL.
NOT_WITH = {
    "DAILY": {"BYWEEKNO", "BYYEARDAY"},
    "WEEKLY": {"BYWEEKNO", "BYYEARDAY", "BYMONTHDAY"},
    "MONTHLY": {"BYWEEKNO", "BYYEARDAY"},
    "YEARLY": set(),
}
DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _check_combination(parts: dict[str, str]) -> None:
    frequency = parts["FREQ"]
    for name in sorted(NOT_WITH[frequency] & parts.keys()):
        raise RuleError(_("%(name)s cannot be used with FREQ=%(frequency)s.") % {
            "name": name, "frequency": frequency})
    if frequency in ("DAILY", "WEEKLY") or "BYWEEKNO" in parts:
        for token in filter(None, parts.get("BYDAY", "").split(",")):
            if token[:-2]:
                raise RuleError(_("“%(token)s”: a numbered weekday only goes with a monthly "
                                  "or yearly rule without BYWEEKNO.") % {"token": token})
    if "BYMONTHDAY" in parts:
        months = [int(m) for m in parts["BYMONTH"].split(",")] if "BYMONTH" in parts else \
            range(1, 13)
        days = [abs(int(d)) for d in parts["BYMONTHDAY"].split(",")]
        if not any(day <= DAYS_IN_MONTH[month - 1] for month in months for day in days):
            raise RuleError(_("No month in this rule has that day of the month."))


def _most_candidates(parts: dict[str, str]) -> int:
    """An upper bound on the dates one period of the rule can give. A BYSETPOS beyond it can
    never match, and python-dateutil would build and discard every period's set up to the
    year 9999 looking for one (seconds for a yearly rule)."""
    def count(name: str) -> int:
        return len([token for token in parts[name].split(",") if token])

    frequency = parts["FREQ"]
    months = count("BYMONTH") if "BYMONTH" in parts else None
    bounds = [DAYS_IN_PERIOD[frequency]]
    # Without a day filter dateutil takes the first start's day (of the week, month or year).
    day_filters = {"BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO"}
    if frequency != "DAILY" and not day_filters & parts.keys():
        bounds.append(months if frequency == "YEARLY" and months else 1)
    if months is not None:
        bounds.append(31 * months)
    if "BYWEEKNO" in parts:
        bounds.append(7 * count("BYWEEKNO"))
    if "BYYEARDAY" in parts:
        bounds.append(count("BYYEARDAY"))
    if "BYMONTHDAY" in parts:
        bounds.append(count("BYMONTHDAY") * (1 if frequency == "MONTHLY" else months or 12))
    if "BYDAY" in parts:
        per_month = frequency == "MONTHLY" or (months is not None and "BYWEEKNO" not in parts)
        periods = 1 if frequency == "MONTHLY" else (months or 1)
        plain = 7 if frequency == "WEEKLY" or "BYWEEKNO" in parts else (5 if per_month else 53)
        tokens = [token for token in parts["BYDAY"].split(",") if token]
        bounds.append(sum(1 if token[:-2] else plain for token in tokens) * periods)
    return min(bounds)


def rule_text(parts: dict[str, str]) -> str:
    return ";".join(f"{name}={value}" for name, value in parts.items())


def expand(rule: str, *, start: datetime.datetime) -> list[datetime.datetime]:
    """The aware starts of a series whose first possible start is ``start`` (aware).

    Like python-dateutil (and unlike a bare RFC 5545 DTSTART), ``start`` only counts when the
    rule matches it, so "from 1 January, fourth Tuesday of each quarter" begins on the 26th.
    A rule without COUNT or UNTIL stops at OPEN_ENDED_HORIZON."""
    parts = normalize_rule(rule)
    if not FIRST_YEAR <= timezone.localtime(start).year <= LAST_YEAR - 20:
        raise RuleError(_("A series must start between %(first)s and %(last)s.") % {
            "first": FIRST_YEAR, "last": LAST_YEAR - 20})
    first = _local_naive(start)
    longest_scan = LONGEST_SCAN_BY_FREQUENCY[parts["FREQ"]]
    count = None
    if "COUNT" in parts:
        try:
            count = int(parts.pop("COUNT"))
        except ValueError as error:
            raise RuleError(_("COUNT must be a whole number.")) from error
        if not 1 <= count <= MAX_OCCURRENCES:
            raise RuleError(_("COUNT must be between 1 and %(max)s.") % {"max": MAX_OCCURRENCES})
    scan_until = first + (longest_scan if count else OPEN_ENDED_HORIZON)
    if "UNTIL" in parts:
        until = _parse_until(parts.pop("UNTIL"))
        if until < first:
            raise RuleError(_("UNTIL is before the first date."))
        scan_until = min(until, first + longest_scan)
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

