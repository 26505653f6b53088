"""Finding references and matching receipts give what they gave before the quick paths were added.

The earlier code is kept here as the oracle (:class:`OldReferenceIndex`), compared with today's
over random remittance texts: invoice numbers as payers write them (whole, loose, short, mistyped,
lists and ranges), RF references, and the words around them.
"""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from ardesk.core.billing.creditor_ref import clean, creditor_reference, find_references
from ardesk.core.cash.references import (EXACT, LOOSE, TOKEN, TYPO, Found, ReferenceIndex, _fold_lookalikes,
                                         _YEAR)

NUMBERS = ["INV-2026-00001", "INV-2026-00002", "INV-2026-00042", "INV-2026-00713", "INV-2026-00714",
           "INV-2026-00715", "INV-2025-00042", "RE-2026-0042", "2026-1191", "CN-2026-00003", "inv2026x9", "A1",
           "PO-RF18539007547034"]      # a number of ours holding an RF reference to another
RFS = {"INV-2026-00042": "RF18539007547034", "RE-2026-0042": creditor_reference("RE-2026-0042")}


class OldReferenceIndex(ReferenceIndex):
    """The index as it was before :meth:`find` took its one-token path."""

    def find(self, text: str, is_open=lambda n: True) -> list[Found]:
        """Every invoice the text quotes, in the order quoted, each once."""
        if not text:
            return []
        out: list[Found] = []
        seen: set[str] = set()

        def hit(no: str, how: str, quoted: str) -> None:
            if no not in seen:
                seen.add(no)
                out.append(Found(no, how, quoted))

        upper = text.upper()
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



def indexes():
    new, old = ReferenceIndex(), OldReferenceIndex()
    pairs = [(n, RFS.get(n, "")) for n in NUMBERS]
    new.add_many(pairs)
    old.add_many(pairs)
    return new, old


def spellings(number: str) -> list[str]:
    """How payers write a number: as it is, in other case, spaced, without separators, with a typo."""
    digits = re.sub(r"\D", "", number)
    return [number, number.lower(), number.replace("-", " "), number.replace("-", ""), number.replace("-", "."),
            number.replace("0", "O", 1), number[:-1], number + "7", number[:-2] + number[-1] + number[-2],
            digits, digits[-3:], f"inv {digits[-3:]}", f"{digits[:4]}/{digits[4:]}"]


WORDS = ["", "thanks", "Rechnung", "inv", "No.", "+", "/", "&", "and", "-", "to", "bis", ",", "01191", "714", "15",
         "2026", "12.03.2026", "1.191,00", "RF", "RF18", "5390", "0754 7034", "RF18539007547034",
         RFS["RE-2026-0042"], "RF00XYZ", "rf18539007547034", "C0042", "ΣΤΑ", "ﬁ", "ß"]
piece = st.one_of(st.sampled_from(WORDS), st.sampled_from(NUMBERS).flatmap(lambda n: st.sampled_from(spellings(n))))
text = st.one_of(piece, st.lists(piece, max_size=6).map(" ".join), st.lists(piece, max_size=4).map("".join),
                 st.text(max_size=20))
OPEN = st.sets(st.sampled_from(NUMBERS))


@settings(max_examples=1500, deadline=None)
@given(text, OPEN)
def test_find_equals_the_find_without_quick_path(t, still_open):
    new, old = indexes()
    is_open = still_open.__contains__
    assert new.find(t, is_open) == old.find(t, is_open)


def test_every_spelling_of_every_number_found_as_before():
    new, old = indexes()
    texts = [s for n in NUMBERS for s in spellings(n)] + [RFS["INV-2026-00042"], RFS["RE-2026-0042"]]
    quick = 0
    for t in texts:
        assert new.find(t) == old.find(t), t
        quick += "RF" not in t.upper() and bool(TOKEN.fullmatch(t.upper())) and clean(t) in new.by_clean
    assert quick >= len(NUMBERS) * 3             # the one-token path is taken, and agrees
