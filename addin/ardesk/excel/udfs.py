"""Worksheet functions (UDFs): balances, open items, aging, DSO, payment plans, XIRR/XNPV.

Each function is declared once with :func:`udf` and exposed by
:func:`register` as ``ARDESK_<NAME>`` through whichever xlwings runtime is
present: ``xlwings.server.func`` for xlwings Lite and xlwings Server (and
wherever an xlwings licence key is set), ``xw.func`` for classic Excel on
Windows (``UDF Modules = ardesk.excel.udfs``; "Import Functions").  Elsewhere
the functions are plain Python and can be called directly.

They take whole table ranges including the header row (e.g.
``=ARDESK_BALANCE("C0042", DATE(2026,10,31), tblInvoices[#All], tblAllocations[#All])``),
so Excel recalculates when the data changes, and return dynamic arrays.
The figures come from the same library code as the reports
(:mod:`ardesk.core.read`, :class:`~ardesk.core.ledger.Ledger`,
:func:`~ardesk.core.reports.aging.age`, :mod:`ardesk.core.reports.metrics`), so
``ARDESK_AGING`` totals equal the Aging tab and ``ARDESK_DSO`` the Summary
tab for the same as-of date.  A bad argument returns a text starting
``#ARDESK:`` that says what is wrong, never a traceback.
"""
import datetime as dt
import functools
import os
import sys
from decimal import Decimal

ERROR = "#ARDESK: "
UDFS = {}          # python name -> (function, names of table arguments)


class UdfError(ValueError):
    """A worksheet function cannot answer for these arguments."""


def udf(*tables):
    """Declare a worksheet function; ``tables`` names its table-range arguments (2-D)."""
    def deco(f):
        UDFS[f.__name__] = (f, tables)
        return f
    return deco


# -- arguments ---------------------------------------------------------------------
def _text(v, what):
    from ..core.read import as_text
    s = as_text(v)
    if not s:
        raise UdfError(f"{what} is blank")
    return s


def _date(v, what="as-of date"):
    """A date argument: a date cell, a serial number (DATE(...)), or ISO text."""
    from .adapter import from_serial
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        d = from_serial(v)
        return d.date() if isinstance(d, dt.datetime) else d
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip()[:10])
        except ValueError:
            pass
    raise UdfError(f"{what} {v!r} is not a date (use DATE(2026,10,31) or a date cell)")


def _grid(v, what):
    if not isinstance(v, (list, tuple)) or not v or not isinstance(v[0], (list, tuple)):
        raise UdfError(f"{what}: pass the whole table including its header row, e.g. tblInvoices[#All]")
    return v


def _ledger(invoices, allocations):
    from ..core import read as rd
    from ..core.ledger.ledger import Ledger
    from .adapter import table_from_values
    inv_t = table_from_values("tblInvoices", _grid(invoices, "invoices"))
    al_t = table_from_values("tblAllocations", _grid(allocations, "allocations"))
    invs, problems = rd.read_invoices(inv_t, None)
    allocs, p = rd.read_allocations(al_t)
    problems += p
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UdfError(f"{problems[0]}{more}")
    return Ledger(invs, [], allocs, [])


def _money(minor, currency):
    from ..core.money import exponent, to_decimal
    return float(to_decimal(minor, exponent(currency)))


def _customer_items(ledger, cid, as_of):
    if not any(i.customer_id == cid for i in ledger.invoices):
        raise UdfError(f"customer {cid} not found in the invoices")
    return [(inv, left) for inv, left in ledger.open_items(as_of) if inv.customer_id == cid]


def _one_currency(currencies, given, what):
    given = (given or "").strip().upper()
    found = sorted(set(currencies))
    if given:
        return given
    if len(found) > 1:
        raise UdfError(f"{what} has amounts in {', '.join(found)}: pass the currency")
    return found[0] if found else ""


# -- the functions -------------------------------------------------------------------
@udf("invoices", "allocations")
def balance(customer, as_of, invoices, allocations, currency=None):
    """A customer's open balance on a date: invoices issued and payments applied up to that date."""
    cid, d = _text(customer, "customer"), _date(as_of)
    items = _customer_items(_ledger(invoices, allocations), cid, d)
    cur = _one_currency([i.currency for i, _ in items], currency, f"customer {cid}")
    return _money(sum(left for inv, left in items if inv.currency == cur), cur or "EUR")


@udf("invoices", "allocations")
def open_items(customer, as_of, invoices, allocations):
    """A customer's open invoices on a date (spills: invoice, dates, total, open amount, days past due)."""
    cid, d = _text(customer, "customer"), _date(as_of)
    items = _customer_items(_ledger(invoices, allocations), cid, d)
    items.sort(key=lambda x: (x[0].due_date, x[0].number))
    out = [["InvoiceNo", "Kind", "IssueDate", "DueDate", "Currency", "Total", "Open", "DaysPastDue"]]
    for inv, left in items:
        out.append([inv.number, inv.kind, inv.issue_date, inv.due_date, inv.currency,
                    _money(inv.total, inv.currency), _money(left, inv.currency), max((d - inv.due_date).days, 0)])
    return out


