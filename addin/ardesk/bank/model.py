"""What every bank and processor importer returns.

A :class:`Statement` is one file's worth of :class:`BankLine` rows, amounts in
integer minor units (credits to our account positive, debits negative).  Each
line carries a fingerprint that does not depend on which file it came in, so
the same line imported twice, or from overlapping statements, posts once.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import date
from operator import attrgetter
from typing import Iterable


class BankFileError(ValueError):
    """A bank or processor file that cannot be read; the message names the file and
    the line or element that broke it.  The whole file is refused.

    ``source`` is the file's name and ``lines_read`` the lines it holds where the
    importer got as far as counting them (a statement whose balances do not add
    up), else 0: the run's line accounting counts them as refused.
    """

    def __init__(self, message: str, *, source: str = "", lines_read: int = 0):
        super().__init__(message)
        self.source = source
        self.lines_read = lines_read


@dataclass(frozen=True, slots=True)
class BankLine:
    booking_date: date
    amount: int                       # minor units; + money in, - money out
    currency: str
    payer: str = ""                   # counterparty name
    payer_account: str = ""           # counterparty IBAN / account number
    reference: str = ""               # structured reference (RF..., end-to-end id)
    text: str = ""                    # unstructured remittance information
    bank_ref: str = ""                # the bank's own id of the line (AcctSvcrRef, FITID...)
    check_no: str = ""
    kind: str = "transfer"            # transfer, check, card, fee, deposit, ...
    value_date: date | None = None
    account: str = ""                 # our account the statement is for
    source: str = ""                  # file name, for messages
    line_no: int = 0                  # line (or element index) in the file, for messages
    fingerprint: str = ""

    @property
    def remittance(self) -> str:
        """All the text a matcher may search for references."""
        return " ".join(p for p in (self.reference, self.text) if p)


@dataclass(frozen=True, slots=True)
class Statement:
    source: str
    format: str                       # standard and version, e.g. 'camt.053.001.02'
    account: str
    currency: str
    lines: tuple[BankLine, ...]
    opening_balance: int | None = None
    closing_balance: int | None = None
    statement_id: str = ""
    problems: tuple[str, ...] = field(default=())
    # A file holding several statements (MT940, camt.053 with several Stmt,
    # BAI2 with several accounts) keeps each one here, with its own account,
    # currency and balances; ``lines`` then holds all their lines in file order.
    parts: tuple["Statement", ...] = field(default=())
    # False where the format's standard does not make the lines add up to the balances (a
    # mismatch is then a note, never a refusal); the reader says why in ``balance_rule``.
    balances_binding: bool = True
    balance_rule: str = ""
    not_imported: int = 0             # lines the file holds but the standard says are not booked (camt PDNG, INFO)


# A line's fields but the fingerprint, in order: the fingerprint is the last field, so a line is
# remade with a new one as BankLine(*_ALL_BUT_FINGERPRINT(line), fingerprint) (dataclasses.replace
# does the same through keyword arguments, several times slower for a statement's thousands of lines).
assert fields(BankLine)[-1].name == "fingerprint"
_ALL_BUT_FINGERPRINT = attrgetter(*(f.name for f in fields(BankLine)[:-1]))


def fingerprint_lines(lines: Iterable[BankLine]) -> tuple[BankLine, ...]:
    """Give every line a fingerprint from what identifies it at the bank.

    The bank's own line id is used where the format has one; otherwise the
    account, dates, amount, counterparty and texts, plus the occurrence number
    among identical lines (two equal checks on one day are two lines).
    """
    seen: dict[str, int] = {}
    out = []
    sha1, values = hashlib.sha1, _ALL_BUT_FINGERPRINT
    for ln in lines:
        if ln.bank_ref:
            basis = "|".join(("ref", ln.account, ln.bank_ref, str(ln.amount), ln.booking_date.isoformat()))
        else:
            basis = "|".join(("line", ln.account, ln.booking_date.isoformat(), str(ln.amount), ln.currency,
                              ln.payer, ln.payer_account, ln.reference, ln.text, ln.check_no))
        n = seen.get(basis, 0)
        seen[basis] = n + 1
        digest = sha1(f"{basis}#{n}".encode()).hexdigest()[:20]
        out.append(BankLine(*values(ln), f"bank:{digest}"))
    return tuple(out)


def check_balances(st: Statement) -> list[str]:
    """Opening balance + lines = closing balance, where the format carries both."""
    if st.opening_balance is None or st.closing_balance is None:
        return []
    total = st.opening_balance + sum(ln.amount for ln in st.lines)
    if total != st.closing_balance:
        from ..core.money import exponent, fmt
        e = exponent(st.currency)
        return [f"{st.source}: opening balance {fmt(st.opening_balance, e)} + lines "
                f"{fmt(total - st.opening_balance, e)} = {fmt(total, e)}, but the statement's closing "
                f"balance is {fmt(st.closing_balance, e)} (difference {fmt(st.closing_balance - total, e)})"]
    return []
