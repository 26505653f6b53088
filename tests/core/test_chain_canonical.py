"""The chain's canonical text of a cell, taken quickly for the usual values, is the text the general rule
gives (kept here as it was written first, the oracle); every head already anchored depends on it."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from hypothesis import given, settings, strategies as st

from ardesk.core.ledger import chain


def general(v) -> str:
    if isinstance(v, str):
        return v
    if v is None:
        return ""
    if type(v) is float and v.is_integer() and abs(v) < 1e15:
        return str(int(v)) if v else "0"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, datetime):
        if v.microsecond >= 500_000:
            v = v + timedelta(microseconds=1_000_000 - v.microsecond)
        v = v.replace(microsecond=0)
        return v.date().isoformat() if (v.hour, v.minute, v.second) == (0, 0, 0) else v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, (int, float, Decimal)):
        try:
            d = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
            if not d.is_finite():
                return str(d)
            d = d.normalize()
            return "0" if d == 0 else format(d, "f")
        except (InvalidOperation, ValueError):
            return repr(v)
    return str(v)


values = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(places=2, min_value=-10 ** 12, max_value=10 ** 12),
    st.decimals(places=3, allow_nan=False, allow_infinity=False),
    st.builds(lambda digits, exp: Decimal(f"{digits}E{exp}"), st.integers(-10 ** 35, 10 ** 35), st.integers(-40, 40)),
    st.integers(), st.integers(-10 ** 40, 10 ** 40), st.booleans(), st.floats(), st.dates(), st.datetimes(),
    st.text(max_size=5), st.none())


@settings(max_examples=4000, deadline=None)
@given(values)
def test_canonical_is_the_general_rule(v):
    assert chain.canonical(v) == general(v)


def test_the_usual_cells_and_the_edges():
    for v in [Decimal("180.29"), Decimal("180.20"), Decimal("100.00"), Decimal("-0.00"), Decimal("0E-7"),
              Decimal("1E+2"), Decimal("1.0E-10"), Decimal("1" * 28), Decimal("1" * 29), Decimal("1." + "0" * 27 + "1"),
              Decimal("-12.500"), 0, -5, 10 ** 28, 10 ** 28 - 1, -(10 ** 28) + 1, 12345678901234567890123456789012,
              date(2026, 9, 1), True]:
        assert chain.canonical(v) == general(v), v
    assert chain.link(chain.GENESIS, ["a", "é"]) == chain.link(chain.GENESIS, ("a", "é"))
    assert json.dumps(["é"], ensure_ascii=False) == chain._ROW_JSON(["é"])


def _link_as_first_written(head, row):
    import hashlib
    return hashlib.sha256((head + json.dumps(list(row), ensure_ascii=False)).encode()).hexdigest()


texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=8) | st.sampled_from(
    ["", '"', "\\", "\n", "\x00", "\u2028", "é", "💶", "INV-2026-100001"])


@settings(max_examples=1500, deadline=None)
@given(st.lists(texts, max_size=6) | st.lists(st.one_of(texts, st.integers(), st.none(), st.booleans()), max_size=4))
def test_a_link_is_the_hash_of_the_row_as_json_dumps_writes_it(row):
    assert chain.link("ab" * 32, row) == chain.link("ab" * 32, tuple(row)) == _link_as_first_written("ab" * 32, row)


# columns of one type each (as a run writes them), of two types, and of anything
column_kinds = st.sampled_from([
    st.dates(), st.decimals(places=2, min_value=-10 ** 6, max_value=10 ** 6), st.integers(-3, 3),
    st.integers(-10 ** 30, 10 ** 30), st.text(max_size=3), st.one_of(st.none(), st.text(max_size=2)),
    st.one_of(st.none(), st.decimals(places=2, min_value=-50, max_value=50)),
    st.one_of(st.none(), st.just(""), st.dates(max_value=date(2000, 1, 3))),
    st.one_of(st.integers(-2, 2), st.decimals(places=1, min_value=-2, max_value=2), st.booleans()),
    st.one_of(st.decimals(allow_nan=True), st.just(Decimal("sNaN")), st.just(Decimal("NaN"))),
    st.one_of(st.just(Decimal("-0.00")), st.just(Decimal("0E-7")), st.just(0), st.just(Decimal("1E+1")),
              st.just(10), st.just(Decimal("10.00"))),
    values])


@st.composite
def tables(draw):
    kinds = draw(st.lists(column_kinds, min_size=0, max_size=5))
    n = draw(st.integers(0, 12))
    rows = [tuple(draw(k) for k in kinds) for _ in range(n)]
    if draw(st.booleans()) and rows:         # now and then a row of another width
        rows.append(tuple(draw(values) for _ in range(draw(st.integers(0, 3)))))
    return rows


@settings(max_examples=1500, deadline=None)
@given(tables())
def test_rows_a_column_at_a_time_are_the_rows_one_at_a_time(rows):
    assert chain.canonical_rows(rows) == [chain.canonical_row(r) for r in rows]
    assert chain.posted_rows(iter(rows), 5) == [(5 + i, c) for i, c in enumerate(map(chain.canonical_row, rows))
                                               if not chain.is_blank(c)]
