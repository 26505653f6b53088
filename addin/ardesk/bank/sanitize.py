"""Hostile text from bank and processor files.

Card numbers (PANs) must not reach the workbook: :func:`mask_card_numbers`
masks every run of 13 to 19 digits, optionally grouped by spaces or dashes,
that passes the Luhn check (ISO/IEC 7812-1, annex B), keeping the last four
digits.  Runs that fail the check (account numbers, references) are kept.

:func:`is_formula_like` tells whether a cell text would be read by Excel as a
formula (the OWASP "CSV injection" prefixes); the workbook writer neutralises
such texts.
"""
from __future__ import annotations

import re

# A run of digit groups separated by single spaces or dashes, not glued to a
# letter or digit in front (so the digits of an IBAN are left alone).
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9]+(?:[ \-][0-9]+)*(?![0-9])")
_FORMULA_START = ("=", "+", "-", "@")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check on a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _mask_digits(digits: str) -> str:
    return "*" * (len(digits) - 4) + digits[-4:]


def _mask_run(run: str) -> str:
    """Mask the run whole when it is a card number, else any span of whole
    groups inside it that is one (a card number followed by an expiry year)."""
    digits = re.sub(r"[ \-]", "", run)
    if 13 <= len(digits) <= 19 and luhn_ok(digits):
        return _mask_digits(digits)
    if len(digits) < 13:
        return run
    parts = re.split(r"([ \-])", run)          # groups at even, separators at odd indexes
    groups = parts[0::2]
    for i in range(len(groups)):
        for j in range(len(groups), i, -1):
            span = "".join(groups[i:j])
            if 13 <= len(span) <= 19 and luhn_ok(span):
                head = "".join(parts[:2 * i])
                tail = "".join(parts[2 * j - 1:]) if j < len(groups) else ""
                return head + _mask_digits(span) + (tail[:1] + _mask_run(tail[1:]) if tail else "")
    return run


def mask_card_numbers(text: str) -> str:
    """Replace every Luhn-valid 13-19 digit number by asterisks and its last four digits.

    ``'paid with 4111 1111 1111 1111'`` -> ``'paid with ************1111'``.
    Digits may be grouped by single spaces or dashes.  Within a longer run of
    groups, any span of whole groups that is a card number is masked, so a card
    number followed by other figures is still caught.
    """
    if not text or not any(c.isdigit() for c in text):
        return text
    return _DIGIT_RUN.sub(lambda m: _mask_run(m.group(0)), text)


def clean_text(text: str | None) -> str:
    """Text for a BankLine field: control characters dropped, whitespace runs
    collapsed, card numbers masked."""
    if not text:
        return ""
    text = _CONTROL.sub(" ", str(text))
    text = " ".join(text.split())
    return mask_card_numbers(text)


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would take the text for a formula: it starts with
    ``= + - @``, or with a tab or carriage return followed by one of those."""
    if not text:
        return False
    if text[0] in _FORMULA_START:
        return True
    return text[0] in "\t\r" and len(text) > 1 and text.lstrip("\t\r")[:1] in _FORMULA_START
