"""Dunning: reminders by ordered levels, late-payment interest and fixed compensation.

Modelled on Tryton's ``account_dunning``: a *policy* is a list of ordered
*levels*; a run as of a date proposes, per customer and currency, a *letter*
holding the items that reached their next level; issuing it logs each item
and level in the DunningHistory ledger.  A run only creates what is not
there: an item's next level is one more than the last level it was dunned
at, due once it is that many days past due *and* as many days have passed
since the last letter as lie between the two levels, so a second run on the
same day proposes nothing.  Disputed amounts are "blocked": not dunned.

Skipped: paid items, the invoices that charge dunning fees and interest (no
interest on interest, as BGB § 289 has it; they are followed up as open items),
the disputed part of an item, customers whose policy is
``none``, customers with receipts waiting on the Review tab (reconcile
first), customers on a payment plan, and what the clerk excluded.

Charges (each on a separate invoice: an issued invoice is never altered):

- **Fee**: the letter's level fee, once per letter.
- **Interest**: simple, actual/365, on the amount dunned, from the day after
  the due date (or after the day interest was last charged to) up to the
  run's date, at the level's basis:
  ``contract`` (the level's ContractRate), or statutory for B2B debts:
  ``EU`` Directive 2011/7/EU art. 2(12) and 12(2): the ECB main refinancing
  rate on the first calendar day of the half year + 8 points; ``DE`` BGB
  § 288(2): the Bundesbank base rate + 9 points; ``FR`` Code de commerce
  L441-10: the ECB rate + 10 points; ``UK`` Late Payment of Commercial Debts
  (Interest) Act 1998 s.6 with SI 2002/1675: the Bank of England base rate
  on 31 December / 30 June + 8 points.  The reference rate of each half year
  is read from the ReferenceRates tab; a period spanning half years is split.
- **Compensation** (``statutory``), once per invoice: EUR 40 (Directive
  2011/7/EU art. 6(1); BGB § 288(5); Code de commerce D441-5), or for GBP by
  the size of the debt (the Act, s.5A): under 1,000.00: 40; under 10,000.00:
  70; otherwise 100.
"""
from __future__ import annotations

from collections import defaultdict
from functools import partial
from operator import attrgetter, itemgetter
from dataclasses import dataclass
from typing import NamedTuple
from datetime import date, timedelta
from decimal import Decimal

from ..billing.billing import format_number, highest_sequence
from ..billing.creditor_ref import creditor_reference
from ..ledger.journal import EntryBuilder
from ..ledger.ledger import Ledger
from ..model import Customer, Invoice, InvoiceLine, Problem, Settings
from ..money import exponent, fmt, to_decimal
from .model import DunningLevel, HistoryItem, ReferenceRate

MARGIN = {"EU": Decimal("0.08"), "DE": Decimal("0.09"), "FR": Decimal("0.10"), "UK": Decimal("0.08")}
REFERENCE = {"EU": "ECB main refinancing rate", "DE": "Bundesbank base rate", "FR": "ECB main refinancing rate",
             "UK": "Bank of England base rate"}
EUR_COMPENSATION = 4000                                   # minor units: EUR 40.00
GBP_COMPENSATION = ((100_000, 4000), (1_000_000, 7000), (None, 10000))   # (debt below, sum)
STEP = "dunning"
CHARGES_PERIOD = "dunning"          # the Period of the invoices that charge fees, interest and compensation
NEVER = (0, None)                   # an item's (last level, date) before it is first dunned
INTEREST_TEXT = "late-payment interest on "     # how a charge invoice's interest line begins: then "INV: how"


def half_year_start(d: date) -> date:
    return date(d.year, 1 if d.month < 7 else 7, 1)


def next_half_year(d: date) -> date:
    return date(d.year, 7, 1) if d.month < 7 else date(d.year + 1, 1, 1)


def statutory_compensation(currency: str, debt: int) -> int:
    """The fixed sum for recovery costs per invoice (0 where no statute here gives one)."""
    if currency == "EUR":
        return EUR_COMPENSATION
    if currency == "GBP":
        for below, amount in GBP_COMPENSATION:
            if below is None or debt < below:
                return amount
    return 0