@udf("invoices", "allocations")
def customer_card(customer, as_of, invoices, allocations, buckets="30,60,90", basis="due"):
    """A customer's account at a glance, as on the Customer tab: balance, days to pay, aging, open items, payments."""
    from ..core.collections.card import ledger_rows
    from ..core.reports.aging import parse_buckets
    cid, d = _text(customer, "customer"), _date(as_of)
    ledger = _ledger(invoices, allocations)
    if not any(i.customer_id == cid for i in ledger.invoices):
        raise UdfError(f"customer {cid} not found in the invoices")
    try:
        bounds = parse_buckets(str(int(buckets)) if isinstance(buckets, float) and buckets.is_integer() else buckets)
    except ValueError as exc:
        raise UdfError(str(exc)) from None
    out = [["Section", "Item", "Date", "Currency", "Amount", "Days", "Note"]]
    for row in ledger_rows(ledger, cid, d, None, bounds, basis):
        sec, item, day, cur, amount, days, note = row.cells()
        out.append([sec, item, day, cur, None if amount is None else float(amount),
                    None if days is None else float(days), note])
    return out


@udf("invoices", "allocations")
def aging(as_of, invoices, allocations, customer=None, buckets="30,60,90", basis="due"):
    """Aging buckets on a date (spills with a header), for every customer or one; TOTAL rows per currency;
    each row ends with the average days to pay and days late of the paid invoices, as on the Aging tab."""
    from ..core.reports.aging import age, parse_buckets
    from ..core.reports.metrics import aging_rows
    from ..core.reports.paid import paid_invoices
    d = _date(as_of)
    basis = (basis or "due").strip().lower()
    if basis not in ("due", "invoice"):
        raise UdfError(f"basis {basis!r}: use \"due\" or \"invoice\"")
    try:
        from ..core.read import as_text          # a cell holding 30 arrives as 30.0
        bounds = parse_buckets(as_text(buckets) or "30,60,90")
    except ValueError as exc:
        raise UdfError(str(exc)) from None
    ledger = _ledger(invoices, allocations)
    cid = "" if customer in (None, "") else _text(customer, "customer")
    if cid and not any(i.customer_id == cid for i in ledger.invoices):
        raise UdfError(f"customer {cid} not found in the invoices")
    header, rows = aging_rows(age(ledger, d, bounds, basis), {}, paid_invoices(ledger, d))
    out = [[h for i, h in enumerate(header) if i != 1]]
    for r in rows:
        if cid and r[0] != cid:
            continue
        out.append([float(v) if isinstance(v, Decimal) else v for i, v in enumerate(r) if i != 1])
    return out


@udf("invoices", "allocations")
def dso(as_of, invoices, allocations, method="standard", currency=None):
    """Days sales outstanding for the month ending on the as-of date: "standard", "count-back" (calendar
    days of each month) or "count-back-30" (30-day months)."""
    from ..core.model import Settings
    from ..core.ledger.reconcile import reconcile
    from ..core.reports.metrics import dso_countback, dso_standard, monthly_sales
    d = _date(as_of)
    method = (method or "standard").strip().lower().replace(" ", "").replace("-", "")
    if method not in ("standard", "countback", "countback30"):
        raise UdfError(f"method {method!r}: use \"standard\", \"count-back\" or \"count-back-30\"")
    ledger = _ledger(invoices, allocations)
    cur = _one_currency([i.currency for i in ledger.invoices], currency, "the invoices")
    start = dt.date(d.year, d.month, 1)
    rec = reconcile(ledger, Settings(), start, d)
    if cur not in rec.roll:
        raise UdfError(f"no invoices in {cur}")
    rf = rec.roll[cur]
    if method == "standard":
        value = dso_standard(rf.closing_subledger, rf.invoiced - rf.credit_notes, (d - start).days + 1)
    else:
        value = dso_countback(rf.closing_subledger, monthly_sales(ledger, cur), start,
                              month_days="30" if method == "countback30" else "calendar")
    if value is None:
        raise UdfError(f"DSO is undefined: no credit sales in {start:%Y-%m} ({cur}) to divide by")
    return float(value)


