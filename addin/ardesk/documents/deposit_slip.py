"""The printable deposit slip (PDF, through fpdf2): check numbers, payers, amounts and the total."""
from __future__ import annotations

from pathlib import Path

from ..core.cash.deposits import DepositSlip
from ..core.money import exponent, fmt


def _latin(text: str) -> str:
    # the core PDF fonts carry Latin-1 only
    return (text or "").encode("latin-1", "replace").decode("latin-1")


def write_slip(path: str | Path, slip: DepositSlip, company: str = "", account: str = "") -> Path:
    from fpdf import FPDF
    path = Path(path)
    e = exponent(slip.currency)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin(f"Deposit slip {slip.deposit_id}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    for line in (company, f"Date: {slip.date.isoformat()}", f"Currency: {slip.currency}",
                 f"Account: {account}" if account else ""):
        if line:
            pdf.cell(0, 6, _latin(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (12, 30, 30, 78, 36)
    pdf.set_font("Helvetica", "B", 10)
    for w, h in zip(widths, ("#", "Check no.", "Payment", "Payer", "Amount")):
        pdf.cell(w, 7, h, border=1, align="R" if h == "Amount" else "L")
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    for i, p in enumerate(slip.items, start=1):
        cells = (str(i), p.check_no or ("cash" if p.method == "cash" else ""), p.id, (p.payer or "")[:40],
                 fmt(p.amount, e))
        for w, v, align in zip(widths, cells, "LLLLR"):
            pdf.cell(w, 6, _latin(v), border=1, align=align)
        pdf.ln()
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(sum(widths[:4]), 7, _latin(f"Total of {len(slip.items)} item(s)"), border=1)
    pdf.cell(widths[4], 7, _latin(f"{fmt(slip.total, e)} {slip.currency}"), border=1, align="R")
    pdf.ln(14)
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, "Deposited by: ______________________    Bank stamp:", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path
