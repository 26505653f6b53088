"""Bank lines as remitters write them, for judging cash application from the outside.

This generator knows nothing of how ardesk matches.  It builds a book of
customers and open invoices the way a billing run leaves them (monthly
invoices for everyone, batches of consecutive numbers for customers billed
several contracts at once), then writes each payment the way people and
their banks actually write remittance text:

- the invoice number copied from the invoice, or retyped from memory
  ("inv 2026-713", "Rechnung Nr. 2026/00713", "invoice 713"), with the word
  for invoice in the payer's language ("Factuur 713", "Fattura n. 713");
- the ISO 11649 creditor reference from the payment slip (RF, check digits
  computed here per ISO 7064 MOD 97-10);
- several invoices on one line, the second and third written short because
  the payer does not retype the prefix ("INV-2026-00713 + 01191",
  "INV 713 & 1191", "INV-2026-00713/714/715", "INV-2026-00713-715");
- a copying slip: the digit 0 typed as the letter O;
- more than the invoice (a round sum, a duplicate transfer), or part of it
  (an instalment);
- no reference at all, from the account the customer always pays from, or
  with the company name as the payer typed it (no "GmbH", capitals,
  the bank cutting it at 35 characters, SEPA's field length of old);
- money from strangers, and a parent company paying a subsidiary's invoice.

Each case carries its truth: which invoices the payer meant and how much of
the money each was to get, and whether a careful clerk could post it without
asking (``expect`` "post") or would have to ask (``expect`` "review").
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "addin"))

from ardesk.core.cash.matching import Incoming  # noqa: E402
from ardesk.core.model import Customer, Invoice  # noqa: E402

FIRST = ("Acme", "Nordlicht", "Blue Harbor", "Cedar", "Granite", "Müller", "Dupont", "Van Dijk", "Rossi",
         "Kowalski", "Summit", "Maple", "Orbit", "Pioneer", "Atlas", "Beacon", "Falcon", "Horizon", "Juniper",
         "Lindqvist", "O'Brien", "Schneider", "Lefèvre", "De Vries", "Bianchi", "Novak", "Evergreen")
TRADE = ("Bakery", "Logistik", "Dental Care", "Architekten", "Foods", "Motors", "Textiles", "Consulting",
         "Elektrotechnik", "Bouwbedrijf", "Imprimerie", "Trattoria", "Software", "Holzbau", "Kliniek")
LEGAL = ("GmbH", "Ltd", "B.V.", "SARL", "Inc.", "S.A.", "GmbH & Co. KG", "S.r.l.", "AG", "NV", "Ltd.")
STRANGERS = ("J. Smith", "M. Garcia", "Stadtwerke Nord", "Amazon Payments Europe", "Finanzamt", "P. Janssen")


def _rf(body: str) -> str:
    """An ISO 11649 creditor reference for ``body`` (check digits by ISO 7064 MOD 97-10)."""
    digits = "".join(str(int(ch, 36)) for ch in body + "RF00")
    return f"RF{98 - int(digits) % 97:02d}{body}"


@dataclass(frozen=True)
class Case:
    kind: str
    line: Incoming
    customer_id: str | None                 # who really paid (None: a stranger)
    pays: tuple[tuple[str, int], ...]       # (invoice, amount meant for it)
    expect: str                             # "post" or "review"


@dataclass
class Book:
    customers: dict[str, Customer]
    invoices: list[Invoice]
    by_customer: dict[str, list[Invoice]]


def build_book(rng: random.Random, n_customers: int = 400) -> Book:
    customers: dict[str, Customer] = {}
    names: set[str] = set()
    while len(customers) < n_customers:
        name = f"{rng.choice(FIRST)} {rng.choice(TRADE)} {rng.choice(LEGAL)}"
        if name in names:
            name = f"{rng.choice(FIRST)} {rng.choice(FIRST)} {rng.choice(TRADE)} {rng.choice(LEGAL)}"
            if name in names:
                continue
        names.add(name)
        cid = f"K{len(customers) + 1:05d}"
        iban = f"DE{rng.randint(10, 99)}{rng.randint(10**17, 10**18 - 1)}" if rng.random() < 0.6 else ""
        customers[cid] = Customer(cid, name, 14, Decimal("0.19"), "EUR", bank_account=iban)
    invoices: list[Invoice] = []
    by_customer: dict[str, list[Invoice]] = {c: [] for c in customers}
    seq = 400
    for month in (9, 10, 11):
        issued = date(2026, month, 1)
        ids = list(customers)
        rng.shuffle(ids)
        for cid in ids:
            batch = 3 if rng.random() < 0.15 else 1          # several contracts billed in one run
            for _ in range(batch):
                seq += 1 + (rng.random() < 0.03)            # a cancelled draft leaves a gap
                total = rng.choice((rng.randint(1_500, 90_000), rng.randint(2, 10) * 10_000))   # odd sums, round sums
                number = f"INV-2026-{seq:05d}"
                rf = _rf(f"{rng.randint(10**8, 10**9 - 1)}") if rng.random() < 0.3 else ""
                inv = Invoice(number, cid, issued, issued + timedelta(days=14), "EUR", total, 0, total,
                              creditor_ref=rf)
                invoices.append(inv)
                by_customer[cid].append(inv)
    return Book(customers, invoices, by_customer)


def _as_typed(rng: random.Random, name: str) -> str:
    """The payer name as a bank statement shows it."""
    style = rng.random()
    if style < 0.3:
        return name.upper()
    if style < 0.5:
        return name[:35]
    return name


def _without_legal_form(name: str) -> str:
    for form in sorted(LEGAL, key=len, reverse=True):
        if name.endswith(" " + form):
            return name[: -len(form) - 1]
    return name


def _short(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


def _retyped(rng: random.Random, number: str) -> str:
    seq = _short(number)
    return rng.choice((f"inv 2026-{seq}", f"Rechnung Nr. 2026/{seq:05d}", f"invoice {seq}", f"INV{2026}{seq:05d}",
                       f"Inv. {seq}", f"Facture n° INV 2026 {seq:05d}"))


KINDS = ("exact", "retyped", "rf", "two full", "full + short", "slash list", "range", "overpaid quoted",
         "partial quoted", "letter O", "account, no reference", "name without legal form", "stranger",
         "parent pays subsidiary", "one digit wrong", "date and amount in text", "paid twice",
         "invoice in the payer's language")


def generate(rng: random.Random, book: Book, per_kind: int = 40) -> list[Case]:
    cases: list[Case] = []
    used: set[str] = set()
    paid_in_full: set[str] = set()
    day = date(2026, 11, 20)
    cids = list(book.customers)

    def open_of(cid: str) -> list[Invoice]:
        return [i for i in book.by_customer[cid] if i.number not in used]

    def consecutive(cid: str, n: int) -> list[Invoice] | None:
        items = open_of(cid)
        for k in range(len(items) - n + 1):
            run = items[k:k + n]
            if all(_short(b.number) - _short(a.number) == 1 for a, b in zip(run, run[1:])):
                return run
        return None

    def line(kind: str, cid: str | None, amount: int, text: str, payer: str, account: str,
             reference: str = "") -> Incoming:
        fp = f"bench:{len(cases)}"
        return Incoming(day, amount, "EUR", fp, "bench", "transfer", payer, account, "", reference, text,
                        origin=f"case {len(cases)} ({kind})", at_bank=True)

    for kind in KINDS:
        made = tries = 0
        while made < per_kind and tries < per_kind * 50:
            tries += 1
            cid = rng.choice(cids)
            c = book.customers[cid]
            items = open_of(cid)
            if not items:
                continue
            inv = items[0]
            payer, acct = _as_typed(rng, c.name), c.bank_account
            expect, pays = "post", [(inv.number, inv.total)]
            amount, text, ref = inv.total, inv.number, ""
            if kind == "exact":
                text = rng.choice((f"{inv.number}", f"Invoice {inv.number}", f"Zahlung {inv.number} Danke",
                                   f"{inv.number} / {c.id}"))
            elif kind == "retyped":
                text = _retyped(rng, inv.number)
            elif kind == "rf":
                if not inv.creditor_ref:
                    continue
                ref, text = inv.creditor_ref, ""
            elif kind in ("two full", "full + short"):
                if len(items) < 2:
                    continue
                second = rng.choice(items[1:])
                pays = [(inv.number, inv.total), (second.number, second.total)]
                amount = inv.total + second.total
                if kind == "two full":
                    text = f"{inv.number}, {second.number}"
                else:
                    text = rng.choice((f"{inv.number} + {_short(second.number):05d}",
                                       f"INV {_short(inv.number)} + {_short(second.number)}",
                                       f"{inv.number} & {_short(second.number)}",
                                       f"Rechnungen {inv.number} und {_short(second.number)}"))
            elif kind in ("slash list", "range"):
                run = consecutive(cid, 3)
                if run is None:
                    continue
                pays = [(i.number, i.total) for i in run]
                amount = sum(i.total for i in run)
                a, b, z = (_short(i.number) for i in run)
                text = (f"{run[0].number}/{b}/{z}" if kind == "slash list"
                        else rng.choice((f"{run[0].number}-{z}", f"{run[0].number} to {z:05d}")))
            elif kind == "overpaid quoted":
                if len(items) < 2:
                    continue            # the customer has other open invoices the money must not reach
                inv = items[-1]
                extra = rng.choice((inv.total // 10, 1_000, inv.total))      # a round-up, a tip, paid twice
                pays, amount, text = [(inv.number, inv.total)], inv.total + extra, inv.number
            elif kind == "partial quoted":
                if not acct:
                    continue
                part = inv.total // rng.choice((2, 3, 4))
                pays, amount, text = [(inv.number, part)], part, f"{inv.number} 1st instalment"
            elif kind == "letter O":
                if "0" not in inv.number[4:]:
                    continue
                text = inv.number[:4] + inv.number[4:].replace("0", "O", rng.randint(1, 2))
            elif kind == "account, no reference":
                if not acct or len(items) < 2 or sum(1 for i in items if i.total == inv.total) > 1:
                    continue
                text = rng.choice(("Zahlung", "payment", "", "Danke"))
            elif kind == "name without legal form":
                if sum(1 for i in items if i.total == inv.total) > 1:
                    continue
                bare = _without_legal_form(c.name)
                if bare == c.name or any(_without_legal_form(o.name) == bare for o in book.customers.values()
                                         if o.id != cid):
                    continue
                payer, acct, text = rng.choice((bare, bare.upper())), "", rng.choice(("payment", "Danke", ""))
            elif kind == "stranger":
                cid, pays, expect = None, [], "review"
                payer, acct = rng.choice(STRANGERS), f"NL{rng.randint(10, 99)}BANK0{rng.randint(10**8, 10**9)}"
                amount, text = rng.randint(500, 50_000), rng.choice(("Rent October", "Refund", "Gift", ""))
            elif kind == "parent pays subsidiary":
                other = rng.choice(cids)
                if other == cid or not book.customers[other].bank_account:
                    continue
                payer, acct, expect = book.customers[other].name, book.customers[other].bank_account, "review"
            elif kind == "date and amount in text":
                e = f"{inv.total // 100},{inv.total % 100:02d}"
                text = rng.choice((f"Re {inv.number} vom {inv.issue_date:%d.%m.%Y} EUR {e}",
                                   f"{inv.number}, {inv.issue_date:%d/%m/%Y}, {e} EUR",
                                   f"Kd-Nr {c.id} Rg {inv.number} Betrag {e}"))
            elif kind == "invoice in the payer's language":
                seq = _short(inv.number)
                text = rng.choice((f"Rechnung {seq}", f"Rechnung Nr. 2026-{seq:05d}", f"Facture 2026-{seq:05d}",
                                   f"Factuur {seq}", f"Fattura n. {seq}", f"Rg. {seq:05d}", f"Faktura {seq}"))
            elif kind == "paid twice":
                done = [i for i in book.by_customer[cid] if i.number in paid_in_full]
                if not done:
                    continue
                inv = done[0]                  # the bank ran the standing order again
                pays, amount, text, expect = [], inv.total, inv.number, "review"
            elif kind == "one digit wrong":
                digits = inv.number[-3:]
                swapped = digits[1] + digits[0] + digits[2]
                if swapped == digits:
                    continue
                text, expect = inv.number[:-3] + swapped, "review"
            cases.append(Case(kind, line(kind, cid, amount, text, payer, acct, ref), cid, tuple(pays), expect))
            used.update(n for n, _ in pays)
            if expect == "post":
                paid_in_full.update(n for n, part in pays if part == next(i.total for i in items if i.number == n))
            made += 1
    return cases


def judge(cases: list[Case], payments, allocations) -> dict[str, dict]:
    """Per kind: lines; auto-posted exactly as meant (``right``); auto-posted to the right customer
    and invoices with some of the money left as customer credit (``credit``: not wrong, not found
    either); auto-posted with money on an invoice or customer the payer did not mean (``wrong``);
    not posted (``held``: review or suspense)."""
    by_fp = {p.fingerprint: p for p in payments}
    allocs: dict[str, list] = {}
    for a in allocations:
        allocs.setdefault(a.payment_id, []).append(a)
    table: dict[str, dict] = {}
    for case in cases:
        row = table.setdefault(case.kind, dict(lines=0, expect=case.expect, right=0, wrong=0, credit=0, held=0,
                                               wrong_money=0))
        row["lines"] += 1
        p = by_fp.get(case.line.fingerprint)
        mine = allocs.get(p.id, []) if p is not None else []
        if p is None or any(a.kind == "suspense" for a in mine):
            row["held"] += 1
            continue
        applied = {}
        for a in mine:
            if a.kind in ("applied", "write-off"):
                applied[a.invoice_no] = applied.get(a.invoice_no, 0) + a.amount
        credit = sum(a.amount for a in mine if a.kind == "credit")
        meant = dict(case.pays)
        owner_ok = all(a.customer_id == case.customer_id for a in mine)
        misapplied = sum(max(v - meant.get(k, 0), 0) for k, v in applied.items())
        if owner_ok and applied == meant and credit == case.line.amount - sum(meant.values()):
            row["right"] += 1
        elif owner_ok and not misapplied:
            row["credit"] += 1          # posted to the right customer, but some of it left as credit
        else:
            row["wrong"] += 1
            row["wrong_money"] += misapplied or case.line.amount
    return table
