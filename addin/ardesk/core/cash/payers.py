"""Who paid: the customer behind a receipt, with how sure we are.

Tried in order; the first that names exactly one customer wins:

====================  ==========  ==================================================
rule                  confidence  evidence
====================  ==========  ==================================================
customer given        1.00        the clerk typed the CustomerID on the Receipts tab
bank account          0.98        the payer's account is on the Customers sheet
learned account       0.97        earlier payments from this account were matched
customer id in text   0.95        the remittance quotes a customer ID (C0042)
payer name            0.95        the payer's name is a customer's name (case, punctuation ignored)
name w/o legal form   0.93        the same once legal forms are left out on both sides
                                  ("Acme Bakery" for "Acme Bakery GmbH"), one customer only
fuzzy name            0.60-0.85   similarity >= 88 with a clear lead over the runner-up
====================  ==========  ==================================================

A fuzzy name alone never reaches the usual auto-post threshold (0.90): it
proposes, a clerk decides.  The similarity is rapidfuzz's ``token_sort_ratio``
when rapidfuzz is installed (``pip install ardesk[fast]``), else the same
figure computed here in Python (:func:`token_sort_ratio`): the decisions are
the same, only slower.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable

from ..billing.creditor_ref import clean
from .references import clean_all
from ..model import Customer

# Legal forms: payers often leave them out ("Acme Bakery" pays for "Acme Bakery GmbH").
_LEGAL = frozenset({"LTD", "BV", "GMBH", "SARL", "INC", "LLC", "NV", "SA", "AG", "SRL", "CO", "LIMITED", "CORP",
                    "COMPANY", "PLC", "BVBA", "SAS", "KG", "OHG", "UG", "SPA", "AB", "AS", "OY", "SL", "SE",
                    "LLP", "PTY", "SPRL", "EURL", "KFT", "SRO", "APS"})
# Words that say nothing about who a company is.
_NOISE = _LEGAL | {"THE", "AND", "OF", "MR", "MRS", "MS", "DR"}
FUZZY_MIN = 88.0
FUZZY_LEAD = 5.0
FUZZY_CANDIDATES = 400


@dataclass(frozen=True, slots=True)
class Payer:
    customer_id: str
    confidence: float
    rule: str
    reason: str


_PUNCTUATION = re.compile(r"[^\w\s]")


def normal_name(name: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", (name or "").casefold()).split())


def normal_names(names: list[str]) -> list[str]:
    """:func:`normal_name` of each name, folded and stripped of punctuation in one pass over all of
    them (both are done a character at a time, so the names joined by line breaks give the same)."""
    joined = "\n".join(names)
    if joined.count("\n") != len(names) - 1:       # a name holding a line break (or no names): one by one
        return [normal_name(n) for n in names]
    return [" ".join(part.split()) for part in _PUNCTUATION.sub(" ", joined.casefold()).split("\n")]


def name_words(name: str) -> list[str]:
    return [w for w in normal_name(name).upper().split() if len(w) >= 3 and w not in _NOISE]


def core_name(name: str) -> str:
    """The name without its legal forms ("acme bakery" for "Acme Bakery GmbH" or "Acme Bakery S.A.")."""
    return " ".join(w for w in normal_name((name or "").replace(".", "")).split() if w.upper() not in _LEGAL)


def _lcs_length(a: str, b: str) -> int:
    """Length of the longest common subsequence (bit-parallel, Hyyrö 2004)."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, ch in enumerate(a):
        masks[ch] = masks.get(ch, 0) | (1 << i)
    width = (1 << len(a)) - 1
    v = width
    for ch in b:
        u = v & masks.get(ch, 0)
        v = ((v + u) | (v - u)) & width
    return len(a) - v.bit_count()


def python_token_sort_ratio(a: str, b: str) -> float:
    """rapidfuzz's ``fuzz.token_sort_ratio`` in plain Python: the words of each text sorted and
    joined, then 100 x (1 - Indel distance / total length), computed in the same order."""
    a, b = " ".join(sorted(a.split())), " ".join(sorted(b.split()))
    lensum = len(a) + len(b)
    if not lensum:
        return 100.0
    dist = lensum - 2 * _lcs_length(a, b)
    return (1.0 - dist / lensum) * 100


def _best_ratio():
    try:
        from rapidfuzz.fuzz import token_sort_ratio as fast
    except ImportError:
        return python_token_sort_ratio
    return fast


token_sort_ratio = _best_ratio()


def normal_account(acct: str) -> str:
    return clean(acct or "")


