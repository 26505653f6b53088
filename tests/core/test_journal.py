from datetime import date

from hypothesis import given, strategies as st

from ardesk.core.journal import EntryBuilder, check_balanced, invoice_entry
from ardesk.core.ledger import Ledger
from ardesk.core.model import Invoice, Settings

amounts = st.integers(-10**9, 10**9)


@given(amounts, amounts, st.sampled_from(["invoice", "credit note"]))
def test_invoice_entry_is_the_entry_the_builder_makes(net, tax, kind):
    """invoice_entry is written out for speed; it must post exactly what the general builder posts."""
    inv = Invoice("INV-2026-00007", "C0001", date(2026, 3, 1), date(2026, 3, 31), "EUR", net, tax, net + tax,
                  kind, "2026-03")
    settings = Settings()
    fast = invoice_entry(inv, Ledger(), settings)
    e = EntryBuilder(Ledger(), settings, inv.issue_date, inv.currency, "invoice" if kind == "invoice"
                     else "credit note", inv.number, f"{kind} {inv.number} {inv.period}")
    slow = e.debit("AR", inv.total, inv.customer_id).credit("Revenue", inv.net).credit("Tax", inv.tax).build()
    assert fast == slow
    assert not check_balanced(fast)
    assert all(j.debit >= 0 and j.credit >= 0 for j in fast)