class RateBook:
    """Reference rates by basis and half year, from the ReferenceRates tab."""

    def __init__(self, rates: list[ReferenceRate]):
        self.rates = {(r.basis, r.start): r.rate for r in rates}

    def segments(self, basis: str, after: date, through: date) -> list[tuple[date, date, Decimal, int]]:
        """(from, to, annual rate, days) for each half year of the days after ``after`` through ``through``.

        Raises KeyError(basis, half year start) when the reference rate of a half year is missing."""
        out, day = [], after + timedelta(days=1)
        while day <= through:
            hy = half_year_start(day)
            end = min(through, next_half_year(day) - timedelta(days=1))
            if (basis, hy) not in self.rates:
                raise KeyError((basis, hy))
            out.append((day, end, self.rates[(basis, hy)] + MARGIN[basis], (end - day).days + 1))
            day = end + timedelta(days=1)
        return out


@dataclass(frozen=True, slots=True)
class Accrual:
    """How interest runs for the days after ``after`` through ``through``: each half year's annual rate
    (reference + margin, or the contract rate) and its days.  Simple interest, actual/365."""
    segments: tuple[tuple[date, date, Decimal, int], ...]
    why: str
    factor: Decimal                # sum of rate x days
    ratio: tuple[int, int]         # factor / 365 as integers (numerator, denominator)

    @classmethod
    def of(cls, level: DunningLevel, after: date, through: date, rates: RateBook) -> "Accrual | None":
        if level.interest_basis == "none" or through <= after:
            return None
        if level.interest_basis == "contract":
            segs = [(after + timedelta(days=1), through, level.contract_rate, (through - after).days)]
            why = "contract rate"
        else:
            basis = level.interest_basis
            segs = rates.segments(basis, after, through)
            why = f"{basis}: {REFERENCE[basis]} + {MARGIN[basis] * 100:.0f} points"
        factor = sum((rate * days for _f, _t, rate, days in segs), Decimal(0))
        sign, digits, exp = factor.as_tuple()
        num = int("".join(map(str, digits)) or 0) * (10 ** exp if exp > 0 else 1)
        return cls(tuple(segs), why, factor, (-num if sign else num, 365 * 10 ** (-exp if exp < 0 else 0)))

    def on(self, amount: int) -> int:
        """Interest on ``amount`` minor units: amount x factor / 365, rounded half-up to the minor unit once
        (in exact integers: the factor is a decimal with few places)."""
        num, den = self.ratio
        q, r = divmod(abs(amount) * num, den)
        q += 2 * r >= den
        return q if amount >= 0 else -q

    def text(self, amount: int, currency: str) -> str:
        e = exponent(currency)
        parts = " + ".join(f"{fmt(amount, e)} x {rate * 100:.2f}% x {days}/365" for _f, _t, rate, days in self.segments)
        return f"{parts} = {fmt(self.on(amount), e)} ({self.why}; {self.segments[0][0]} to {self.segments[-1][1]})"


def interest(amount: int, currency: str, level: DunningLevel, after: date, through: date,
             rates: RateBook) -> tuple[int, str]:
    """Simple interest, actual/365, on ``amount`` for the days after ``after`` through ``through``:
    (minor units rounded half-up once, how it was worked out)."""
    acc = Accrual.of(level, after, through, rates)
    if acc is None or amount <= 0:
        return 0, ""
    return acc.on(amount), acc.text(amount, currency)


class DunningItem(NamedTuple):
    invoice_no: str
    due_date: date
    days_past_due: int
    open: int
    disputed: int
    level: DunningLevel
    interest: int
    interest_to: date | None
    accrual: Accrual | None
    compensation: int
    currency: str

    @property
    def amount(self) -> int:
        """What is dunned: open and not disputed."""
        return self.open - self.disputed

    @property
    def computation(self) -> str:
        """How the interest was worked out ('' when none is charged)."""
        return self.accrual.text(self.amount, self.currency) if self.interest else ""