@udf("invoices", "allocations")
def days_to_pay(customer, as_of, invoices, allocations, measure="pay", currency=None):
    """Average days to pay ("pay": paid date - issue date) or days late ("late": paid date - due date,
    0 when on time) of a customer's invoices paid in full by the as-of date, as on the Aging tab."""
    from ..core.reports.paid import average_days, paid_invoices
    cid, d = _text(customer, "customer"), _date(as_of)
    measure = (measure or "pay").strip().lower()
    if measure not in ("pay", "late"):
        raise UdfError(f"measure {measure!r}: use \"pay\" or \"late\"")
    ledger = _ledger(invoices, allocations)
    if not any(i.customer_id == cid for i in ledger.invoices):
        raise UdfError(f"customer {cid} not found in the invoices")
    paid = [p for p in paid_invoices(ledger, d) if p.invoice.customer_id == cid]
    cur = _one_currency([p.invoice.currency for p in paid], currency, f"customer {cid}")
    found = average_days([p for p in paid if p.invoice.currency == cur]).get((cid, cur))
    if found is None:
        raise UdfError(f"customer {cid} has no invoice paid in full by {d}")
    return float(found[0] if measure == "pay" else found[1])


@udf("invoices", "allocations")
def cei(as_of, invoices, allocations, months=1, currency=None):
    """Collection Effectiveness Index (%) over the ``months`` months ending with the as-of date's month,
    as the Summary tab works it out with CEIMonths on Settings."""
    from ..core.reports.aging import age
    from ..core.reports.metrics import cei_over
    d = _date(as_of)
    try:
        n = int(months or 1)
    except (TypeError, ValueError):
        raise UdfError(f"months {months!r} must be a whole number from 1 to 36") from None
    if n != (months or 1) or not 1 <= n <= 36:
        raise UdfError(f"months {months!r} must be a whole number from 1 to 36")
    ledger = _ledger(invoices, allocations)
    cur = _one_currency([i.currency for i in ledger.invoices], currency, "the invoices")
    aging = age(ledger, d, (30, 60, 90))
    totals = aging.totals().get(cur, (0,))
    value = cei_over(ledger, cur, d, n, sum(totals), totals[0])
    if value is None:
        raise UdfError(f"CEI is undefined: nothing was collectable in {cur} over {n} month(s) to {d}")
    return float(value)


@udf()
def installments(balance, count, annual_rate, first_due=None, months_between=1, currency=None, plan_date=None):
    """A payment plan for a past-due balance (spills a schedule): equal instalments whose XIRR is the annual
    rate, counted on actual days from the plan's date (blank: one interval before the first due date), each
    amount in the currency's minor unit (JPY whole yen, BHD fils; blank: two decimals)."""
    from ..core.collections.plans import schedule
    from ..core.money import MoneyError, exponent, to_minor
    cur = (currency or "").strip().upper()
    if cur and (len(cur) != 3 or not cur.isalpha()):
        raise UdfError(f"currency {currency!r} is not an ISO 4217 code such as EUR")
    e = exponent(cur)
    try:
        cents = to_minor(balance, e)           # the balance in minor units, read half-up as every amount is
        n = int(count)
        rate = Decimal(repr(float(annual_rate or 0)))
        step = int(months_between or 1)
    except (TypeError, ValueError, MoneyError):
        raise UdfError(f"balance {balance!r}, count {count!r} and rate {annual_rate!r} must be numbers") from None
    if cents <= 0 or n < 1 or n != count or step < 1 or rate < 0:
        raise UdfError(f"need a positive balance ({balance}), a whole number of instalments of 1 or more "
                       f"({count}), a rate of 0 or more ({annual_rate}) and months between of 1 or more")
    first = _date(first_due, "first due date") if first_due not in (None, "") else None
    start = _date(plan_date, "plan date") if plan_date not in (None, "") else None
    if start is not None and (first is None or start >= first):
        raise UdfError(f"the plan date {start} needs a first due date after it (first due {first})")
    out = [["No", "DueDate", "Payment", "Interest", "Principal", "Remaining"]]
    for x in schedule(cents, n, rate, first, step, start):
        out.append([x.no, x.due, *(_money(v, cur) for v in (x.payment, x.interest, x.principal, x.remaining))])
    return out


def flows(customer, as_of, invoices, allocations):
    """A customer's flows as the seller sees them: invoices out, cash in, what is open as if paid on the as-of date."""
    from ..core.ledger.ledger import REDUCES_INVOICE
    cid, d = _text(customer, "customer"), _date(as_of)
    ledger = _ledger(invoices, allocations)
    items = _customer_items(ledger, cid, d)
    cur = _one_currency([i.currency for i in ledger.invoices if i.customer_id == cid], None, f"customer {cid}")
    out = []
    for inv in ledger.invoices:
        if inv.customer_id == cid and inv.issue_date <= d:
            out.append((inv.issue_date, -inv.total, inv.number))
    for a in ledger.allocations:
        if (a.customer_id == cid and a.kind in REDUCES_INVOICE and a.kind != "write-off" and a.date <= d
                and a.invoice_no in ledger.invoice_by_no):
            out.append((a.date, a.amount, a.id))
    open_total = sum(left for _inv, left in items)
    if open_total:
        out.append((d, open_total, "open on the as-of date"))
    out.sort(key=lambda x: x[0])
    return out, cur