class PayerIndex:
    def __init__(self, customers: dict[str, Customer]):
        self.customers = customers
        self.by_account: dict[str, set[str]] = defaultdict(set)
        self._learned: dict[str, set[str]] = defaultdict(set)
        self._to_learn: list[tuple[str, str]] = []
        self._sources: list[Callable[[], Iterable[tuple[str, str]]]] = []
        self._by_name: dict[str, list[str]] | None = None
        self.by_core: dict[str, list[str]] = defaultdict(list)
        self.by_word: dict[str, list[str]] = defaultdict(list)
        self.names: dict[str, str] = {}
        ids = [c.id for c in customers.values()]
        self.by_id: dict[str, str] = dict(zip(clean_all(ids), ids))
        held = [c for c in customers.values() if c.bank_account]
        for acct, c in zip(clean_all([c.bank_account for c in held]), held):
            self.by_account[acct].add(c.id)

    # The name and learned-account indexes are built on first use: a statement whose
    # lines all come from known accounts never needs them.
    @property
    def by_name(self) -> dict[str, list[str]]:
        if self._by_name is None:
            self._by_name = by_name = defaultdict(list)
            customers = list(self.customers.values())
            ids = [c.id for c in customers]
            normals = normal_names([c.name or "" for c in customers])
            self.names.update(zip(ids, normals))
            by_core, by_word, legal, noise = self.by_core, self.by_word, _LEGAL, _NOISE
            for c, cid, n in zip(customers, ids, normals):
                by_name[n].append(cid)
                # core_name and name_words of the name, from its normal form (core_name drops a full
                # stop instead of spacing it: such names take the long way)
                upper = n.upper().split()
                if "." in (c.name or ""):
                    core = core_name(c.name)
                elif legal.isdisjoint(upper):
                    core = n
                else:
                    core = " ".join(w for w, u in zip(n.split(), upper) if u not in legal)
                by_core[core].append(cid)
                for w in {u for u in upper if len(u) >= 3 and u not in noise}:
                    by_word[w].append(cid)
        return self._by_name

    @property
    def learned(self) -> dict[str, set[str]]:
        while self._sources:
            self._to_learn.extend(pair for pair in self._sources.pop(0)() if pair[0] and pair[1])
        if self._to_learn:
            cleaned: dict[str, str] = {}
            for account, customer_id in self._to_learn:
                acct = cleaned.get(account)
                if acct is None:
                    acct = cleaned[account] = normal_account(account)
                if len(acct) >= 6:
                    self._learned[acct].add(customer_id)
            self._to_learn.clear()
        return self._learned

    def learn(self, account: str, customer_id: str) -> None:
        """Remember that money from ``account`` belonged to ``customer_id``."""
        if account and customer_id:
            self._to_learn.append((account, customer_id))

    def learn_later(self, source: Callable[[], Iterable[tuple[str, str]]]) -> None:
        """Learn the (account, customer) pairs ``source()`` gives, on the first look-up that needs them."""
        self._sources.append(source)

    # -- the rules ---------------------------------------------------------------
    def by_bank_account(self, account: str) -> Payer | None:
        acct = normal_account(account)
        if not acct:
            return None
        hits = self.by_account.get(acct)
        if hits and len(hits) == 1:
            cid = next(iter(hits))
            return Payer(cid, 0.98, "bank account", f"paid from {account}, the account of {cid} on Customers")
        learned = self.learned.get(acct)
        if not hits and learned and len(learned) == 1:
            cid = next(iter(learned))
            return Payer(cid, 0.97, "learned account",
                         f"paid from {account}, which earlier matched payments of {cid} came from")
        return None

    def by_customer_id(self, tokens: list[str]) -> Payer | None:
        hits = {self.by_id[t] for t in tokens if t in self.by_id}
        if len(hits) == 1:
            cid = hits.pop()
            return Payer(cid, 0.95, "customer id", f"remittance quotes customer ID {cid}")
        return None

    def by_exact_name(self, payer: str) -> Payer | None:
        hits = self.by_name.get(normal_name(payer), []) if payer else []
        if len(hits) == 1:
            return Payer(hits[0], 0.95, "payer name", f"payer {payer!r} is the name of customer {hits[0]}")
        return None

    def by_name_without_legal_form(self, payer: str) -> Payer | None:
        key = core_name(payer) if payer else ""
        hits = self.by_core.get(key, []) if key and self.by_name is not None else []
        if len(hits) == 1:
            cid = hits[0]
            return Payer(cid, 0.93, "payer name", f"payer {payer!r} is the name of customer {cid} "
                                                   f"{self.customers[cid].name!r} without its legal form")
        return None

    def by_fuzzy_name(self, payer: str) -> Payer | None:
        words = name_words(payer)
        if not words:
            return None
        cands: set[str] = set()
        self.by_name  # builds by_word and names on first use
        for w in words:
            ids = self.by_word.get(w, ())
            if len(ids) <= FUZZY_CANDIDATES:
                cands.update(ids)
        if not cands:
            return None
        target = normal_name(payer)
        scored = sorted(((token_sort_ratio(target, self.names[c]), c) for c in cands), reverse=True)
        best, cid = scored[0]
        runner = scored[1][0] if len(scored) > 1 else 0.0
        if best < FUZZY_MIN or best - runner < FUZZY_LEAD:
            return None
        conf = round(0.60 + (best - FUZZY_MIN) / (100 - FUZZY_MIN) * 0.25, 3)
        return Payer(cid, conf, "fuzzy name",
                     f"payer {payer!r} resembles customer {cid} {self.customers[cid].name!r} "
                     f"({best:.0f}% similar; next best {runner:.0f}%)")

    def identify(self, customer_id: str, account: str, payer: str,
                 tokens: Callable[[], list[str]]) -> Payer | None:
        """The payer by the rules in order; ``tokens()`` gives the remittance's cleaned words, asked
        for only when the customer and the account have not already said who paid."""
        if customer_id and customer_id in self.customers:
            return Payer(customer_id, 1.0, "customer given", f"customer {customer_id} entered by the clerk")
        found = (self.by_bank_account(account) or self.by_customer_id(tokens())
                 or self.by_exact_name(payer) or self.by_name_without_legal_form(payer))
        # in order, stopping at the first that names the payer
        if found is not None:
            return found
        return self.by_fuzzy_name(payer) if payer else None