_LEVEL, _OPEN, _DISPUTED = itemgetter(5), itemgetter(3), itemgetter(4)      # of a DunningItem
_DUE_AND_NUMBER = itemgetter(1, 0)
_LEVEL_NO = attrgetter("level")
_UNSEEN = object()                  # an accrual not worked out yet (None: no interest runs)


@dataclass(frozen=True, slots=True)
class Letter:
    """A reminder to one customer in one currency: what the document renderer renders."""
    customer_id: str
    name: str
    currency: str
    level: DunningLevel            # the highest level among its items
    items: tuple[DunningItem, ...]
    fee: int

    @property
    def dunned(self) -> int:
        return sum(i.amount for i in self.items)

    @property
    def charges(self) -> int:
        return self.fee + sum(i.interest + i.compensation for i in self.items)

    @property
    def total(self) -> int:
        return self.dunned + self.charges

    @property
    def channel(self) -> str:
        return self.level.channel

    @property
    def template(self) -> str:
        return self.level.template


def check_levels(levels: list[DunningLevel]) -> tuple[dict[str, tuple[DunningLevel, ...]], list[Problem]]:
    """Policies from the DunningLevels rows: levels 1, 2, 3... with days past due increasing."""
    problems = []
    by_policy: dict[str, list[DunningLevel]] = defaultdict(list)
    for lv in levels:
        by_policy[lv.policy].append(lv)
        if lv.interest_basis == "contract" and not lv.contract_rate:
            problems.append(Problem(f"level {lv.level} of policy {lv.policy} charges contract interest but has no "
                                    "ContractRate", "DunningLevels", lv.row, "ContractRate", None, STEP))
    out = {}
    for policy, lvs in by_policy.items():
        lvs.sort(key=lambda x: x.level)
        for k, lv in enumerate(lvs, start=1):
            if k > 1 and lv.level == lvs[k - 2].level:
                problems.append(Problem(f"policy {policy}: level {lv.level} is given twice (also on row "
                                        f"{lvs[k - 2].row})", "DunningLevels", lv.row, "Level", lv.level, STEP))
                break
            if lv.level != k:
                problems.append(Problem(f"policy {policy}: levels must be numbered 1, 2, 3... without gaps; "
                                        f"found {lv.level} where {k} was expected", "DunningLevels", lv.row,
                                        "Level", lv.level, STEP))
                break
            if k > 1 and lv.days_past_due <= lvs[k - 2].days_past_due:
                problems.append(Problem(f"policy {policy}: level {lv.level} at {lv.days_past_due} days past due "
                                        f"must come later than level {k - 1} at {lvs[k - 2].days_past_due}",
                                        "DunningLevels", lv.row, "DaysPastDue", lv.days_past_due, STEP))
        out[policy] = tuple(lvs)
    return out, problems


def check_templates(levels: list[DunningLevel], available: frozenset[str], folder: str) -> list[Problem]:
    """Each level's Template must name a letter template in the templates folder (``dunning-NAME.txt``:
    the edge lists them), whatever its channel: a call task's template is the clerk's call script."""
    shown = ", ".join(sorted(available)) or "none"
    return [Problem(f"level {lv.level} of policy {lv.policy} names template {lv.template!r}, but the templates "
                    f"folder {folder} has no dunning-{lv.template}.txt (there: {shown})", "DunningLevels", lv.row,
                    "Template", lv.template, STEP)
            for lv in levels if lv.template not in available]


class History:
    """What the DunningHistory ledger says of each invoice: last level and date, interest charged to, compensated."""

    def __init__(self, items: list[HistoryItem]):
        self.last: dict[str, tuple[int, date]] = {}
        self.interest_to: dict[str, date] = {}
        self.compensated: set[str] = set()
        for h in items:
            if h.invoice_no not in self.last or h.level > self.last[h.invoice_no][0]:
                self.last[h.invoice_no] = (h.level, h.date)
            if h.interest_to and (h.invoice_no not in self.interest_to or h.interest_to > self.interest_to[h.invoice_no]):
                self.interest_to[h.invoice_no] = h.interest_to
            if h.compensation:
                self.compensated.add(h.invoice_no)


