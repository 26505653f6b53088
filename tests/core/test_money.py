from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from ardesk.core.money import MoneyError, fmt, parse_amount, to_decimal, to_minor


def test_cells_round_half_up_on_the_decimal_the_clerk_sees():
    # 1.005 is 1.00499999... in binary; the cell shows 1.005 and invoices round half-up
    assert to_minor(1.005) == 101
    assert to_minor(2.675) == 268
    assert to_minor(-1.005) == -101
    assert round(2.675, 2) == 2.67  # what a float round would have given


def test_integers_decimals_and_currency_exponents():
    assert to_minor(12) == 1200
    assert to_minor(Decimal("0.125")) == 13
    assert to_minor(1234.5, 0) == 1235          # JPY: no minor unit
    assert to_minor(1.2345, 3) == 1235          # KWD: three decimals


@pytest.mark.parametrize("bad", ["12.50", "abc", None, True, float("nan"), float("inf")])
def test_text_and_non_numbers_are_refused_with_the_value(bad):
    with pytest.raises(MoneyError) as e:
        to_minor(bad)
    assert repr(bad) in str(e.value)


def test_parse_amount_from_files():
    assert parse_amount("1,234.56") == 123456
    assert parse_amount("1.234,56", decimal_comma=True) == 123456
    assert parse_amount("(12.00)") == -1200
    assert parse_amount("12.00-") == -1200
    with pytest.raises(MoneyError):
        parse_amount("12,3x")


def test_out_and_formatting():
    assert to_decimal(123456) == Decimal("1234.56")
    assert fmt(-123456) == "-1,234.56"


@given(st.integers(-10**15, 10**15), st.sampled_from([0, 2, 3]))
def test_fmt_shows_the_exact_decimal(minor, exp):
    """fmt works on integers only; it must read as Decimal's own rendering of the amount."""
    assert fmt(minor, exp) == f"{to_decimal(minor, exp):,.{exp}f}"
