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