def propose(ledger: Ledger, customers: dict[str, Customer], policy_of: dict[str, str | None],
            policies: dict[str, tuple[DunningLevel, ...]], rates: RateBook, history: History,
            disputed: dict[str, int], skip: dict[str, str], excluded: set[tuple[str, str, str]],
            as_of: date) -> tuple[list[Letter], list[Problem], list[Problem]]:
    """The letters a run as of ``as_of`` proposes: (letters, problems, notes).

    ``policy_of``: each customer's policy name (None: not dunned); ``skip``: customers not dunned today,
    with the reason; ``excluded``: (customer, currency, invoice) the clerk left out ('' for a whole letter).
    """
    problems: list[Problem] = []
    notes: list[Problem] = []
    missing_rates: dict[tuple[str, date], str] = {}
    groups: dict[tuple[str, str], list[DunningItem]] = {}
    groups_get = groups.get
    new_item = partial(tuple.__new__, DunningItem)      # a DunningItem from its fields, without a Python frame
    skipped: dict[str, int] = defaultdict(int)
    last_get, interest_to_get, compensated = history.last.get, history.interest_to.get, history.compensated
    disputed_get = disputed.get
    # per policy: for each level, its accruals by the day interest runs after (levels of one basis and
    # rate share them); per customer: its policy's levels and those caches, worked out once
    caches: dict[str, tuple[dict[date, Accrual | None], ...]] = {}
    shared: dict[tuple, dict[date, Accrual | None]] = {}
    levels_of: dict[str, tuple] = {}
    levels_get = levels_of.get
    days_of: dict[date, int] = {}
    days_get = days_of.get
    as_of_ordinal = as_of.toordinal()
    for inv, left in ledger.open_at(as_of):
        if left <= 0 or inv.kind != "invoice" or inv.period == CHARGES_PERIOD:
            continue
        cid = inv.customer_id
        found = levels_get(cid)
        if found is None:
            levels = _levels_of(cid, policy_of, policies, skip, problems)
            if levels and levels[0].policy not in caches:
                caches[levels[0].policy] = tuple(shared.setdefault((lv.interest_basis, lv.contract_rate), {})
                                                 for lv in levels)
            found = levels_of[cid] = (levels, caches[levels[0].policy] if levels else ())
        levels, level_caches = found
        if not levels:
            if levels is None:
                skipped[cid] += 1
            continue
        number, due = inv.number, inv.due_date
        done, last_date = last_get(number, NEVER)
        if done >= len(levels):
            continue
        lv = levels[done]
        days = days_get(due)
        if days is None:
            days = days_of[due] = as_of_ordinal - due.toordinal()
        if days < lv.days_past_due:
            continue
        if last_date is not None and (as_of - last_date).days < lv.days_past_due - levels[done - 1].days_past_due:
            continue
        held = disputed_get(number, 0)
        amount = left - held
        if amount <= 0:
            continue
        if excluded and ((cid, inv.currency, number) in excluded or (cid, inv.currency, "") in excluded):
            continue
        charged, acc = 0, None
        if lv.interest_basis != "none":
            after = interest_to_get(number, due)
            if after < due:
                after = due
            cache = level_caches[done]
            acc = cache.get(after, _UNSEEN)
            if acc is _UNSEEN:
                try:
                    acc = cache[after] = Accrual.of(lv, after, as_of, rates)
                except KeyError as exc:
                    missing_rates.setdefault(exc.args[0], number)
                    continue
            if acc is not None:
                charged = acc.on(amount)
        comp = 0
        cur = inv.currency
        if lv.compensation == "statutory" and days > 0 and number not in compensated:
            comp = statutory_compensation(cur, amount)
        key = (cid, cur)
        group = groups_get(key)
        if group is None:
            group = groups[key] = []
        group.append(new_item((number, due, days, left, held, lv, charged, as_of if charged else None, acc, comp,
                               cur)))
    for (basis, hy), no in sorted(missing_rates.items()):
        problems.append(Problem(f"no {basis} reference rate for the half year from {hy} (needed for {no}): add "
                                f"it on ReferenceRates", "ReferenceRates", None, "From", hy, STEP))
    letters = []
    for (cid, cur), items in sorted(groups.items()):
        top = max(map(_LEVEL, items), key=_LEVEL_NO)
        cust = customers.get(cid)
        name = cust.name if cust else ""
        dunned = sum(map(_OPEN, items)) - sum(map(_DISPUTED, items))
        if top.currency and top.currency != cur and (top.min_amount or top.fee):
            notes.append(Problem(f"{cid}: level {top.level} of policy {top.policy} has its minimum and fee in "
                                 f"{top.currency}; the {cur} items are dunned without them", "DunningLevels",
                                 top.row, "Currency", top.currency, STEP, blocking=False))
            fee, minimum = 0, 0
        else:
            fee, minimum = top.fee, top.min_amount
        if dunned < minimum:
            continue
        items.sort(key=_DUE_AND_NUMBER)
        letters.append(Letter(cid, name, cur, top, tuple(items), fee))
    for cid, n in sorted(skipped.items()):
        notes.append(Problem(f"customer {cid}: {n} item(s) not dunned: {skip[cid]}", "Customers",
                             customers[cid].row if cid in customers else None, "CustomerID", cid, STEP,
                             blocking=False))
    return letters, problems, notes


