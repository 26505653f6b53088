"""Pieces every statement reader shares: money from parsed values, the balance
check that decides whether a file is accepted, and the cleaning of texts."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Iterable

from ..core.money import MoneyError, exponent, minor_from_decimal
from .model import BankFileError, BankLine, Statement, check_balances, fingerprint_lines
from .sanitize import clean_text

__all__ = ["clean_text", "minor", "settle", "join_texts", "collect", "combine", "Item"]


def minor(value: Decimal, currency: str, where: str) -> int:
    """A parsed Decimal amount in the currency's minor units; ``where`` names the
    file and element or line for the error message."""
    try:
        return minor_from_decimal(value, exponent(currency), vanishing_ok=False)
    except MoneyError as exc:
        raise BankFileError(f"{where}: {exc}") from None


def join_texts(*parts: str | None, sep: str = " ") -> str:
    """Non-empty parts joined and cleaned (whitespace, control characters, card numbers)."""
    return clean_text(sep.join(p for p in parts if p and p.strip()))


def settle(st: Statement, strict_balances: bool = True) -> Statement:
    """Run the balance check on the statement (on each of its parts when it has them).

    A mismatch refuses the file with a :class:`BankFileError` carrying the
    figures; with ``strict_balances=False`` the file is accepted and the
    mismatch is listed in ``problems`` for the clerk to see.
    """
    msgs: list[str] = []
    notes: list[str] = []
    for part in st.parts or (st,):
        found = check_balances(part)
        if len(st.parts) > 1 and part.statement_id:
            found = [m.replace(f"{part.source}:", f"{part.source} (statement {part.statement_id}):", 1)
                     for m in found]
        if part.balances_binding:
            msgs.extend(found)
        else:
            notes.extend(f"{m}; {part.balance_rule}" for m in found)
    if msgs and strict_balances:
        raise BankFileError("; ".join(msgs), source=st.source, lines_read=len(st.lines))
    if msgs or notes:
        return replace(st, problems=st.problems + tuple(msgs) + tuple(notes))
    return st


def combine(source: str, fmt: str, parts: list[Statement], default_currency: str,
            problems: list[str] | tuple[str, ...] = ()) -> Statement:
    """One Statement over the statements of one file, its lines fingerprinted.

    Account, currency and balances are carried up only when every part shares
    the account and currency and each part opens where the previous one closed;
    otherwise they stay on the parts.
    """
    # Fingerprint the file's lines together, then hand each part its own.
    lines = fingerprint_lines(ln for p in parts for ln in p.lines)
    split, at = [], 0
    for p in parts:
        split.append(replace(p, lines=lines[at:at + len(p.lines)]))
        at += len(p.lines)
    parts = split
    if len(parts) == 1:
        only = parts[0]
        return replace(only, problems=tuple(problems) + only.problems)
    accounts = {p.account for p in parts}
    currencies = {p.currency for p in parts}
    same = len(accounts) == 1 and len(currencies) == 1
    chained = same and all(a.closing_balance is not None and a.closing_balance == b.opening_balance
                           for a, b in zip(parts, parts[1:]))
    return Statement(
        source=source, format=fmt,
        account=parts[0].account if same else "",
        currency=parts[0].currency if len(currencies) == 1 else (parts[0].currency if parts else default_currency),
        lines=lines,
        opening_balance=parts[0].opening_balance if chained else None,
        closing_balance=parts[-1].closing_balance if chained else None,
        statement_id=" ".join(p.statement_id for p in parts if p.statement_id),
        problems=tuple(problems) + tuple(m for p in parts for m in p.problems),
        parts=tuple(parts), not_imported=sum(p.not_imported for p in parts))


# What a reader yields as it goes: a line as soon as it is read; a Statement (its ``lines`` empty)
# closing the statement the lines since the previous one belong to; a str, a note on the whole file.
Item = BankLine | Statement | str


def collect(source: str, items: Iterable[Item], default_currency: str) -> Statement:
    """One Statement of a reader's items (see :data:`Item`), its lines fingerprinted (:func:`combine`)."""
    parts: list[Statement] = []
    lines: list[BankLine] = []
    notes: list[str] = []
    for item in items:
        if isinstance(item, BankLine):
            lines.append(item)
        elif isinstance(item, Statement):
            parts.append(replace(item, lines=tuple(lines)))
            lines = []
        else:
            notes.append(item)
    return combine(source, parts[0].format, parts, default_currency, notes)
