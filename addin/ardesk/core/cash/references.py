"""Finding invoice numbers and RF creditor references in remittance text.

Payers rarely copy an invoice number exactly.  For ``INV-2026-00042`` we
accept, in decreasing order of trust:

``exact``   the number itself, ignoring case, spaces and punctuation
            (``INV-2026-00042``, ``inv 2026 00042``, ``INV202600042``), or a
            valid ISO 11649 RF reference printed on the invoice;
``loose``   the year and sequence with other padding or separators
            (``INV2026-42``, ``2026/0042``), or the sequence alone after the
            invoice prefix or the word for invoice (``inv 42``, ``Rechnung 42``,
            ``Facture 2026-42``) when one open invoice has it;
            Letters that look like digits in the digits of a number (the letter
            O for a zero: ``INV-2026-00O42``) are read as those digits;
``short``   a second or third number written short after a full one, with the
            year and prefix of the first: ``INV-2026-00713 + 01191``,
            ``INV 713 & 1191``, ``INV-2026-00713/714/715``, ``713/14`` (the last
            digits replaced), and a range ``713-715`` (each number in it one
            of ours).  Short numbers are guesses at what the payer meant: the
            matcher trusts them only when the amount settles what they name;
``typo``    one character added, dropped, changed or two swapped
            (``INV-2026-0042``, ``INV-2026-00942``).

Several numbers in one text are all found, in the order quoted.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from ..billing.creditor_ref import clean, find_references, is_valid

EXACT, LOOSE, SHORT, TYPO = "exact", "loose", "short", "typo"
# "Invoice" as payers write it before a number, in the languages of the SEPA area
INVOICE_WORDS = ("INV", "INVOICE", "RECHNUNG", "RECHNUNGSNR", "RG", "RGNR", "FACTURE", "FACTUUR", "FATTURA",
                 "FAKTURA", "FACTURA", "FAKTUURA", "SZAMLA")
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-/_.]*[A-Za-z0-9]|[A-Za-z0-9]")
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# characters payers and OCR confuse with digits
_LOOKALIKE = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8"})


@dataclass(frozen=True, slots=True)
class Found:
    invoice_no: str
    how: str                       # exact, loose, short, typo
    quoted: str                    # the text as the payer wrote it


_NOT_ALNUM_KEEP_NL = re.compile(r"[^0-9A-Za-z\n]+")
# the last two runs of digits of a number (the year and sequence of INV-2026-00042), or the last one
_LAST_TWO_NUMBERS = re.compile(r"^.*?(?:(\d+)\D+)?(\d+)\D*$", re.S)
_LEADING_LETTERS = re.compile(r"^[A-Za-z]+", re.M)
# What follows a number when the payer lists more: "+ 01191", "/714", "& 1191", ", inv 1191",
# "and 1191", "- 715", "to 715".  The number ends at a blank, the end, or the next separator, so a
# date ("713, 12.03.2026") or an amount ("713, 1.191,00") is not taken for one.
_TAIL = re.compile(r"\s*(\+|/|&|,|;|-|\bAND\b|\bUND\b|\bET\b|\bTO\b|\bBIS\b)\s*"
                   r"(?:INV(?:OICE)?\.?\s*|NO\.?\s*|NR\.?\s*|#\s*)?(\d{1,7})(?=$|[\s+/&,;)\-](?!\d{2}[.,]\d))")
_RANGE_WORDS = ("-", "TO", "BIS")
_TAIL_STARTS = ("+", "/", "&", ",", ";", "-", "AND", "UND", "ET", "TO", "BIS")
_YEAR = re.compile(r"(?:19|20)\d\d")
_RANGE_MAX = 20


def clean_all(texts: list[str]) -> list[str]:
    """:func:`clean` of each text, in one pass over all of them when they are ASCII without line
    breaks (clean keeps letters and digits, upper-cased, a character at a time)."""
    joined = "\n".join(texts)
    if not joined.isascii() or joined.count("\n") != len(texts) - 1:
        return [clean(t) for t in texts]
    return _NOT_ALNUM_KEEP_NL.sub("", joined).upper().split("\n")


def leading_letters(number: str) -> str:
    m = re.match(r"[A-Za-z]+", number)
    return m.group(0).upper() if m else ""


class ReferenceIndex:
    """Invoice numbers and RF references, indexed for the three kinds of look-up."""

    def __init__(self) -> None:
        self.by_clean: dict[str, str] = {}
        self.prefixes: set[str] = set(INVOICE_WORDS)
        self._patterns: tuple[re.Pattern, re.Pattern, re.Pattern] | None = None
        # The (year, sequence), sequence and RF look-ups serve loose quotes and foreign RF
        # references only; they are built from these on first use, the RF one on its own (any
        # quoted RF reference asks it, while most texts never need the other two).
        self._pending: list[tuple[list[str], list[str], list[str]]] = []   # (numbers, rfs, cleaned)
        self._pending_rf: list[tuple[list[str], list[str], list[str]]] = []
        self._by_rf: dict[str, str] = {}
        self._by_key: dict[tuple[int, int], list[str]] = defaultdict(list)
        self._by_seq: dict[int, list[str]] = defaultdict(list)

    def add(self, number: str, rf: str = "") -> None:
        key_text = clean(number)
        self.by_clean[key_text] = number
        self._pending.append(([number], [rf], [key_text]))
        self._pending_rf.append(([number], [rf], [key_text]))
        p = number[:3].upper() if number[:3].isalpha() and not number[3:4].isalpha() else leading_letters(number)
        if p and p not in self.prefixes:
            self.prefixes.add(p)
            self._patterns = None

    def add_many(self, pairs: list[tuple[str, str]]) -> None:
        """:meth:`add` for many (number, rf) pairs, doing the string work in bulk."""
        numbers = [n for n, _ in pairs]
        joined = "\n".join(numbers)
        if not joined.isascii() or joined.count("\n") != len(numbers) - 1:
            for number, rf in pairs:
                self.add(number, rf)
            return
        cleaned = clean_all(numbers)
        self.by_clean.update(zip(cleaned, numbers))
        self._pending.append((numbers, [rf for _, rf in pairs], cleaned))
        self._pending_rf.append(self._pending[-1])
        new = {p.upper() for p in _LEADING_LETTERS.findall(joined)} - self.prefixes
        if new:
            self.prefixes |= new
            self._patterns = None

    def _settle_rf(self) -> None:
        """Index the RF references added since the last RF look-up."""
        by_rf = self._by_rf
        for numbers, rfs, cleaned in self._pending_rf:
            for number, rf, key_text in zip(numbers, rfs, cleaned):
                if rf and rf[4:] != key_text:
                    # RF references made from the number are found through by_clean (see rf_lookup)
                    by_rf[clean(rf)] = number
        self._pending_rf.clear()

    def _settle(self) -> None:
        """Index what was added since the last look-up by (year, sequence) and sequence."""
        by_key, by_seq, match = self._by_key, self._by_seq, _LAST_TWO_NUMBERS.match
        for numbers, _, _ in self._pending:
            for number in numbers:
                m = match(number)
                if m is None:
                    continue
                year, seq = m.group(1), int(m.group(2))
                if year is not None and len(year) == 4:
                    by_key[(int(year), seq)].append(number)
                by_seq[seq].append(number)
        self._pending.clear()

    @property
    def by_key(self) -> dict[tuple[int, int], list[str]]:
        if self._pending:
            self._settle()
        return self._by_key

    @property
    def by_seq(self) -> dict[int, list[str]]:
        if self._pending:
            self._settle()
        return self._by_seq

    @property
    def by_rf(self) -> dict[str, str]:
        if self._pending_rf:
            self._settle_rf()
        return self._by_rf

    def patterns(self) -> tuple[re.Pattern, re.Pattern, re.Pattern]:
        if self._patterns is None:
            pre = "|".join(sorted((re.escape(p) for p in self.prefixes), key=len, reverse=True))
            full = re.compile(rf"(?<![A-Z0-9])(?:{pre})\s*(?:NUMBER|NUM|NO|NR|N)?[\s.#:/°\-]*((?:19|20)\d\d)[\s.\-/]*(\d{{1,7}})(?!\d)")
            slash = re.compile(r"(?<![\d/.\-])((?:19|20)\d\d)\s*/\s*(\d{1,7})(?![\d/])")
            short = re.compile(rf"(?<![A-Z0-9])(?:{pre})\s*(?:NUMBER|NUM|NO|NR|N)?[\s.#:°\-]*(\d{{1,7}})(?!\d)")
            self._patterns = (full, slash, short)
        return self._patterns

    # -- look-ups --------------------------------------------------------------
    def rf_lookup(self, rf: str) -> str | None:
        """The invoice an ISO 11649 reference points to (its check digits verified)."""
        if not rf.startswith("RF"):
            return None
        no = self.by_rf.get(rf)
        if no is None and len(rf) > 4 and is_valid(rf):
            no = self.by_clean.get(rf[4:])
        return no

    def find(self, text: str, is_open=lambda n: True) -> list[Found]:
        """Every invoice the text quotes, in the order quoted, each once."""
        if not text:
            return []
        upper = text.upper()
        if "RF" not in upper and TOKEN.fullmatch(upper):
            # The text is one token, no RF reference in it (most bank lines: the invoice number alone).
            # When it cleans to one of ours, the passes below find that number and nothing else: the
            # loose and typo passes read only what the exact one left, and nothing follows it.
            no = self.by_clean.get(clean(upper))
            if no:
                return [Found(no, EXACT, upper)]
        out: list[Found] = []
        seen: set[str] = set()

        def hit(no: str, how: str, quoted: str) -> None:
            if no not in seen:
                seen.add(no)
                out.append(Found(no, how, quoted))

        for rf in find_references(upper) if "RF" in upper.replace(" ", "") else ():
            no = self.rf_lookup(rf)
            if no:
                hit(no, EXACT, rf)
        # exact: a token (or two or three adjacent tokens) that cleans to a known number
        toks = TOKEN.findall(upper)
        cleaned = [clean(t) for t in toks]
        used = [False] * len(toks)
        for i in range(len(toks)):
            for width in (1, 2, 3):
                if i + width > len(toks) or any(used[i:i + width]):
                    continue
                joined = "".join(cleaned[i:i + width])
                no = self.by_clean.get(joined) or self.rf_lookup(joined)
                if no:
                    hit(no, EXACT, " ".join(toks[i:i + width]))
                    for k in range(i, i + width):
                        used[k] = True
                    break
        rest = " ".join(t if not u else " " for t, u in zip(toks, used))
        # loose: year + sequence, then sequence alone after the prefix
        full, slash, short = self.patterns()
        spans: list[tuple[int, int]] = []
        for pat in (full, slash):
            for m in pat.finditer(rest):
                if any(a < m.end() and m.start() < b for a, b in spans):
                    continue
                cands = self.by_key.get((int(m.group(1)), int(m.group(2))), [])
                if len(cands) == 1:
                    hit(cands[0], LOOSE, m.group(0).strip())
                    spans.append(m.span())
                elif not cands and pat is full:
                    spans.append(m.span())        # a number of ours, mistyped: left to the typo pass
        for m in short.finditer(rest):
            if any(a < m.end() and m.start() < b for a, b in spans):
                continue
            if _YEAR.fullmatch(m.group(1)) and re.match(r"/\d", rest[m.end():m.end() + 2]):
                continue                          # "inv 2026/0042": a year and a number not of ours
            cands = [n for n in self.by_seq.get(int(m.group(1)), []) if is_open(n)]
            if len(cands) == 1:
                hit(cands[0], LOOSE, m.group(0).strip())
                spans.append(m.span())
        # typo: tokens that look like one of our numbers but are not one
        for tok, c, u in zip(toks, cleaned, used):
            if u or len(c) < 6 or sum(ch.isdigit() for ch in c) < 4:
                continue
            if any(self._belongs(f, c) for f in out):
                continue
            folded = _fold_lookalikes(c)
            if folded != c and folded in self.by_clean:
                hit(self.by_clean[folded], LOOSE, tok)
                continue
            near = self.near(c)
            if len(near) == 1:
                hit(near[0], TYPO, tok)
        self._tails(upper, out, hit)

        def position(f: Found) -> int:
            at = upper.find(f.quoted.upper())
            return at if at >= 0 else len(upper)
        return sorted(out, key=position)

    def _tails(self, upper: str, out: list[Found], hit) -> None:
        """Numbers written short after a quoted one: "+ 01191", "/714/715", "& 1191", "713-715".

        Each is read with the year of the number before it: as that sequence, or as the
        previous sequence with its last digits replaced ("713/14" is 714).  When both
        readings are invoices of ours, or neither, the number is not read (and the list
        stops there).  A range is read only when every number in it is one of ours.
        """
        for f in list(out):
            end = _end_of(upper, f.quoted)
            if end is None or not upper[end:end + 8].lstrip().startswith(_TAIL_STARTS):
                continue                          # nothing listed after it (most lines)
            m0 = _LAST_TWO_NUMBERS.match(f.invoice_no)
            if m0 is None:
                continue
            year = int(m0.group(1)) if m0.group(1) and _YEAR.fullmatch(m0.group(1)) else None
            seq = int(m0.group(2))
            while (m := _TAIL.match(upper, end)) is not None:
                sep, digits = m.group(1), m.group(2)
                if int(digits) == year:
                    break                         # "2026-00714" or "42/2026": a year, not a short number
                readings = {int(digits)}
                if len(digits) < len(str(seq)):
                    readings.add(int(str(seq)[:-len(digits)] + digits))
                if sep.strip() in _RANGE_WORDS:
                    last = [k for k in readings if 0 < k - seq <= _RANGE_MAX]
                    nos = [self._one(year, k) for k in range(seq + 1, last[0] + 1)] if len(last) == 1 else []
                    if not nos or None in nos:
                        break
                    for no in nos:
                        hit(no, SHORT, m.group(0).strip())
                    seq = last[0]
                else:
                    found = {k: self._one(year, k) for k in readings}
                    found = {k: no for k, no in found.items() if no is not None}
                    if len(found) != 1:
                        break
                    (seq, no), = found.items()
                    hit(no, SHORT, m.group(0).strip())
                end = m.end()

    def _one(self, year: int | None, seq: int) -> str | None:
        """The one invoice with this year and sequence (any year when None), or None."""
        cands = self.by_key.get((year, seq), []) if year is not None else self.by_seq.get(seq, [])
        return cands[0] if len(cands) == 1 else None

    def _belongs(self, found: Found, token: str) -> bool:
        return token in clean(found.quoted) or clean(found.invoice_no) == token

    def near(self, token: str) -> list[str]:
        """Invoice numbers one edit (insert, delete, change, swap) from ``token``, lookalikes folded."""
        out: set[str] = set()
        for cand in _candidates(token):
            no = self.by_clean.get(cand)
            if no:
                out.add(no)
        return sorted(out)


def _end_of(upper: str, quoted: str) -> int | None:
    """Where the quoted text ends in the text (its words with any separators between them)."""
    words = TOKEN.findall(quoted.upper())
    if not words:
        return None
    at = upper.find(words[0])
    if at < 0:
        return None
    end = at + len(words[0])
    for w in words[1:]:
        at = upper.find(w, end)
        if at < 0:
            return None
        end = at + len(w)
    return end


def _fold_lookalikes(token: str) -> str:
    """The token with letters that look like digits read as digits, after its leading letters."""
    head = re.match(r"[A-Z]*", token).group(0)
    return head + token[len(head):].translate(_LOOKALIKE)


def _candidates(token: str) -> Iterable[str]:
    head = re.match(r"[A-Z]*", token).group(0)
    t, n = token, len(token)
    for i in range(n):
        yield t[:i] + t[i + 1:]
        if i + 1 < n:
            yield t[:i] + t[i + 1] + t[i] + t[i + 2:]
        alphabet = _ALNUM[:10] if t[i].isdigit() else _ALNUM
        for ch in alphabet:
            if ch != t[i]:
                yield t[:i] + ch + t[i + 1:]
    for i in range(n + 1):
        alphabet = _ALNUM[:10] if i >= len(head) else _ALNUM
        for ch in alphabet:
            yield t[:i] + ch + t[i:]