def _levels_of(cid: str, policy_of: dict[str, str | None], policies: dict[str, tuple[DunningLevel, ...]],
               skip: dict[str, str], problems: list[Problem]) -> tuple[DunningLevel, ...] | None:
    """The levels a customer is dunned by today: () for none, None when skipped today."""
    policy = policy_of.get(cid)
    if policy is None:
        return ()
    if cid in skip:
        return None
    levels = policies.get(policy)
    if levels is None:
        problems.append(Problem(f"customer {cid} uses dunning policy {policy!r}, which has no levels on "
                                "DunningLevels", "DunningCustomers", None, "Policy", policy, STEP))
        levels = policies[policy] = ()          # said once
    return levels


def proposal_rows(letters: list[Letter], as_of: date) -> list[tuple]:
    """The Dunning tab: one row per item, then the letter's row with its fee and totals."""
    rows = []
    for L in letters:
        e = exponent(L.currency)
        D = lambda v: to_decimal(v, e)  # noqa: E731
        for i in L.items:
            rows.append((as_of, "item", L.customer_id, L.name, L.currency, i.invoice_no, i.due_date, i.days_past_due,
                         D(i.open), D(i.disputed) if i.disputed else None, i.level.level, None,
                         D(i.interest) if i.interest else None, D(i.compensation) if i.compensation else None,
                         D(i.amount + i.interest + i.compensation), i.level.channel, i.level.template,
                         i.computation or None, None))
        rows.append((as_of, "letter", L.customer_id, L.name, L.currency, None, None,
                     max(i.days_past_due for i in L.items), D(sum(i.open for i in L.items)),
                     D(sum(i.disputed for i in L.items)) or None, L.level.level, D(L.fee) if L.fee else None,
                     D(sum(i.interest for i in L.items)) or None, D(sum(i.compensation for i in L.items)) or None,
                     D(L.total), L.channel, L.template, f"{len(L.items)} item(s); charges {fmt(L.charges, e)}", None))
    return rows


@dataclass(frozen=True, slots=True)
class IssuedLetter:
    """A letter as issued: its id and the invoice charging its fee, interest and compensation."""
    letter_id: str
    date: date
    letter: Letter
    charge_invoice: str = ""


