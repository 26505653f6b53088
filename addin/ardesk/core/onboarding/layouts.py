"""Column layouts of the exports ardesk imports, and the text-to-value rules they need.

Each layout names, for every field ardesk reads, the column headings the vendor's export uses
(the first heading present in the file is read; the address takes every one present, joined).

QuickBooks (Online and Desktop):
  customer list (Sales > Customers > Export; Desktop: Customer Center > Excel > Export Customer List)
    Customer / Name, Company, Email / Main Email, Billing Address or Bill to 1..3 / Street Address, City,
    Zip, Country, Terms ("Net 30"), Currency, Account No., Credit Limit, Open Balance (Desktop: Balance,
    the customer's or job's own; each Customer:Job line is a customer of its own);
  A/R Aging Detail report (Reports > A/R Aging Detail > Export to CSV/Excel)
    Date, Transaction Type / Type, Num, Customer / Name, Due Date, Amount, Open Balance, Currency
    (Desktop: Type, Date, Num, P. O. #, Name, Terms, Due Date, Class, Aging, Open Balance);
    report title lines above the heading, section lines ("Current", "1 - 30 days past due"),
    "Total for ..." lines and the closing "TOTAL" line, whose Open Balance is the export's total;
    the title's "As of June 30, 2026" is the opening date.
  Dates are month/day/year.
Xero:
  contacts (Contacts > All contacts > Export)
    ContactName, AccountNumber, EmailAddress, POAddressLine1..4, POCity, PORegion, POPostalCode,
    POCountry, DueDateSalesDay (days after the invoice date);
  sales invoices (Business > Invoices > Export, with the Awaiting payment invoices)
    ContactName, InvoiceNumber, InvoiceDate, DueDate, Total, InvoiceAmountDue, Currency, Type
    (one line per invoice line item: an invoice's Total and amount due repeat on each of its lines).
  Dates are day/month/year (the organisation's format) or YYYY-MM-DD.
Generic: a mapping file names the columns for the same fields, the date format and the currency.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from ..money import MoneyError, exponent, parse_amount

CUSTOMER_FIELDS = ("id", "name", "email", "address", "postal_code", "country", "terms", "currency",
                   "credit_limit", "balance", "status")
INVOICE_FIELDS = ("number", "customer", "issue_date", "due_date", "amount", "open", "currency", "type")
JOINED = frozenset({"address"})


@dataclass(frozen=True)
class Layout:
    name: str
    customers: dict[str, tuple[str, ...]]
    invoices: dict[str, tuple[str, ...]]
    date_format: str = "%m/%d/%Y"          # besides YYYY-MM-DD, always accepted
    decimal_comma: bool = False
    currency: str = ""                     # blank: the workbook's base currency
    terms_days: int = 30                   # where the export gives no terms
    total_marker: str = ""                 # first cell of the line carrying the export's total
    skip_prefix: tuple[str, ...] = ()      # first cells of lines that are not items
    lines_per_item: bool = False           # an invoice repeats on each of its line items
    as_of_prefix: str = ""                 # a title line above the heading that states the report's date
    as_of_format: str = ""
    required_customers: tuple[str, ...] = ("name",)
    required_invoices: tuple[str, ...] = ("number", "customer", "issue_date", "due_date", "open")


QUICKBOOKS = Layout(
    "quickbooks",
    customers={"id": ("Account No.", "Account #"), "name": ("Customer", "Name", "Customer full name"),
               "email": ("Email", "Main Email"),
               "address": ("Billing Address", "Street Address", "Bill to 1", "Bill to 2", "Bill to 3", "City",
                           "State"),
               "postal_code": ("Zip", "Billing ZIP", "Bill to ZIP"), "country": ("Country",),
               "terms": ("Terms",), "currency": ("Currency",), "credit_limit": ("Credit Limit",),
               "balance": ("Open Balance", "Balance", "Balance Total"), "status": ("Active Status", "Status")},
    invoices={"number": ("Num",), "customer": ("Customer", "Name"), "issue_date": ("Date",),
              "due_date": ("Due Date",), "amount": ("Amount",), "open": ("Open Balance",),
              "currency": ("Currency",), "type": ("Transaction Type", "Type")},
    date_format="%m/%d/%Y", total_marker="TOTAL", skip_prefix=("Total for ",),
    as_of_prefix="As of ", as_of_format="%B %d, %Y")

XERO = Layout(
    "xero",
    customers={"id": ("AccountNumber",), "name": ("ContactName", "*ContactName"), "email": ("EmailAddress",),
               "address": ("POAddressLine1", "POAddressLine2", "POAddressLine3", "POAddressLine4", "POCity",
                           "PORegion"),
               "postal_code": ("POPostalCode",), "country": ("POCountry",), "terms": ("DueDateSalesDay",),
               "currency": ("DefaultCurrency", "Currency")},
    invoices={"number": ("InvoiceNumber", "*InvoiceNumber"), "customer": ("ContactName", "*ContactName"),
              "issue_date": ("InvoiceDate", "*InvoiceDate"), "due_date": ("DueDate", "*DueDate"),
              "amount": ("Total",), "open": ("InvoiceAmountDue",), "currency": ("Currency",), "type": ("Type",)},
    date_format="%d/%m/%Y", lines_per_item=True)

LAYOUTS = {"quickbooks": QUICKBOOKS, "xero": XERO}


class LayoutError(ValueError):
    """A mapping file that cannot be used; the message names the file and the entry."""


def from_mapping(mapping: dict, source: str) -> Layout:
    """The generic layout a mapping file declares (read as a dict at the edge):

    [customers]      id, name, email, address (a list), postal_code, country, terms, currency,
                     credit_limit, balance, status = "the column heading"
    [open_invoices]  number, customer, issue_date, due_date, amount, open, currency, type
    [options]        date_format (strftime, default %Y-%m-%d), decimal_comma, currency, terms_days,
                     total_marker
    """
    def section(name: str, fields: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
        raw = mapping.get(name)
        if not isinstance(raw, dict):
            raise LayoutError(f"{source}: the mapping has no [{name}] section")
        out = {}
        for key, value in raw.items():
            if key not in fields:
                raise LayoutError(f"{source}: [{name}] {key!r} is not a field ardesk reads "
                                  f"(fields: {', '.join(fields)})")
            cols = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, list) else None
            if not cols or not all(isinstance(c, str) and c.strip() for c in cols):
                raise LayoutError(f"{source}: [{name}] {key} = {value!r}: give a column heading (or a list)")
            out[key] = cols
        return out
    opts = mapping.get("options", {})
    if not isinstance(opts, dict):
        raise LayoutError(f"{source}: [options] must be a section")
    known = {"date_format", "decimal_comma", "currency", "terms_days", "total_marker"}
    for key in opts:
        if key not in known:
            raise LayoutError(f"{source}: [options] {key!r} is not an option (options: {', '.join(sorted(known))})")
    fmt = opts.get("date_format", "%Y-%m-%d")
    try:
        datetime(2026, 12, 31).strftime(str(fmt))
        if "%" not in str(fmt):
            raise ValueError
    except ValueError:
        raise LayoutError(f"{source}: [options] date_format {fmt!r} is not a date format such as %d.%m.%Y") from None
    terms = opts.get("terms_days", 30)
    if not isinstance(terms, int) or isinstance(terms, bool) or terms < 0:
        raise LayoutError(f"{source}: [options] terms_days {terms!r}: give whole days, 0 or more")
    layout = Layout("generic", section("customers", CUSTOMER_FIELDS), section("open_invoices", INVOICE_FIELDS),
                    date_format=str(fmt), decimal_comma=bool(opts.get("decimal_comma", False)),
                    currency=str(opts.get("currency", "")).upper(), terms_days=terms,
                    total_marker=str(opts.get("total_marker", "")))
    for name, have, needed in (("customers", layout.customers, layout.required_customers),
                               ("open_invoices", layout.invoices, layout.required_invoices)):
        missing = [f for f in needed if f not in have]
        if missing:
            raise LayoutError(f"{source}: [{name}] lacks {', '.join(missing)}")
    return layout


# -- text to values ---------------------------------------------------------------------------
class FieldError(ValueError):
    """A cell of an export that cannot be read; the message says what was expected."""


_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                        "nov", "dec"), start=1)}
_DAY_MON_YEAR = re.compile(r"^(\d{1,2})[ -]([A-Za-z]{3})[A-Za-z]*[ -](\d{4})$")


def read_date(text: str, fmt: str) -> date:
    """A date as the export writes it: the layout's format, YYYY-MM-DD, or '15 Jun 2026'."""
    s = text.strip()
    for f in (fmt, "%Y-%m-%d", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(s, f).date()
        except ValueError:
            pass
    m = _DAY_MON_YEAR.match(s)
    if m and m.group(2).lower() in _MONTHS:
        try:
            return date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
        except ValueError:
            pass
    example = datetime(2026, 6, 30).strftime(fmt)
    raise FieldError(f"is not a date written as {example} or 2026-06-30")


def read_money(text: str, currency: str, decimal_comma: bool) -> int:
    try:
        return parse_amount(text.replace("$", "").replace("€", "").replace("£", ""), exponent(currency),
                            decimal_comma=decimal_comma)
    except MoneyError:
        raise FieldError("is not an amount") from None


def read_terms(text: str, default: int) -> int:
    """'Net 30', '1% 10 Net 30' (the net days), '30', '30 days', 'Due on receipt' -> days."""
    s = text.strip()
    if not s:
        return default
    if s.lower() in ("due on receipt", "cod", "cash on delivery"):
        return 0
    m = re.search(r"net\s*(\d+)", s, re.I) or re.fullmatch(r"(\d+)(\s*days?)?", s, re.I)
    if not m:
        raise FieldError("is not payment terms in days (e.g. Net 30)")
    return int(m.group(1))


def read_status(text: str) -> str:
    """'Active', 'Inactive', 'ACTIVE', 'ARCHIVED' -> active or inactive."""
    return "inactive" if text.strip().lower() in ("inactive", "archived", "no") else "active"


def is_credit(kind_text: str, open_minor: int) -> bool:
    k = kind_text.strip().lower()
    return open_minor < 0 or "credit" in k or k in ("payment", "accreccredit")
