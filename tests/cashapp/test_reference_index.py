from hypothesis import given, strategies as st

from ardesk.core.cashapp.references import ReferenceIndex

number = st.from_regex(r"[A-Za-z]{0,7}[ \-/]?(\d{1,4}[ \-/]){0,2}\d{1,6}[a-z]?", fullmatch=True)


@given(st.lists(st.tuples(number, st.sampled_from(["", "RF00XYZ", "RF18539007547034"])), max_size=30))
def test_bulk_index_equals_one_by_one(pairs):
    one, bulk = ReferenceIndex(), ReferenceIndex()
    for n, rf in pairs:
        one.add(n, rf)
    bulk.add_many(pairs)
    for attr in ("by_clean", "by_rf", "by_key", "by_seq", "prefixes"):
        assert getattr(bulk, attr) == getattr(one, attr), attr