def issue(letters: list[Letter], ledger: Ledger, customers: dict[str, Customer], settings: Settings,
          letter_seq: int, as_of: date):
    """Issue proposed letters: charges on new invoices (Dr AR, Cr Late fees and interest; no tax: late
    interest and compensation are no consideration for a supply), and a DunningHistory row per item.
    Proposals come from :func:`propose`, which offers an item only at the level after the last one
    logged, so issuing is idempotent per invoice and level.

    Returns (charge invoices, journal lines, history rows, issued letters, next invoice number)."""
    seq = settings.next_invoice_number
    highest = highest_sequence(ledger, settings.invoice_format)
    if highest and seq != highest + 1 and any(L.charges for L in letters):
        raise ValueError(f"Next invoice number is {seq} but the highest issued number is {highest}: "
                         f"set it to {highest + 1}")
    invoices, journal, rows, issued = [], [], [], []
    for L in letters:
        letter_seq += 1
        letter_id = f"DL-{letter_seq:07d}"
        e = exponent(L.currency)
        number = ""
        if L.charges:
            number = format_number(settings.invoice_format, seq, as_of)
            seq += 1
            parts = [("FEE", f"dunning fee, level {L.level.level} reminder {letter_id}", L.fee)]
            for i in L.items:
                parts.append(("INTEREST", f"{INTEREST_TEXT}{i.invoice_no}: {i.computation}", i.interest))
                parts.append(("COMPENSATION", f"fixed compensation for recovery costs, {i.invoice_no}",
                              i.compensation))
            lines = tuple(InvoiceLine(number, k, "", item, text[:250], Decimal(1), to_decimal(amount, e), None, None,
                                      Decimal(1), amount, L.currency, f"dunning|{letter_id}|{k}")
                          for k, (item, text, amount) in enumerate(((a, b, c) for a, b, c in parts if c), start=1))
            terms = customers[L.customer_id].terms_days if L.customer_id in customers else 0
            inv = Invoice(number, L.customer_id, as_of, as_of + timedelta(days=terms), L.currency, L.charges, 0,
                          L.charges, "invoice", CHARGES_PERIOD, creditor_reference(number), "", lines)
            ledger.add_invoices([inv])
            b = EntryBuilder(ledger, settings, as_of, L.currency, "invoice", number,
                             f"dunning charges {letter_id}")
            entry = b.debit("AR", L.charges, L.customer_id).credit("LateFees", L.charges).build()
            ledger.add_journal(entry)
            invoices.append(inv)
            journal += entry
        for k, i in enumerate(L.items):
            rows.append(HistoryItem(as_of, letter_id, L.customer_id, i.invoice_no, i.level.level, i.amount,
                                    L.currency, L.fee if k == 0 else 0, i.interest, i.interest_to, i.compensation,
                                    number, i.level.channel, i.level.template))
        issued.append(IssuedLetter(letter_id, as_of, L, number))
    return invoices, journal, rows, issued, seq


def letter_fields(issued: IssuedLetter, customer: Customer | None) -> dict:
    """The data dictionary of a dunning letter: what a document template is filled with.

    Amounts are exact decimals in major units; ``items`` lists each dunned invoice."""
    L = issued.letter
    e = exponent(L.currency)
    D = lambda v: to_decimal(v, e)  # noqa: E731
    return {
        "letter_id": issued.letter_id, "date": issued.date, "template": L.template, "channel": L.channel,
        "level": L.level.level, "customer_id": L.customer_id, "name": L.name,
        "email": customer.email if customer else "", "address": customer.address if customer else "",
        "postal_code": customer.postal_code if customer else "", "country": customer.country if customer else "",
        "currency": L.currency, "dunned": D(L.dunned), "fee": D(L.fee),
        "interest": D(sum(i.interest for i in L.items)), "compensation": D(sum(i.compensation for i in L.items)),
        "total": D(L.total), "charge_invoice": issued.charge_invoice,
        "items": [{"invoice_no": i.invoice_no, "due_date": i.due_date, "days_past_due": i.days_past_due,
                   "open": D(i.open), "disputed": D(i.disputed), "dunned": D(i.amount), "interest": D(i.interest),
                   "interest_computation": i.computation, "compensation": D(i.compensation)} for i in L.items],
    }
