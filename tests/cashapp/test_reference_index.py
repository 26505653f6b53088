import re
from collections import defaultdict

from hypothesis import given, strategies as st

from ardesk.core.cash.references import ReferenceIndex
from ardesk.core.billing.creditor_ref import clean

number = st.from_regex(r"[A-Za-z]{0,7}[ \-/]?(\d{1,4}[ \-/]){0,2}\d{1,6}[a-z]?", fullmatch=True)


def year_and_sequence(number: str) -> tuple[int | None, int] | None:
    """The rule by_key and by_seq follow: the last run of digits is the sequence, the run before
    it the year when it has four digits."""
    groups = re.findall(r"\d+", number)
    if not groups:
        return None
    if len(groups) >= 2 and len(groups[-2]) == 4:
        return int(groups[-2]), int(groups[-1])
    return None, int(groups[-1])


@given(st.lists(st.tuples(number, st.sampled_from(["", "RF00XYZ", "RF18539007547034"])), max_size=30))
def test_bulk_index_equals_one_by_one(pairs):
    one, bulk = ReferenceIndex(), ReferenceIndex()
    for n, rf in pairs:
        one.add(n, rf)
    bulk.add_many(pairs)
    for attr in ("by_clean", "by_rf", "by_key", "by_seq", "prefixes"):
        assert getattr(bulk, attr) == getattr(one, attr), attr


@given(st.lists(st.tuples(number, st.sampled_from(["", "RF00XYZ", "RF18539007547034"])), max_size=30),
       st.integers(0, 30), st.sampled_from(["by_seq", "by_key", "by_rf"]))
def test_lookups_follow_their_rules_whenever_they_are_first_used(pairs, split, first):
    ix = ReferenceIndex()
    ix.add_many(pairs[:split])
    getattr(ix, first)              # a look-up is built here, half-way (the RF one alone) ...
    ix.add_many(pairs[split:])      # ... and every one must still take in what comes after
    by_key, by_seq, by_rf = defaultdict(list), defaultdict(list), {}
    for n, rf in pairs:
        ys = year_and_sequence(n)
        if ys is not None:
            if ys[0] is not None:
                by_key[ys].append(n)
            by_seq[ys[1]].append(n)
        if rf and clean(rf)[4:] != clean(n):
            by_rf[clean(rf)] = n
    assert ix.by_key == by_key
    assert ix.by_seq == by_seq
    assert ix.by_rf == by_rf
