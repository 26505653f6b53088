"""Calendar periods (months) and date arithmetic used by billing and reports."""
from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def parse_period(text: str) -> tuple[date, date]:
    """'2026-10' -> (2026-10-01, 2026-10-31)."""
    m = _PERIOD.match(str(text).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"period {text!r} is not a month written YYYY-MM, e.g. 2026-10")
    y, mo = int(m.group(1)), int(m.group(2))
    return date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1])


def period_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def add_months(d: date, months: int) -> date:
    """First-of-month arithmetic: add_months(2026-11-01, 3) = 2027-02-01 (d must be a first)."""
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def same_day(d: date, months: int) -> date:
    """``d`` moved by whole months, on the same day (the month's last day when it is shorter)."""
    first = add_months(date(d.year, d.month, 1), months)
    return date(first.year, first.month, min(d.day, calendar.monthrange(first.year, first.month)[1]))


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def previous_period(today: date) -> str:
    return period_of(date(today.year, today.month, 1) - timedelta(days=1))
