"""ARDESK_CEI, ARDESK_DAYS_TO_PAY and ARDESK_INSTALLMENTS in a currency, on small tables typed inline."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from ardesk import schema
from ardesk.excel import udfs

D = dt.date


def call(name, *args):
    """A custom-function call as xlwings Lite/Server make it (scalars arrive as 1x1 arrays)."""
    import xlwings as xw
    from xlwings.server import custom_functions_call
    data = {"func_name": name, "version": xw.__version__, "client": "Office.js", "runtime": "1.4",
            "culture_info_name": "en-US", "date_format": "yyyy-mm-dd",
            "args": [a if isinstance(a, list) else [[a]] for a in args]}
    return asyncio.run(custom_functions_call(data, udfs))


def invoices(*rows):
    #                              InvoiceNo Kind CustomerID IssueDate DueDate Period Currency Net Tax Total Ref Rel
    return [list(schema.INVOICES.header)] + [[no, "invoice", cid, iss, due, "", "EUR", t, 0, t, "", None]
                                             for no, cid, iss, due, t in rows]


def allocations(*rows):
    #   AllocationID Date PaymentID InvoiceNo CustomerID Kind Amount Currency Rule Reason
    return [list(schema.ALLOCATIONS.header)] + [[f"AL{i}", d, f"P{i}", no, cid, "applied", amt, "EUR", "", ""]
                                                for i, (d, no, cid, amt) in enumerate(rows)]


def test_cei_over_three_months_equals_the_published_example():
    # CreditGuru's Jan-Mar example (see tests/core/test_metrics.py) as books: CEI over 3 months 55.9 %
    inv = invoices(("A", "C1", D(2025, 12, 1), D(2025, 12, 31), 6200), ("B", "C1", D(2026, 1, 15), D(2026, 2, 14), 3390),
                   ("C", "C1", D(2026, 2, 15), D(2026, 3, 17), 3610), ("D", "C1", D(2026, 3, 15), D(2026, 4, 14), 3890))
    al = allocations((D(2026, 3, 20), "A", "C1", 6200), (D(2026, 3, 20), "B", "C1", 3390),
                     (D(2026, 3, 20), "C", "C1", 860), (D(2026, 3, 20), "D", "C1", 300))
    assert udfs.ardesk_cei(D(2026, 3, 31), inv, al, 3) == pytest.approx(55.9)
    assert udfs.ardesk_cei(D(2026, 3, 31), inv, al) == pytest.approx(79.6)
    assert call("ardesk_cei", 46112.0, inv, al, 3) == [[pytest.approx(55.9)]]      # 46112 = 2026-03-31
    assert udfs.ardesk_cei(D(2026, 3, 31), inv, al, 2.5).startswith("#ARDESK: months 2.5")


def test_days_to_pay_per_customer():
    inv = invoices(("I1", "C1", D(2026, 6, 1), D(2026, 7, 1), 100), ("I2", "C1", D(2026, 6, 10), D(2026, 7, 10), 50),
                   ("I3", "C1", D(2026, 6, 20), D(2026, 7, 20), 80), ("I4", "C2", D(2026, 6, 2), D(2026, 6, 30), 10))
    # I1 paid in two parts, the last on Jul 11 (40 days, 10 late); I2 on Jul 5 (25 days, on time);
    # I3 only half paid: not counted
    al = allocations((D(2026, 6, 20), "I1", "C1", 60), (D(2026, 7, 11), "I1", "C1", 40),
                     (D(2026, 7, 5), "I2", "C1", 50), (D(2026, 7, 20), "I3", "C1", 40))
    assert udfs.ardesk_days_to_pay("C1", D(2026, 7, 31), inv, al) == 32.5
    assert udfs.ardesk_days_to_pay("C1", D(2026, 7, 31), inv, al, "late") == 5.0
    # on Jul 6 only I2 was paid
    assert udfs.ardesk_days_to_pay("C1", D(2026, 7, 6), inv, al) == 25.0
    assert udfs.ardesk_days_to_pay("C2", D(2026, 7, 31), inv, al) == "#ARDESK: customer C2 has no invoice paid " \
                                                                       "in full by 2026-07-31"
    assert call("ardesk_days_to_pay", "C1", 46234.0, inv, al, "late") == [[5.0]]    # 46234 = 2026-07-31


def test_installments_in_the_currency_decimals():
    # 10,000 JPY over 3 months at 12 % effective a year: 10,000 / sum(1.12^(-k/12)) = 3,396.79 is 3,397 yen
    plan = udfs.ardesk_installments(10000, 3, 0.12, None, 1, "JPY")
    assert [row[2] for row in plan[1:]] == [3397.0, 3397.0, 3396.0]      # the last takes the rounding
    assert sum(row[4] for row in plan[1:]) == 10000 and all(float(v).is_integer() for r in plan[1:] for v in r[2:])
    bhd = udfs.ardesk_installments(1000, 3, 0.12, None, 1, "BHD")
    assert bhd[1][2] == 339.679 and round(sum(row[4] for row in bhd[1:]), 3) == 1000.0
    assert udfs.ardesk_installments(1000, 3, 0.12)[1][2] == 339.68
    assert udfs.ardesk_installments(1000, 3, 0.12, None, 1, "US dollars").startswith(
        "#ARDESK: currency 'US dollars'")


def test_dso_count_back_in_both_month_conventions():
    # Benji Pays' count-back example (see tests/core/test_metrics.py) as books: sales 70,000 (January),
    # 80,000 (February), 100,000 (March); 38,000 of January's paid, so AR at March 31 is 212,000
    inv = invoices(("J", "C1", D(2026, 1, 10), D(2026, 2, 9), 70000), ("F", "C1", D(2026, 2, 10), D(2026, 3, 12), 80000),
                   ("M", "C1", D(2026, 3, 10), D(2026, 4, 9), 100000))
    al = allocations((D(2026, 2, 20), "J", "C1", 38000))
    assert udfs.ardesk_dso(D(2026, 3, 31), inv, al, "count-back-30") == 73.7
    assert udfs.ardesk_dso(D(2026, 3, 31), inv, al, "count-back") == 73.2
