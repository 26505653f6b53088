"""The matching indexes built in bulk hold what building them one customer / one number at a time held.

Each oracle below is the earlier one-at-a-time code, kept here to compare with.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from ardesk.core.billing.creditor_ref import clean
from ardesk.core.cash.payers import PayerIndex, core_name, name_words, normal_account, normal_name, normal_names
from ardesk.core.cash.references import clean_all
from ardesk.core.model import Customer

# Names as clerks type them: legal forms, full stops, punctuation, letters that fold or grow
# when upper-cased (ß, ŉ, ﬁ, final sigma), other scripts, odd spaces and the odd line break.
WORDS = ["Acme", "Bakery", "GmbH", "S.A.", "Ltd.", "B.V.", "Co", "LLC", "and", "The", "Müller", "STRAßE", "ŉ",
         "ﬁsh", "ΟΔΟΣ", "Σ", "東京", "O'Brien", "Dr.", "&", "-", "(NL)", "ab", "x" * 3]
name = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join),
    st.lists(st.sampled_from(WORDS + [" ", "\t", "\n", "\u2028", "\x1c", "."]), max_size=8).map("".join),
    st.text(max_size=12),
)
ident = st.one_of(st.from_regex(r"C-?\d{1,5}", fullmatch=True), st.text(max_size=6))
account = st.one_of(st.just(""), st.from_regex(r"[A-Z]{2}\d{2}[ A-Z0-9]{4,20}", fullmatch=True), st.text(max_size=8))


def old_payer_index(customers: dict[str, Customer]) -> dict:
    """The indexes as PayerIndex built them a customer at a time."""
    by_id, by_account = {}, defaultdict(set)
    by_name, by_core, by_word, names = defaultdict(list), defaultdict(list), defaultdict(list), {}
    for c in customers.values():
        by_id[clean(c.id)] = c.id
        if c.bank_account:
            by_account[normal_account(c.bank_account)].add(c.id)
    for c in customers.values():
        n = normal_name(c.name)
        names[c.id] = n
        by_name[n].append(c.id)
        by_core[core_name(c.name)].append(c.id)
        for w in set(name_words(c.name)):
            by_word[w].append(c.id)
    return dict(by_id=by_id, by_account=by_account, by_name=by_name, by_core=by_core, by_word=by_word, names=names)


def customers_of(rows) -> dict[str, Customer]:
    return {cid: Customer(cid, nm, 30, Decimal("0.21"), "EUR", bank_account=acct) for cid, nm, acct in rows}


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(ident, name, account), max_size=12))
def test_payer_index_equals_one_customer_at_a_time(rows):
    customers = customers_of(rows)
    ix = PayerIndex(customers)
    new = dict(by_id=ix.by_id, by_account=ix.by_account, by_name=ix.by_name, by_core=ix.by_core,
               by_word=ix.by_word, names=ix.names)
    assert new == old_payer_index(customers)


@settings(max_examples=300, deadline=None)
@given(st.lists(name, max_size=10))
def test_normal_names_one_pass_equals_each(names):
    assert normal_names(names) == [normal_name(n) for n in names]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(ident, account, name), max_size=10))
def test_clean_all_equals_clean_each(texts):
    assert clean_all(texts) == [clean(t) for t in texts]