@udf("invoices", "allocations")
def customer_flows(customer, as_of, invoices, allocations):
    """A customer's cash flows (spills Date, Amount, What): invoices negative, payments and open balance positive."""
    rows, cur = flows(customer, as_of, invoices, allocations)
    return [["Date", "Amount", "What"]] + [[d, _money(v, cur), what] for d, v, what in rows]


def _xirr(dates, values, guess=None):
    from pyxirr import InvalidPaymentsError, xirr as _x
    try:
        r = _x(dates, values, guess=guess)
    except (InvalidPaymentsError, ValueError) as exc:
        raise UdfError(f"XIRR: {exc} (the flows need at least one negative and one positive amount)") from None
    if r is None:
        raise UdfError("XIRR: no rate found for these flows")
    return r


def _columns(values, dates):
    vals = [v for row in _grid(values, "values") for v in row if v not in (None, "")]
    days = [d for row in _grid(dates, "dates") for d in row if d not in (None, "")]
    if len(vals) != len(days):
        raise UdfError(f"{len(vals)} values but {len(days)} dates")
    try:
        return [float(v) for v in vals], [_date(d, "date") for d in days]
    except (TypeError, ValueError):
        raise UdfError("values must be numbers") from None


@udf("values", "dates")
def xirr(values, dates, guess=None):
    """Annual internal rate of return of irregular flows (as Excel's XIRR)."""
    vals, days = _columns(values, dates)
    return _xirr(days, vals, guess)


@udf("values", "dates")
def xnpv(rate, values, dates):
    """Net present value at an annual rate of irregular flows (as Excel's XNPV)."""
    from pyxirr import xnpv as _n
    vals, days = _columns(values, dates)
    return _n(float(rate), days, vals)


@udf("invoices", "allocations")
def customer_xirr(customer, as_of, invoices, allocations):
    """XIRR of a customer's flows (see ARDESK_CUSTOMER_FLOWS): what paying late costs the seller, per year."""
    rows, cur = flows(customer, as_of, invoices, allocations)
    return _xirr([d for d, _v, _w in rows], [_money(v, cur) for _d, v, _w in rows])


@udf("invoices", "allocations")
def customer_xnpv(rate, customer, as_of, invoices, allocations):
    """XNPV at an annual rate of a customer's flows: negative when payment comes late."""
    from pyxirr import xnpv as _n
    rows, cur = flows(customer, as_of, invoices, allocations)
    return _n(float(rate), [d for d, _v, _w in rows], [_money(v, cur) for _d, v, _w in rows])


# -- exposing them ---------------------------------------------------------------------
def _guarded(f):
    @functools.wraps(f)
    def call(*args):
        try:
            return f(*args)
        except UdfError as exc:
            return ERROR + str(exc)
        except Exception as exc:  # a worksheet shows text, never a traceback
            return f"{ERROR}{type(exc).__name__}: {exc}"
    return call


def _runtime():
    """(func, arg) decorators of the xlwings runtime serving this module, or None."""
    from .buttons import remote_runtime
    if remote_runtime():
        try:
            from xlwings import server
            return server.func, server.arg
        except Exception:
            pass
    if sys.platform.startswith("win") and os.environ.get("XLWINGS_ON_SERVER") != "true":
        try:
            import xlwings as xw
            return xw.func, xw.arg
        except Exception:
            pass
    return None


def exposed_functions(func=None, arg=None):
    """``ardesk_<name>`` (Excel: ARDESK_<NAME>) for every declared function, decorated with ``func``/``arg``.

    ``func`` and ``arg`` are an xlwings runtime's decorators (``xw.func``/``xw.arg``,
    ``xlwings.server.func``/``server.arg``); table arguments are read as 2-D arrays.
    """
    out = []
    for name, (f, tables) in UDFS.items():
        exposed = _guarded(f)
        exposed.__name__ = exposed.__qualname__ = f"ardesk_{name}"
        exposed.__module__ = __name__
        if func is not None:
            for t in tables:
                exposed = arg(t, ndim=2)(exposed)
            exposed = func(exposed)
        out.append(exposed)
    return out


def register():
    """Define the exposed functions in this module for the runtime present; returns their names."""
    names = []
    for exposed in exposed_functions(*(_runtime() or ())):
        globals()[exposed.__name__] = exposed
        names.append(exposed.__name__)
    return names


EXPOSED = register()
__all__ = list(EXPOSED)
