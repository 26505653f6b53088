"""ISO 11649 structured creditor references ("RF" + 2 check digits + up to 21 characters).

The check digits follow ISO 7064 MOD 97-10, as IBANs do: move "RF00" to the
end, turn letters into numbers (A=10 ... Z=35), and take 98 - (n mod 97).
"""
from __future__ import annotations

import re

_RF = re.compile(r"RF\d{2}[0-9A-Z]{1,21}")


_AS_DIGITS = str.maketrans({ch: str(int(ch, 36)) for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})


def _numeric(s: str) -> int:
    """Letters as numbers (A=10 ... Z=35), digits as they are, read as one integer."""
    return int(s.translate(_AS_DIGITS))


_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")


def clean(reference: str) -> str:
    """Letters and digits only, upper case: 'inv-2026/42' -> 'INV202642'."""
    if reference.isascii():
        return _NOT_ALNUM.sub("", reference).upper()
    return "".join(ch for ch in reference.upper() if ch.isalnum())


def creditor_reference(reference: str) -> str:
    """The RF reference for ``reference`` (its letters and digits, at most 21)."""
    body = clean(reference)
    if not body or len(body) > 21:
        raise ValueError(f"{reference!r} gives {len(body)} letters and digits; an RF reference holds 1 to 21")
    check = 98 - _numeric(body + "RF00") % 97
    return f"RF{check:02d}{body}"


def is_valid(rf: str) -> bool:
    s = clean(rf)
    if not _RF.fullmatch(s):
        return False
    return _numeric(s[4:] + s[:4]) % 97 == 1


def find_references(text: str) -> list[str]:
    """Valid RF references in free text (spaces inside the reference allowed, as printed in groups of 4)."""
    found = []
    compact = re.sub(r"(?<=[0-9A-Z]) (?=[0-9A-Z])", "", text.upper())
    for m in _RF.finditer(compact):
        cand = m.group(0)
        # the greedy match may swallow following characters; try shrinking to a valid reference
        for end in range(len(cand), 4, -1):
            if is_valid(cand[:end]):
                found.append(cand[:end])
                break
    return found
