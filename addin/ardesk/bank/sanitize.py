"""Hostile text from bank and processor files.

Card numbers (PANs) must not reach the workbook (PCI DSS requirement 3.4):
:func:`mask_card_numbers` masks every run of 13 to 19 digits, optionally
grouped by spaces, dashes, dots, underscores or slashes, in any script's
digits (full-width ``４１１１`` too) and glued to a prefix such as ``CARD``,
that passes the Luhn check (ISO/IEC 7812-1, annex B), keeping the last four
digits.  Grouped digits count only in the groupings cards are written in
(fours, or American Express's 4-6-5), with one separator throughout, so a
document number and a month (``INV-2026-100994 2026-08``) stay as written.  Runs that fail the check (account numbers, references) are kept, and
so are the digits of an IBAN (two letters, then the digits).
:func:`mask_changes` applies it to every text ardesk writes, whatever the tab.

:func:`is_formula_like` tells whether a cell text would be read by Excel as a
formula (the OWASP "CSV injection" prefixes); the workbook writer neutralises
such texts.
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from datetime import date, datetime, time
from decimal import Decimal
from itertools import accumulate, chain, zip_longest
from typing import Any, Collection, Iterable, Sequence

# A run of digit groups separated by single separators, not glued to a digit in front.
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]+(?:[ \-._/][0-9]+)*(?![0-9])")
_SPLIT = re.compile(r"([ \-._/])")
# Where a card number can be in ASCII text, looked for in the text's *shape*: the text with every digit
# read as 9 and every letter as a (one bytes.translate), searched for digit groups in a card's shape
# (a run of 13 digits, 4-4-4-1 or 4-6-4 with one separator throughout; every span _mask_run masks begins
# so, see _card_shaped) that are not right after the two letters beginning an IBAN (_IBAN_HEAD: two letters
# after the start or after a character that is neither a letter nor a digit).  Most texts with many digits
# (``invoice INV-2026-100001 2026-09``) have no such group and are not looked at any further.
_SHAPE = bytes(ord("9") if chr(c).isdigit() and c < 128 else ord("a") if chr(c).isalpha() and c < 128 else c
               for c in range(256))
_CARD_SHAPE = re.compile(rb"9999(?<=(?<!9)(?:(?<!aa)|(?<=[9a]aa))9999)"
                         rb"(?:9{9}|([ \-._/])(?:9999\1(?:9999\1)9|999999\1(?:9999)))")
# Every match of _CARD_SHAPE holds one of these in the shape with every separator read as ``-``: a text
# whose shape so read holds none (most texts, found by a few substring searches, much quicker than the
# pattern's) has no match.
_SHAPE_ONE_SEPARATOR = _SHAPE.translate(bytes.maketrans(b" -._/", b"-----"))
_CARD_SHAPE_PARTS = (b"9" * 13, b"9999-9999-9999-9", b"9999-999999-9999")
_IBAN_HEAD = re.compile(r"(?:^|[^0-9A-Za-z])[A-Za-z]{2}$")
# an ISO 6523 scheme before an identifier (a Peppol endpoint: 0009:SIRET, 0088:GLN; SIRET uses Luhn too)
_SCHEME_HEAD = re.compile(r"(?:^|\s)\d{4}:$")
# a hex digest (ardesk's own fingerprints, ``receipts:3f09...``): lowercase hex with a letter, 16+ long
_HEX_TOKEN = re.compile(r"(?<![0-9A-Za-z])(?=[0-9a-f]*[a-f])[0-9a-f]{16,}(?![0-9A-Za-z])")
# the most characters each head can span, with the newline before which ``$`` also matches
_HEAD_SPAN = {_IBAN_HEAD: 4, _SCHEME_HEAD: 7}
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


def _card_shaped(sizes: list[int], separators: Sequence[str] = ()) -> bool:
    """Digit groups of these sizes, joined by these separators, as card numbers are written: one run of
    digits, or groups of four (the last of one to four) or the 4-6-5 / 4-6-4 of American Express and
    Diners, with one separator throughout.  Other groupings are references, dates and document numbers
    (``INV-2026-100994 2026-08``: 4-6-4 then 2, but a dash, a space and a dash), left alone."""
    if len(sizes) == 1:
        return True
    if len(set(separators)) > 1:
        return False
    return (all(n == 4 for n in sizes[:-1]) and 1 <= sizes[-1] <= 4) or sizes in ([4, 6, 5], [4, 6, 4])


def _mask_run(run: str) -> str:
    """Mask the run whole when it is a card number written as one, else any span of whole
    groups inside it that is one (a card number followed by an expiry year).  The shape of a span is
    looked at before its digits are joined and checked, as most runs are not card-shaped at all."""
    parts = _SPLIT.split(run)          # groups at even, separators at odd indexes
    groups = parts[0::2]
    sizes = [len(g) for g in groups]
    ends = [0]
    for n in sizes:
        ends.append(ends[-1] + n)      # ends[j] - ends[i]: the digits of groups i..j-1
    if ends[-1] < 13:
        return run
    seps = parts[1::2]
    if ends[-1] <= 19 and _card_shaped(sizes, seps) and luhn_ok("".join(groups)):
        return _mask_digits("".join(groups))
    for i in range(len(groups)):
        for j in range(len(groups), i, -1):
            if 13 <= ends[j] - ends[i] <= 19 and _card_shaped(sizes[i:j], seps[i:j - 1]):
                span = "".join(groups[i:j])
                if not luhn_ok(span):
                    continue
                head = "".join(parts[:2 * i])
                tail = "".join(parts[2 * j - 1:]) if j < len(groups) else ""
                return head + _mask_digits(span) + (tail[:1] + _mask_run(tail[1:]) if tail else "")
    return run


def _head(pattern: re.Pattern, text: str, end: int) -> bool:
    """``pattern.search(text[:end])`` for a head pattern that ends in ``$`` and spans at most
    ``_HEAD_SPAN[pattern]`` characters: only that tail of the text is searched (a long text has many runs)."""
    return pattern.search(text, max(0, end - _HEAD_SPAN[pattern]), end) is not None


def mask_card_numbers(text: str) -> str:
    """Replace every Luhn-valid 13-19 digit number by asterisks and its last four digits.

    ``'paid with 4111 1111 1111 1111'`` -> ``'paid with ************1111'``.
    Digits may be grouped by single spaces, dashes, dots, underscores or
    slashes.  Within a longer run of groups, any span of whole groups that is a
    card number is masked, so a card number followed by other figures is still
    caught.  Digits of other scripts are read as the digits they are.  The digits of an IBAN
    (after two letters), of an ISO 6523 party identifier (after ``NNNN:``) and inside a lowercase hex
    digest (ardesk's fingerprints) are left alone.

    The result holds no such number any more, so masking it again changes nothing: the last four digits
    kept of one number can make another with the groups after it (``1941 6461 2561 5351 7517 5070 9344
    47``), and those are masked too.
    """
    masked = _mask_once(text)
    while masked != text:              # each pass masks digits, so this ends
        text, masked = masked, _mask_once(masked)
    return masked


def _mask_once(text: str) -> str:
    """One pass of :func:`mask_card_numbers` over ``text``."""
    if not text or not may_hold_card_number(text):
        return text
    return _mask_pass(text)


def _mask_pass(text: str) -> str:
    """One pass of the masking over every digit run of ``text``, without the quick test that skips texts
    which cannot hold a card number."""
    ascii_digits = _ascii_digits(text)
    out, last = [], 0
    digests = [h.span() for h in _HEX_TOKEN.finditer(ascii_digits)]
    for m in _DIGIT_RUN.finditer(ascii_digits):
        if _head(_IBAN_HEAD, ascii_digits, m.start()) or _head(_SCHEME_HEAD, ascii_digits, m.start()):
            continue                      # DE89..., 0009:...: an IBAN (or another account code), a party id
        if any(a <= m.start() and m.end() <= b for a, b in digests):
            continue                      # digits inside a hex digest
        masked = _mask_run(m.group(0))
        if masked != m.group(0):
            out.append(text[last:m.start()])
            out.append(masked)
            last = m.end()
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _ascii_digits(text: str) -> str:
    """``text`` with the digits of other scripts (full-width, Arabic-Indic...) as ASCII digits, one
    character for one."""
    return text if text.isascii() else "".join(
        str(unicodedata.digit(c)) if c.isdigit() and not c.isascii() and unicodedata.digit(c, None) is not None
        else c for c in text)


def mask_value(v: Any) -> Any:
    """A cell value with card numbers masked: texts, and whole numbers long enough to be one (a number
    typed in a cell may come back from Excel as a float)."""
    if isinstance(v, str):
        return mask_card_numbers(v) if len(v) >= 13 else v
    if isinstance(v, float) and v.is_integer() and 10 ** 12 <= v < 10 ** 19:
        v = int(v)
        masked = mask_card_numbers(str(v))
        return float(v) if masked == str(v) else masked
    if isinstance(v, int) and not isinstance(v, bool) and v >= 10 ** 12:
        masked = mask_card_numbers(str(v))
        return v if masked == str(v) else masked
    return v


def may_hold_card_number(text: str) -> bool:
    """False when no card number can be in ``text``: its shape (digits of any script read as ASCII digits,
    as the masking reads them) has no digit groups in a card's shape outside an IBAN (``_CARD_SHAPE``).
    Nor then in any of several texts joined by a character that is neither a letter, a digit nor a
    separator (``"\\n"``), which is how a whole column is tested at the cost of one search."""
    ascii_text = _ascii_digits(text).encode("ascii", "replace")
    loose = ascii_text.translate(_SHAPE_ONE_SEPARATOR)
    run, fours, amex = _CARD_SHAPE_PARTS
    return (run in loose or fours in loose or amex in loose) and _CARD_SHAPE.search(
        ascii_text.translate(_SHAPE)) is not None


def _shape(text: str) -> bytes:
    """``text`` with every digit (of any script, as the masking reads it) as 9 and every ASCII letter as a,
    one byte for each character."""
    return _ascii_digits(text).encode("ascii", "replace").translate(_SHAPE)


def _row_may_hold_card_number(row: Sequence[Any]) -> bool:
    """False when no cell of ``row`` is one :func:`mask_value` would change (one search over its texts)."""
    texts = []
    for v in row:
        if isinstance(v, str):
            if len(v) >= 13:
                texts.append(v)
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 10 ** 12:
            return True
    return bool(texts) and may_hold_card_number("\n".join(texts))


def mask_row(row: Sequence[Any]) -> tuple:
    """``tuple(mask_value(v) for v in row)``, at the cost of one search for a row that cannot hold a card
    number (most rows)."""
    if not _row_may_hold_card_number(row):
        return row if type(row) is tuple else tuple(row)
    return tuple(mask_value(v) for v in row)


_BLOCK = 4096        # rows looked at together by _rows_to_mask
# the types of the cells a run writes; a column with a cell of another type (a subclass of str or float...)
# is looked at cell by cell
_PLAIN = frozenset({str, int, float, bool, type(None), date, datetime, time, Decimal})
_NUMERIC = frozenset({int, float, bool, type(None)})
_TEXT = frozenset({str, type(None)})


def _rows_to_mask(rows: Sequence[Sequence[Any]], skip: Collection[int] = ()) -> list[int]:
    """The indexes, in order, of the rows of ``rows`` that may hold a cell :func:`mask_value` changes outside
    the columns ``skip`` (their indexes); every other row is one it leaves alone.  Rows are looked at a block at a
    time and a block column by column (see :func:`_cells_to_mask`), so a month-end's hundred thousand new
    ledger rows, or the rows typed on the input tabs, cost a few passes over each column, not a test a row."""
    out: list[int] = []
    for k in range(0, len(rows), _BLOCK):
        found: set[int] = set()
        for j, column in enumerate(_columns(rows[k:k + _BLOCK])):
            if j not in skip:
                found.update(_cells_to_mask(column))
        out += sorted(k + i for i in found)
    return out


def _columns(block: Sequence[Sequence[Any]]) -> Iterable[Sequence[Any]]:
    """The columns of a block of rows, short rows read as filled with None.  Rows of one length are
    joined into one list and each column sliced from it: no object is made per row (``zip(*block)`` makes
    an iterator per row, and so many objects at a time set off the garbage collector)."""
    width = len(block[0])
    if set(map(len, block)) != {width}:
        return zip_longest(*block)
    cells = list(chain.from_iterable(block))
    return (cells[j::width] for j in range(width))


def _cells_to_mask(column: Sequence[Any]) -> Iterable[int]:
    """The indexes of the cells of ``column`` that :func:`mask_value` may change: the texts 13 characters
    long or more, when their shape searched joined by a newline (one search, see :func:`may_hold_card_number`)
    finds digits in a card's shape, those of them where it does; the whole numbers 10**12 or more; every
    cell when one is of a type other than the usual ones.  A column of texts only is joined at once (the join
    raises TypeError on any other cell); a column of codes, amounts or dates (most) is passed over at the
    cost of a pass or two in C."""
    try:
        texts = "\n".join(column)              # a column of texts only (most columns of texts): one pass
    except TypeError:
        pass
    else:
        return _texts_to_mask(column) if may_hold_card_number(texts) else ()
    kinds = set(map(type, column))
    if not kinds <= _PLAIN:
        return range(len(column))
    found: list[int] = []
    if int in kinds or float in kinds:
        numbers = filter(None, column) if kinds <= _NUMERIC else [v for v in column if type(v) in (int, float)]
        top = max(numbers, default=0)
        if top >= 10 ** 12 or top != top:          # NaN as the first number hides the others from max
            found += [i for i, v in enumerate(column) if type(v) in (int, float) and v >= 10 ** 12]
    if str in kinds:
        texts = list(filter(None, column)) if kinds <= _TEXT else [v for v in column if type(v) is str]
        if may_hold_card_number("\n".join(texts)):
            found += _texts_to_mask(column)
    return found


def _texts_to_mask(column: Sequence[Any]) -> list[int]:
    """The indexes of the texts of ``column`` 13 characters long or more that :func:`may_hold_card_number`
    finds digits in a card's shape in, from one search of their shapes joined by a newline: a match lies
    within one text (it holds only digits and separators) and is found there as in the text alone."""
    at = [i for i, v in enumerate(column) if isinstance(v, str) and len(v) >= 13]
    ends = list(accumulate(len(column[i]) + 1 for i in at))     # where each text's newline is
    joined = _shape("\n".join([column[i] for i in at]))
    return sorted({at[bisect_right(ends, m.start())] for m in _CARD_SHAPE.finditer(joined)})


def mask_rows(rows: Sequence[Sequence[Any]]) -> list[tuple]:
    """``[mask_row(r) for r in rows]``, masking only the rows :func:`_rows_to_mask` finds (a month-end's
    new ledger and report rows hold none, mostly)."""
    out = list(rows) if set(map(type, rows)) <= {tuple} else [r if type(r) is tuple else tuple(r) for r in rows]
    for i in _rows_to_mask(rows):
        out[i] = mask_row(rows[i])
    return out


def typed_card_numbers(tables: dict, accounts: dict[str, tuple[str, ...]] | None = None
                       ) -> list[tuple[str, str, int, int, str, Any]]:
    """(table, sheet, row, column number, column, masked value) of every cell of ``tables`` (name ->
    :class:`~ardesk.io.port.Table`) that holds a card number; ``accounts`` names, per table, the columns
    that hold bank account numbers, left alone (a long account number passes Luhn one time in ten)."""
    out = []
    for name, t in tables.items():
        accounts_here = set((accounts or {}).get(name, ()))
        skip = {j for j, column in enumerate(t.header) if column in accounts_here}
        for i in _rows_to_mask(t.rows, skip):
            for j, (column, v) in enumerate(zip(t.header, t.rows[i])):
                if j in skip:
                    continue
                masked = mask_value(v)
                if masked is not v and masked != v:
                    out.append((name, t.sheet, t.first_row + i, t.first_col + j, column, masked))
    return out


def mask_changes(changes) -> None:
    """Mask card numbers in everything a run is about to write (rows, cells, report tables, settings)."""
    for rows in changes.appends.values():
        rows[:] = mask_rows(rows)
    for name, cells in changes.updates.items():
        changes.updates[name] = [(row, col, mask_value(v)) for row, col, v in cells]
    for name, (header, rows) in changes.replace.items():
        changes.replace[name] = (header, mask_rows(rows))
    for k, v in changes.names.items():
        changes.names[k] = mask_value(v)


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
