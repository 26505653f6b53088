"""The billing workbook's layout: every sheet, table, column and named setting.

One declaration serves the template builder, the validators that read tables
into records, both workbook adapters (file and xlwings) when they write rows
and number formats, and the README's tab reference.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Sequence
from datetime import date

# Column kinds.  Money columns take their currency's exponent from the row's Currency
# column (or the base currency where a table has none).
TEXT, ID, MONEY, DATE, INT, DECIMAL, RATE, CHOICE, DATETIME = (
    "text", "id", "money", "date", "int", "decimal", "rate", "choice", "datetime")

NUMBER_FORMATS = {
    MONEY: "#,##0.00;[Red]-#,##0.00",
    DATE: "yyyy-mm-dd",
    DATETIME: "yyyy-mm-dd hh:mm:ss",
    INT: "0",
    DECIMAL: "General",         # as many decimals as the value has, and no trailing point for whole numbers
    RATE: "0.00%",
    TEXT: "@",
    ID: "@",
    CHOICE: "@",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    width: float = 14
    note: str = ""


@dataclass(frozen=True)
class TableDef:
    name: str            # the Excel table (ListObject) name
    sheet: str
    columns: tuple[Column, ...]
    role: str            # "input", "ledger" (append-only), "report" (rewritten), "state" (ardesk's own, hidden)
    key: str | None = None  # the column that identifies a row
    anchor: str = "A1"   # top-left cell of the header row
    note: str = ""

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name}")


def number_formats(table: str, header: Sequence[str]) -> list[str | None]:
    """The number format of each column of ``table`` as written (None for text columns).

    Columns the schema does not know (the aging buckets) are money.
    """
    tdef = TABLES.get(table)
    out = []
    for h in header:
        kind = tdef.column(h).kind if tdef is not None and h in tdef.header else MONEY
        fmt = NUMBER_FORMATS[kind]
        out.append(None if fmt == "@" else fmt)
    return out


def money_format(currency: str) -> str:
    """The number format of an amount in ``currency``, with that currency's decimals (JPY 0, BHD 3):
    what the cell shows is what is booked."""
    from .core.money import exponent
    e = exponent(currency)
    body = "#,##0." + "0" * e if e else "#,##0"
    return f"{body};[Red]-{body}"


def row_number_formats(table: str, header: Sequence[str], rows: Sequence[Sequence[object]],
                       blanks_join: bool = False) -> list[tuple[int, int, int, str]]:
    """Where each number format goes when ``rows`` are written under ``header``: (first row, last row,
    column, format), rows and columns counted from 0 within ``rows``, consecutive rows that share a
    format joined into one range.  Money columns take the format of the row's currency
    (:func:`money_format`; the Currency column, two decimals where it is blank or missing); a cell
    left empty gets no format, or with ``blanks_join`` the format of the run it sits in (it shows
    nothing either way, and a Debit/Credit column is then one range per currency, not one per line).
    Both workbook adapters write formats from this."""
    fmts = number_formats(table, header)
    cur_ix = list(header).index("Currency") if "Currency" in header else None
    money = {j for j, f in enumerate(fmts) if f == NUMBER_FORMATS[MONEY]}
    out: list[tuple[int, int, int, str]] = []
    by_currency: dict[str, str] = {}
    width = min(map(len, rows), default=0)
    for j, fmt in enumerate(fmts if rows else ()):
        if fmt is None:
            continue
        cells = [row[j] for row in rows] if j < width else [row[j] if j < len(row) else None for row in rows]
        if j in money and cur_ix is not None:
            curs = [str(row[cur_ix] or "") if cur_ix < len(row) else None for row in rows]
            kinds = set(curs)
            for cur in kinds - set(by_currency) - {None}:
                by_currency[cur] = money_format(cur)
            if len(kinds) == 1 and None not in kinds:       # one currency: one format, as for other columns
                fmt = by_currency[curs[0]]
            else:
                cell_fmts = [None if v is None else fmt if cur is None else by_currency[cur]
                             for v, cur in zip(cells, curs)]
                out += _runs(cell_fmts, j, blanks_join)
                continue
        if None not in cells:                               # every cell filled: one range
            out.append((0, len(cells) - 1, j, fmt))
        elif blanks_join:                                   # from the first filled cell to the end
            first = next((i for i, v in enumerate(cells) if v is not None), None)
            if first is not None:
                out.append((first, len(cells) - 1, j, fmt))
        else:
            out += _runs([None if v is None else fmt for v in cells], j, blanks_join)
    return out


def _runs(cell_fmts: Sequence[str | None], j: int, blanks_join: bool) -> list[tuple[int, int, int, str]]:
    """The ranges of one column of cell formats (:func:`row_number_formats`)."""
    out: list[tuple[int, int, int, str]] = []
    run: list = []                      # [first, last, format] of the run being built
    i = 0
    for f, same in groupby(cell_fmts):
        last = i + sum(1 for _ in same) - 1
        if run and (f == run[2] or (f is None and blanks_join)):
            run[1] = last
        else:
            if run:
                out.append((run[0], run[1], j, run[2]))
            run = [i, last, f] if f is not None else []
        i = last + 1
    if run:
        out.append((run[0], run[1], j, run[2]))
    return out


def C(name, kind=TEXT, required=False, choices=(), width=14, note=""):
    return Column(name, kind, required, tuple(choices), width, note)


FREQUENCIES = ("once", "monthly", "quarterly", "annual")
CUSTOMER_STATUS = ("active", "hold", "inactive")
DELIVERY_CHANNELS = ("email", "post", "email+post")
EINVOICE_FORMATS = ("none", "factur-x", "xrechnung", "peppol")
METHODS = ("check", "cash", "transfer", "card", "direct debit", "other")

CUSTOMERS = TableDef("tblCustomers", "Customers", (
    C("CustomerID", ID, True, width=12, note="unique, e.g. C0001"),
    C("Name", TEXT, True, width=30),
    C("Email", TEXT, width=28, note="billing e-mail; blank: printed mail"),
    C("Address", TEXT, width=34),
    C("PostalCode", TEXT, width=10),
    C("Country", TEXT, width=8),
    C("TermsDays", INT, True, width=10, note="payment terms in days"),
    C("TaxRate", RATE, True, width=9),
    C("Currency", TEXT, True, width=9, note="ISO 4217 code"),
    C("CreditLimit", MONEY, width=12),
    C("Status", CHOICE, True, CUSTOMER_STATUS, width=9),
    C("BankAccount", TEXT, width=24, note="IBAN or account the customer pays from"),
    C("City", TEXT, width=16),
    C("Locale", TEXT, width=8, note="language and country for documents, e.g. de_DE, fr_CH, ar_EG; blank: en_GB"),
    C("Delivery", CHOICE, False, DELIVERY_CHANNELS, width=10, note="blank: e-mail when there is one, else post"),
    C("EInvoice", CHOICE, False, EINVOICE_FORMATS, width=10, note="structured e-invoice sent with the PDF; blank: none"),
    C("VatID", TEXT, width=16, note="EU VAT ID with its country prefix, e.g. BE0403170701"),
    C("BuyerReference", TEXT, width=22, note="buyer reference or Leitweg-ID (XRechnung)"),
    C("PeppolEndpoint", TEXT, width=22, note="Peppol participant ID as scheme:value, e.g. 0208:0123456789"),
), "input", key="CustomerID", note="One row per customer.")

CHARGES = TableDef("tblCharges", "Charges", (
    C("ChargeID", ID, True, width=10),
    C("CustomerID", ID, True, width=12),
    C("Item", TEXT, True, width=16),
    C("Description", TEXT, width=34),
    C("Quantity", DECIMAL, True, width=9),
    C("UnitPrice", DECIMAL, True, width=12),
    C("Frequency", CHOICE, True, FREQUENCIES, width=11),
    C("StartDate", DATE, True, width=11),
    C("EndDate", DATE, width=11, note="blank: open-ended"),
    C("IssueDate", DATE, width=11, note="one-off charge: invoiced on its own, dated this day"),
), "input", key="ChargeID", note="Recurring and one-off charges.")

RECEIPTS = TableDef("tblReceipts", "Receipts", (
    C("Date", DATE, True, width=11),
    C("Method", CHOICE, True, METHODS, width=12),
    C("Payer", TEXT, width=28),
    C("CustomerID", ID, width=12, note="blank: found from reference or payer"),
    C("Reference", TEXT, width=30, note="invoice number or RF reference"),
    C("CheckNo", TEXT, width=10),
    C("Amount", MONEY, True, width=12),
    C("Currency", TEXT, width=9, note="blank: base currency"),
    C("PaymentID", ID, width=12, note="filled by ardesk when the row is posted; leave blank"),
), "input", note="Receipts typed by a clerk; a row with a PaymentID is posted and never posted again.")

INVOICES = TableDef("tblInvoices", "Invoices", (
    C("InvoiceNo", ID, True, width=16),
    C("Kind", CHOICE, True, ("invoice", "credit note"), width=11),
    C("CustomerID", ID, True, width=12),
    C("IssueDate", DATE, True, width=11),
    C("DueDate", DATE, True, width=11),
    C("Period", TEXT, width=9),
    C("Currency", TEXT, True, width=9),
    C("Net", MONEY, True, width=12),
    C("Tax", MONEY, True, width=11),
    C("Total", MONEY, True, width=12),
    C("CreditorRef", TEXT, width=26, note="ISO 11649 RF reference"),
    C("RelatesTo", ID, width=16, note="credit note: the invoice it credits"),
), "ledger", key="InvoiceNo")

INVOICE_LINES = TableDef("tblInvoiceLines", "InvoiceLines", (
    C("InvoiceNo", ID, True, width=16),
    C("LineNo", INT, True, width=7),
    C("ChargeID", ID, width=10),
    C("Item", TEXT, width=16),
    C("Description", TEXT, width=34),
    C("Quantity", DECIMAL, width=9),
    C("UnitPrice", DECIMAL, width=12),
    C("ServiceFrom", DATE, width=11),
    C("ServiceTo", DATE, width=11),
    C("Factor", DECIMAL, width=9, note="proration: active days / days in service period"),
    C("Net", MONEY, True, width=12),
    C("Currency", TEXT, width=9),
    C("BillingKey", ID, width=28, note="customer|charge|service period: billed once"),
), "ledger")

PAYMENTS = TableDef("tblPayments", "Payments", (
    C("PaymentID", ID, True, width=12),
    C("Date", DATE, True, width=11),
    C("Source", TEXT, width=22),
    C("Method", TEXT, width=12),
    C("Payer", TEXT, width=28),
    C("CustomerID", ID, width=12),
    C("Reference", TEXT, width=30),
    C("CheckNo", TEXT, width=10),
    C("Amount", MONEY, True, width=12),
    C("Currency", TEXT, True, width=9),
    C("Fingerprint", ID, True, width=24),
    C("PayerAccount", TEXT, width=24, note="the account the money came from; teaches the matcher who pays from it"),
), "ledger", key="PaymentID")

ALLOCATION_KINDS = ("applied", "credit", "suspense", "credit applied", "write-off", "suspense cleared",
                    "credit note", "credit note to credit", "refund")
ALLOCATIONS = TableDef("tblAllocations", "Allocations", (
    C("AllocationID", ID, True, width=12),
    C("Date", DATE, True, width=11),
    C("PaymentID", ID, width=12),
    C("InvoiceNo", ID, width=16),
    C("CustomerID", ID, width=12),
    C("Kind", CHOICE, True, ALLOCATION_KINDS, width=15),
    C("Amount", MONEY, True, width=12),
    C("Currency", TEXT, True, width=9),
    C("Rule", TEXT, width=16),
    C("Reason", TEXT, width=48),
), "ledger", key="AllocationID")

JOURNAL = TableDef("tblJournal", "Journal", (
    C("EntryID", ID, True, width=11),
    C("LineNo", INT, True, width=7),
    C("Date", DATE, True, width=11),
    C("Account", TEXT, True, width=9),
    C("AccountName", TEXT, width=20),
    C("Debit", MONEY, width=12),
    C("Credit", MONEY, width=12),
    C("Currency", TEXT, True, width=9),
    C("CustomerID", ID, width=12),
    C("DocType", TEXT, width=11),
    C("DocNo", ID, width=16),
    C("Memo", TEXT, width=40),
), "ledger")

AUDIT = TableDef("tblAudit", "Audit", (
    C("At", DATETIME, True, width=19),
    C("User", TEXT, width=12),
    C("Command", TEXT, width=14),
    C("Summary", TEXT, width=80),
), "ledger")

EXCEPTIONS = TableDef("tblExceptions", "Exceptions", (
    C("Step", TEXT, width=10),
    C("Sheet", TEXT, width=12),
    C("Row", INT, width=6),
    C("Column", TEXT, width=12),
    C("Value", TEXT, width=20),
    C("Problem", TEXT, width=90),
), "report", note="Problems found by the last run; rewritten each run.")

AGING = TableDef("tblAging", "Aging", (
    C("CustomerID", ID, width=12),
    C("Name", TEXT, width=30),
    C("Currency", TEXT, width=9),
    # bucket columns are added from Settings by the aging report
    C("Total", MONEY, width=12),
    C("AvgDaysToPay", DECIMAL, width=12, note="paid invoices: average of paid date - issue date"),
    C("AvgDaysLate", DECIMAL, width=12, note="paid invoices: average of paid date - due date (0 if on time)"),
), "report", anchor="A4", note="Open items per customer by days past due, and how fast the customer pays.")

PAID_INVOICES = TableDef("tblPaidInvoices", "PaidInvoices", (
    C("InvoiceNo", ID, width=16),
    C("CustomerID", ID, width=12),
    C("Name", TEXT, width=30),
    C("Currency", TEXT, width=9),
    C("Total", MONEY, width=12),
    C("IssueDate", DATE, width=11),
    C("DueDate", DATE, width=11),
    C("PaidDate", DATE, width=11, note="the day the last of it was applied"),
    C("DaysToPay", INT, width=10, note="paid date - issue date"),
    C("DaysLate", INT, width=9, note="paid date - due date; 0 when paid on time"),
    C("SettledBy", TEXT, width=22, note="cash applied, credit applied, suspense cleared, write-off"),
), "report", anchor="A4", note="Every invoice paid in full by the report date.")

SUMMARY = TableDef("tblSummary", "Summary", (
    C("Section", TEXT, width=14),
    C("Metric", TEXT, width=34),
    C("Currency", TEXT, width=9),
    C("Value", DECIMAL, width=16),
    C("Note", TEXT, width=80),
), "report", anchor="A4")

RECONCILIATION = TableDef("tblReconciliation", "Reconciliation", (
    C("Section", TEXT, width=14),
    C("CustomerID", ID, width=12),
    C("Currency", TEXT, width=9),
    C("Item", TEXT, width=34),
    C("Amount", MONEY, width=14),
    C("Note", TEXT, width=70),
), "report", anchor="A4")

AGING_TOTALS = TableDef("tblAgingTotals", "AgingTotals", (
    C("Currency", TEXT, width=9),
    # bucket columns are added from Settings, as on Aging
    C("Total", MONEY, width=12),
), "report", anchor="A4", note="Open items by days past due, one row per currency; the aging chart draws it.")

TRENDS = TableDef("tblTrends", "Trends", (
    C("Month", TEXT, width=9),
    C("Currency", TEXT, width=9),
    C("Invoiced", MONEY, width=14),
    C("Collected", MONEY, width=14),
    C("ClosingAR", MONEY, width=14, note="AR control account at the month's end"),
    C("DSO", DECIMAL, width=8, note="standard: closing AR x days / credit sales"),
), "report", anchor="A4", note="The last 12 months in the base currency; the invoiced/collected and DSO charts draw it.")

ARCHIVE = TableDef("tblArchive", "Archive", (
    C("ArchivedAt", DATETIME, True, width=19),
    C("Before", DATE, True, width=11, note="the first day that stayed in this workbook"),
    C("File", TEXT, True, width=30, note="the archive workbook, beside this one"),
    C("Table", TEXT, True, width=13),
    C("RowsMoved", INT, True, width=10),
    C("RowsInArchive", INT, True, width=12),
    C("ArchiveHash", TEXT, True, width=66, note="SHA-256 chain head over the archive's rows of this table"),
    C("RowsBefore", INT, True, width=10, note="rows this workbook held before the archive"),
    C("HashBefore", TEXT, True, width=66, note="their chain head"),
    C("FileSHA256", TEXT, width=66, note="SHA-256 of the archive file as saved"),
    C("LastID", TEXT, width=30, note="the highest number moved (both series for Invoices)"),
), "ledger", note="Every archive: what moved from each ledger to the archive workbook, and the hashes that link them.")

ARCHIVE_TOTALS = TableDef("tblArchiveTotals", "ArchiveTotals", (
    C("Before", DATE, True, width=11),
    C("Currency", TEXT, True, width=9),
    C("Month", TEXT, True, width=9),
    C("Invoiced", MONEY, width=14, note="net credit sales (invoices less credit notes) moved"),
    C("Collected", MONEY, width=14, note="receipts moved"),
    C("ClosingAR", MONEY, width=14, note="AR control at the month's end, before archiving"),
    C("OpenAR", MONEY, width=14, note="open items at the month's end, before archiving"),
), "ledger", note="Monthly totals of archived months, for DSO, CEI and the trends.")

REVIEW_DECISIONS = ("confirm", "assign", "suspense")
REVIEW = TableDef("tblReview", "Review", (
    # the clerk's decision first (frozen with the header), then the money as the bank sent it,
    # then the matcher's proposal, then what ardesk fills in; the fingerprint, a key, last
    C("Decision", CHOICE, False, REVIEW_DECISIONS, width=10,
      note="confirm: post the proposal; assign: post to CustomerID / InvoiceNos; suspense"),
    C("CustomerID", ID, width=12, note="your decision: the customer who paid (pick from the list)"),
    C("InvoiceNos", TEXT, width=30, note="your decision: invoice numbers, separated by spaces or commas"),
    C("Date", DATE, True, width=11),
    C("Amount", MONEY, True, width=12),
    C("Currency", TEXT, True, width=9),
    C("Payer", TEXT, width=26),
    C("Reference", TEXT, width=36, note="remittance text as received"),
    C("PayerAccount", TEXT, width=22),
    C("Method", TEXT, width=10),
    C("CheckNo", TEXT, width=10),
    C("Source", TEXT, width=18),
    C("Origin", TEXT, width=22, note="file and line, or Receipts row"),
    C("ProposedCustomer", ID, width=12),
    C("ProposedInvoices", TEXT, width=30),
    C("Confidence", DECIMAL, width=10),
    C("Rule", TEXT, width=14),
    C("Reason", TEXT, width=60),
    C("PaymentID", ID, width=12, note="set when the money is already held in suspense"),
    C("ReceiptRow", INT, width=8, note="Receipts row stamped when posted"),
    C("Status", TEXT, width=30, note="filled by ardesk when the decision is posted"),
    C("Fingerprint", ID, True, width=24),
), "input", key="Fingerprint",
    note="Receipts the matcher was not sure of; nothing is posted for them until apply-review.")
# The Review tab's panes are frozen right of the decision columns, and CustomerID offers the customers.
REVIEW_FROZEN_COLUMNS = 3
LISTS = {("tblReview", "CustomerID"): ("tblCustomers", "CustomerID")}

DEPOSITS = TableDef("tblDeposits", "Deposits", (
    C("DepositID", ID, True, width=12),
    C("Date", DATE, True, width=11),
    C("PaymentID", ID, True, width=12),
    C("CheckNo", TEXT, width=10),
    C("Payer", TEXT, width=28),
    C("Amount", MONEY, True, width=12),
    C("Currency", TEXT, True, width=9),
), "ledger", note="Deposit slips: checks and cash taken to the bank together.")

SETTLEMENT_KINDS = ("deposit banked", "card payout", "payout banked", "card fee", "card refund", "chargeback")
SETTLEMENTS = TableDef("tblSettlements", "Settlements", (
    C("Date", DATE, True, width=11),
    C("Kind", CHOICE, True, SETTLEMENT_KINDS, width=14),
    C("Document", ID, width=22, note="deposit slip, payout or charge id"),
    C("Fingerprint", ID, True, width=24),
    C("InvoiceNo", ID, width=16),
    C("CustomerID", ID, width=12),
    C("Amount", MONEY, True, width=12),
    C("Currency", TEXT, True, width=9),
    C("EntryID", ID, width=11),
    C("Source", TEXT, width=22),
    C("Note", TEXT, width=50),
), "ledger", note="Bank lines and processor rows that are not receipts: deposits, payouts, card fees, refunds.")

PROOF = TableDef("tblProof", "Proof", (
    C("Period", TEXT, width=9),
    C("InvoiceNo", ID, width=16),
    C("CustomerID", ID, width=12),
    C("Name", TEXT, width=28),
    C("Lines", INT, width=7),
    C("Currency", TEXT, width=9),
    C("Net", MONEY, width=12),
    C("Tax", MONEY, width=11),
    C("Total", MONEY, width=12),
    C("Channel", TEXT, width=14, note="e-mail, post, and the e-invoice format"),
    C("StopsDelivery", TEXT, width=50, note="what keeps this invoice from reaching the customer"),
    C("InputsHash", ID, width=20, note="Customers, Charges, Settings and issued numbers as previewed"),
), "report", anchor="A4", note="What the next billing run would issue; Bill period issues it when no input changed.")

DOCUMENT_KINDS = ("invoice", "credit note", "statement", "letter")
DOCUMENTS = TableDef("tblDocuments", "Documents", (
    C("DocumentNo", ID, True, width=22),
    C("Kind", CHOICE, True, DOCUMENT_KINDS, width=11),
    C("CustomerID", ID, True, width=12),
    C("Date", DATE, True, width=11),
    C("Currency", TEXT, width=9),
    C("Total", MONEY, width=12),
    C("File", TEXT, width=28, note="the archived PDF, in the documents folder"),
    C("SHA256", ID, width=20),
    C("XmlFile", TEXT, width=28, note="the e-invoice, when one was made"),
    C("XmlSHA256", ID, width=20),
    C("Format", TEXT, width=10),
    C("ArchivedAt", DATETIME, width=19),
), "ledger", key="DocumentNo", note="Every document issued, archived once with its SHA-256.")

DELIVERY_STATUS = ("sent", "failed", "bounced", "printed", "drafted")
DELIVERIES = TableDef("tblDeliveries", "Deliveries", (
    C("DocumentNo", ID, True, width=22),
    C("Kind", TEXT, width=11),
    C("Channel", TEXT, width=8, note="email, post or draft"),
    C("Address", TEXT, width=30, note="e-mail address, or the print batch file"),
    C("MessageID", TEXT, width=36),
    C("Status", CHOICE, True, DELIVERY_STATUS, width=9),
    C("Error", TEXT, width=50),
    C("At", DATETIME, width=19),
    C("User", TEXT, width=12),
), "ledger", note="Each document x recipient delivered or tried: sent only once the server accepted it.")

CREDIT_ACTIONS = ("credit note", "void", "write-off", "refund")
CREDIT_NOTES = TableDef("tblCreditNotes", "CreditNotes", (
    C("Date", DATE, True, width=11),
    C("Action", CHOICE, True, CREDIT_ACTIONS, width=11,
      note="credit note; void (an unpaid invoice, credited in full); write-off (bad debt); refund of customer credit"),
    C("InvoiceNo", ID, width=16, note="the invoice credited, voided or written off"),
    C("CustomerID", ID, width=12, note="refund: the customer whose credit is paid back"),
    C("Lines", TEXT, width=10, note="credit these invoice line numbers (e.g. 1,3); blank: the amount or all"),
    C("Amount", MONEY, width=12, note="tax included; blank: the whole invoice, open balance or credit"),
    C("Currency", TEXT, width=9, note="blank: the invoice's or customer's"),
    C("Reason", TEXT, True, width=40),
    C("PaymentRef", TEXT, width=20, note="refund: the reference of the payment sent"),
    C("DocumentNo", ID, width=16, note="filled by ardesk when the row is processed; leave blank"),
), "input", note="Credit notes, voids, write-offs and refunds to issue; a row with a DocumentNo is done.")

DISPUTE_REASONS = ("price", "quantity", "quality", "not received", "duplicate", "other")
DISPUTE_STATUS = ("open", "under review", "credited", "rejected")
DISPUTES = TableDef("tblDisputes", "Disputes", (
    C("DisputeID", ID, True, width=10),
    C("Date", DATE, True, width=11),
    C("InvoiceNo", ID, True, width=16),
    C("Amount", MONEY, True, width=12, note="the disputed part of the invoice, tax included"),
    C("ReasonCode", CHOICE, True, DISPUTE_REASONS, width=12),
    C("Status", CHOICE, True, DISPUTE_STATUS, width=12,
      note="open / under review: not dunned; credited: a credit note is issued; rejected: dunned again"),
    C("Owner", TEXT, width=12),
    C("Notes", TEXT, width=40),
    C("CreditNoteNo", ID, width=16, note="filled by ardesk when the credit note is issued"),
), "input", key="DisputeID", note="Disputed invoices: the disputed amount is not dunned.")

INTEREST_BASES = ("none", "contract", "EU", "DE", "FR", "UK")
CHANNELS = ("e-mail", "letter", "call task")
DUNNING_LEVELS = TableDef("tblDunningLevels", "DunningLevels", (
    C("Policy", ID, True, width=12),
    C("Level", INT, True, width=7),
    C("DaysPastDue", INT, True, width=10, note="negative: a friendly reminder before the due date"),
    C("MinAmount", MONEY, width=11, note="dun only when this much is past due"),
    C("Fee", MONEY, width=10, note="a fee per letter, charged on a separate invoice"),
    C("InterestBasis", CHOICE, True, INTEREST_BASES, width=12,
      note="EU, FR: ECB rate + 8 / + 10 points; DE: base rate + 9; UK: BoE base rate + 8; contract: ContractRate"),
    C("ContractRate", RATE, width=10, note="annual rate for the contract basis"),
    C("Compensation", CHOICE, width=12, choices=("none", "statutory"),
      note="statutory: EUR 40 per invoice (2011/7/EU art. 6); GBP 40/70/100 by debt size (UK Act s.5A)"),
    C("Channel", CHOICE, True, CHANNELS, width=10),
    C("Template", TEXT, True, width=20, note="the letter or e-mail template"),
    C("Currency", TEXT, width=9, note="currency of MinAmount and Fee; blank: base currency"),
), "input", note="Dunning policies: ordered levels, the next level applies when an item is that many days past due.")

DUNNING_CUSTOMERS = TableDef("tblDunningCustomers", "DunningCustomers", (
    C("CustomerID", ID, True, width=12),
    C("Policy", ID, True, width=12, note="a Policy on DunningLevels, or none: this customer is never dunned"),
    C("Note", TEXT, width=40),
), "input", key="CustomerID", note="Customers dunned by a policy other than the default on Settings.")

REFERENCE_RATES = TableDef("tblReferenceRates", "ReferenceRates", (
    C("Basis", CHOICE, True, ("EU", "DE", "FR", "UK"), width=8),
    C("From", DATE, True, width=11, note="first day of the half year (1 January or 1 July)"),
    C("Rate", RATE, True, width=9, note="the reference rate in force for the half year"),
    C("Source", TEXT, width=40),
), "input", note="Reference rates for statutory late-payment interest, one row per basis and half year.")

DUNNING = TableDef("tblDunning", "Dunning", (
    C("AsOf", DATE, width=11),
    C("Row", TEXT, width=7, note="item or letter"),
    C("CustomerID", ID, width=12),
    C("Name", TEXT, width=26),
    C("Currency", TEXT, width=9),
    C("InvoiceNo", ID, width=16),
    C("DueDate", DATE, width=11),
    C("DaysPastDue", INT, width=9),
    C("Open", MONEY, width=12),
    C("Disputed", MONEY, width=11),
    C("Level", INT, width=7),
    C("Fee", MONEY, width=10),
    C("Interest", MONEY, width=10),
    C("Compensation", MONEY, width=12),
    C("Total", MONEY, width=12),
    C("Channel", TEXT, width=10),
    C("Template", TEXT, width=18),
    C("Computation", TEXT, width=60, note="how the interest was worked out"),
    C("Exclude", TEXT, width=8, note="type x to leave this item or letter out of Issue dunning"),
), "report", anchor="A4", note="Dunning proposals of the last run, for review before Issue dunning.")

DUNNING_HISTORY = TableDef("tblDunningHistory", "DunningHistory", (
    C("Date", DATE, True, width=11),
    C("LetterID", ID, True, width=14),
    C("CustomerID", ID, True, width=12),
    C("InvoiceNo", ID, True, width=16),
    C("Level", INT, True, width=7),
    C("Amount", MONEY, True, width=12, note="open and not disputed when dunned"),
    C("Currency", TEXT, True, width=9),
    C("Fee", MONEY, width=10),
    C("Interest", MONEY, width=10),
    C("InterestTo", DATE, width=11, note="interest charged up to this day"),
    C("Compensation", MONEY, width=12),
    C("FeeInvoiceNo", ID, width=16, note="the invoice that charges fee, interest and compensation"),
    C("Channel", TEXT, width=10),
    C("Template", TEXT, width=18),
), "ledger", note="Every item dunned, at which level, and what was charged for it.")

PLAN_STATUS = ("active", "completed", "broken")
PAYMENT_PLANS = TableDef("tblPaymentPlans", "PaymentPlans", (
    C("PlanID", ID, True, width=10),
    C("CustomerID", ID, True, width=12),
    C("Currency", TEXT, width=9, note="blank: the customer's"),
    C("Date", DATE, True, width=11, note="the day the plan is agreed: what is open then goes on the plan"),
    C("FirstDue", DATE, True, width=11),
    C("Count", INT, True, width=7, note="number of instalments"),
    C("MonthsBetween", INT, width=9, note="blank: 1"),
    C("Rate", RATE, width=8, note="annual interest rate; blank: none"),
    C("Balance", MONEY, width=12, note="filled by ardesk: the balance put on the plan"),
    C("InterestInvoice", ID, width=16, note="filled by ardesk: the invoice charging the plan's interest"),
    C("Status", TEXT, width=10, note="filled by ardesk: active, completed or broken"),
    C("Paid", MONEY, width=12, note="filled by ardesk"),
    C("NextDue", DATE, width=11, note="filled by ardesk"),
), "input", key="PlanID", note="Payment plans; ardesk fills the schedule on Instalments and keeps the state here.")

INSTALMENTS = TableDef("tblInstalments", "Instalments", (
    C("PlanID", ID, True, width=10),
    C("No", INT, True, width=5),
    C("DueDate", DATE, True, width=11),
    C("Payment", MONEY, True, width=12),
    C("Interest", MONEY, width=11),
    C("Principal", MONEY, width=12),
    C("Remaining", MONEY, width=12),
    C("Currency", TEXT, True, width=9),
), "ledger", note="The instalments of every payment plan, as set up.")

NOTE_CHANNELS = ("call", "e-mail", "letter", "visit")
CUSTOMER_NOTES = TableDef("tblCustomerNotes", "CustomerNotes", (
    C("Date", DATE, True, width=11),
    C("Clerk", TEXT, width=10),
    C("CustomerID", ID, True, width=12),
    C("InvoiceNo", ID, width=16, note="optional: the invoice the note is about"),
    C("Channel", CHOICE, True, NOTE_CHANNELS, width=9),
    C("Text", TEXT, True, width=50),
    C("PromisedDate", DATE, width=11, note="the customer promised to pay by this day"),
    C("PromisedAmount", MONEY, width=12, note="... this much (the customer's currency)"),
    C("FollowUp", DATE, width=11, note="when to come back to it"),
    C("Promise", TEXT, width=9, note="filled by ardesk: pending, kept or broken, from the receipts"),
), "input", note="Calls, e-mails, letters and visits, with promises to pay and follow-up dates.")

CUSTOMER_CARD = TableDef("tblCustomerCard", "Customer", (
    C("Section", TEXT, width=12),
    C("Item", TEXT, width=24),
    C("Date", DATE, width=11),
    C("Currency", TEXT, width=9),
    C("Amount", MONEY, width=14),
    C("Days", DECIMAL, width=8),
    C("Note", TEXT, width=60),
), "report", anchor="A4", note="One customer's account at a glance (Customer card for, on Settings).")

CUSTOMER_HISTORY = TableDef("tblCustomerHistory", "CustomerHistory", (
    C("At", DATETIME, True, width=19),
    C("User", TEXT, width=12),
    C("CustomerID", ID, True, width=12),
    C("Field", TEXT, True, width=14, note="(created): the customer's details when first seen, blank fields left out"),
    C("OldValue", TEXT, width=30),
    C("NewValue", TEXT, width=40),
), "ledger", note="Every change to a customer's details, found at each run against the last recorded state.")

CREDIT_HOLDS = TableDef("tblCreditHolds", "CreditHolds", (
    C("Proposed", DATE, True, width=11),
    C("CustomerID", ID, True, width=12),
    C("Name", TEXT, width=26),
    C("Currency", TEXT, width=9),
    C("Balance", MONEY, width=12),
    C("CreditLimit", MONEY, width=12),
    C("OldestDays", INT, width=10),
    C("Reason", TEXT, width=50),
    C("Confirm", TEXT, width=8, note="type yes to put the customer on hold"),
    C("Status", TEXT, width=12, note="filled by ardesk: on hold"),
), "input", note="Customers proposed for a credit hold; confirmed ones are set to hold on Customers.")

COLLECTIONS = TableDef("tblCollections", "Collections", (
    C("Rank", INT, width=6),
    C("CustomerID", ID, width=12),
    C("Name", TEXT, width=26),
    C("Currency", TEXT, width=9),
    C("PastDue", MONEY, width=12),
    C("OldestDays", INT, width=10, note="days past due of the oldest item"),
    C("Score", MONEY, width=14, note="amount past due x days past due, summed over the items"),
    C("Level", INT, width=7, note="the last dunning level reached"),
    C("NextAction", TEXT, width=44),
    C("ActionDate", DATE, width=11),
    C("Disputes", INT, width=8, note="open disputes"),
    C("OldestDispute", INT, width=12, note="days the oldest open dispute has been open"),
    C("Signals", TEXT, width=50, note="promises, instalments and follow-ups"),
), "report", anchor="A4", note="The collector's worklist: what to do today, ranked.")

CHAIN_STATE = TableDef("tblChainState", "ChainState", (
    C("Ledger", ID, True, width=20),
    C("Rows", INT, width=8, note="table rows the last posting click read"),
    C("Count", INT, width=8),
    C("Head", TEXT, width=66),
    C("Fingerprint", TEXT, width=66, note="SHA-256 of those rows as the engine read them"),
), "state", key="Ledger", note="Each ledger's chain state as the last posting click from Lite or Server read it (io/quickstate.py).")

TABLES: dict[str, TableDef] = {t.name: t for t in (
    CUSTOMERS, CHARGES, RECEIPTS, INVOICES, INVOICE_LINES, PAYMENTS, ALLOCATIONS,
    JOURNAL, AUDIT, EXCEPTIONS, AGING, SUMMARY, RECONCILIATION, REVIEW, DEPOSITS, SETTLEMENTS, PAID_INVOICES,
    AGING_TOTALS, TRENDS,
    CREDIT_NOTES, DISPUTES, DUNNING_LEVELS, DUNNING_CUSTOMERS, REFERENCE_RATES, DUNNING, DUNNING_HISTORY, COLLECTIONS,
    PAYMENT_PLANS, INSTALMENTS, CUSTOMER_NOTES, CUSTOMER_CARD, CUSTOMER_HISTORY, CREDIT_HOLDS,
    PROOF, DOCUMENTS, DELIVERIES, ARCHIVE, ARCHIVE_TOTALS, CHAIN_STATE)}

SHEET_ORDER = ("Settings", "Customers", "Charges", "Receipts", "Invoices", "InvoiceLines",
               "Payments", "Allocations", "Journal", "Exceptions", "Aging", "Summary",
               "Reconciliation", "Audit", "Review", "Deposits", "Settlements", "PaidInvoices", "AgingTotals",
               "Trends",
               "CreditNotes", "Disputes", "DunningLevels", "DunningCustomers", "ReferenceRates", "Dunning", "DunningHistory",
               "Collections", "PaymentPlans", "Instalments", "CustomerNotes", "Customer",
               "CustomerHistory", "CreditHolds", "Proof", "Documents", "Deliveries", "Archive", "ArchiveTotals",
               "ChainState")


@dataclass(frozen=True)
class Setting:
    name: str           # the workbook-level defined name
    label: str
    kind: str
    default: object
    note: str = ""


SETTINGS: tuple[Setting, ...] = (
    Setting("CompanyName", "Company", TEXT, "Example Billing Ltd"),
    Setting("CompanyAddress", "Company address", TEXT, "1 Ledger Lane, 1000 Brussels"),
    Setting("BaseCurrency", "Base currency", TEXT, "EUR", "ISO 4217; used where a row leaves Currency blank"),
    Setting("InvoiceFormat", "Invoice number format", TEXT, "INV-{year}-{seq:05d}",
            "{year} = issue year, {seq} = the gapless sequence number"),
    Setting("Period", "Current period (YYYY-MM)", TEXT, "", "the period the ribbon buttons work on"),
    Setting("AsOfDate", "Reports as of", DATE, None, "blank: the last day of the current period"),
    Setting("NextInvoiceNumber", "Next invoice number", INT, 1, "the next billing run starts here"),
    Setting("AgingBuckets", "Aging buckets (days past due)", TEXT, "30,60,90",
            "upper bounds: 30,60,90 gives Current, 1-30, 31-60, 61-90, Over 90"),
    Setting("AgingBasis", "Age by", CHOICE, "due", "due (due date) or invoice (invoice date)"),
    Setting("ToleranceAbs", "Underpayment write-off up to (amount)", DECIMAL, 0.50),
    Setting("TolerancePct", "Underpayment write-off up to (share)", RATE, 0.005),
    Setting("AutoPostThreshold", "Auto-post matches with confidence from", DECIMAL, 0.90),
    Setting("LockedThrough", "Periods locked through", DATE, None, "nothing may be posted on or before this date"),
    Setting("BankInbox", "Bank file inbox folder", TEXT, "", "new files here are imported by Import bank file"),
    Setting("BankCsvProfile", "Bank CSV profile file (JSON)", TEXT, "",
            "your bank's CSV column mapping; a relative path is beside the workbook"),
    Setting("MaxAmount", "Largest plausible amount", DECIMAL, 10_000_000,
            "a receipt, bank line or invoice line above this is refused as a typing or file error"),
    Setting("DateWindowDays", "Dates accepted around the period (days)", INT, 400,
            "receipts and bank lines dated further before or after the current period are refused"),
    Setting("MaxBankFileMB", "Largest bank file (MB)", DECIMAL, 20, "bigger bank or processor files are refused unread"),
    Setting("RunLogFolder", "Run log folder", TEXT, "",
            "blank: NAME.ardesk beside the workbook; every posting run is kept there (see ardesk recover)"),
    Setting("AcctAR", "Account: accounts receivable", TEXT, "1100"),
    Setting("AcctCash", "Account: bank", TEXT, "1000"),
    Setting("AcctUndeposited", "Account: undeposited funds", TEXT, "1050"),
    Setting("AcctCardClearing", "Account: card clearing", TEXT, "1060"),
    Setting("AcctTax", "Account: tax payable", TEXT, "2200"),
    Setting("AcctCredits", "Account: customer credits", TEXT, "2300"),
    Setting("AcctSuspense", "Account: suspense", TEXT, "2900"),
    Setting("AcctRevenue", "Account: revenue", TEXT, "4000"),
    Setting("AcctCardFees", "Account: card fees", TEXT, "6100"),
    Setting("AcctWriteOff", "Account: write-offs and discounts", TEXT, "6800"),
    # documents and delivery
    Setting("CompanyPostalCode", "Company postcode", TEXT, "1000"),
    Setting("CompanyCity", "Company city", TEXT, "Brussels"),
    Setting("CompanyCountry", "Company country (ISO 3166)", TEXT, "BE"),
    Setting("CompanyEmail", "Company e-mail (sender)", TEXT, "billing@example.com"),
    Setting("CompanyVATID", "Company VAT ID", TEXT, "BE0123456749"),
    Setting("CompanyRegistration", "Company registration", TEXT, "", "register and number, printed in the footer"),
    Setting("CompanyIBAN", "Company IBAN", TEXT, "BE68539007547034", "printed on documents and in the payment QR code"),
    Setting("CompanyBIC", "Company BIC", TEXT, ""),
    Setting("CompanyLogo", "Logo image file", TEXT, "", "PNG, JPEG or SVG; relative to the workbook's folder"),
    Setting("FooterText", "Document footer", TEXT, ""),
    Setting("EnvelopeLayout", "Envelope window", CHOICE, "din5008b", "din5008b (DIN 5008 form B) or us10 (US #10)"),
    Setting("StatementType", "Statement type", CHOICE, "open-item", "open-item, balance-forward or activity"),
    Setting("TemplatesFolder", "Templates folder", TEXT, "", "blank: the templates shipped with ardesk"),
    Setting("DocumentsFolder", "Documents folder", TEXT, "documents", "archive of issued PDFs and XML; relative to the workbook's folder"),
    Setting("SmtpHost", "SMTP server", TEXT, "", "ARDESK_SMTP_HOST overrides"),
    Setting("SmtpPort", "SMTP port", INT, 587, "ARDESK_SMTP_PORT overrides"),
    Setting("SmtpSecurity", "SMTP security", CHOICE, "starttls", "none, starttls or ssl; ARDESK_SMTP_SECURITY overrides"),
    Setting("SmtpUser", "SMTP user", TEXT, "", "the password comes from ARDESK_SMTP_PASSWORD or the OS keyring, never the workbook"),
    Setting("MailMode", "Deliver e-mail as", CHOICE, "send", "send, eml (drafts to open and send) or outlook (Outlook drafts, Windows)"),
    Setting("AttachmentLimitMB", "Attachment size limit (MB)", DECIMAL, 10),
    Setting("EInvoiceRules", "E-invoice rules at issue", CHOICE, "values",
            "values (XSD and the EN 16931 rules on values; a proof runs all CEN rules) or full (all CEN rules "
            "for every document issued, about 10 ms each)"),
    Setting("BounceFolder", "Bounce messages folder", TEXT, "bounces",
            "where a clerk saves bounce messages (.eml) for `ardesk send` to read; relative to the workbook's folder"),
    Setting("AcctOpeningBalance", "Account: opening balances", TEXT, "3900",
            "the other side of the opening entry made by ardesk import"),
    Setting("CEIMonths", "CEI over (months)", INT, 1, "the Summary's CEI covers this many months"),
    Setting("DSOMonthDays", "Count-back DSO month days", CHOICE, "calendar",
            "calendar (28 to 31 days) or 30 (every month 30 days)"),
    Setting("CreditNoteFormat", "Credit note number format", TEXT, "CN-{year}-{seq:05d}",
            "{year} = issue year, {seq} = the gapless credit note sequence"),
    Setting("NextCreditNoteNumber", "Next credit note number", INT, 1),
    Setting("DunningPolicy", "Default dunning policy", TEXT, "standard",
            "the Policy on DunningLevels for customers not on DunningCustomers; none: no dunning"),
    Setting("AcctLateFees", "Account: late fees and interest", TEXT, "4900"),
    Setting("HoldDaysPastDue", "Hold when past due more than (days)", INT, None,
            "customers with an item this many days past due are proposed on CreditHolds; blank: never"),
    Setting("CardCustomer", "Customer card for", TEXT, "", "the customer ID the Customer card button shows"),
    Setting("ArchiveFile", "Archive workbook", TEXT, "",
            "where settled history is moved (`ardesk archive`); blank: NAME-archive.xlsx beside the workbook"),
    Setting("ArchiveAfterMonths", "Archive on close, keeping (months)", INT, None,
            "closing a period also archives what was settled before the last N months; blank: never"),
)
SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}

EPOCH = date(1899, 12, 30)  # Excel's serial-date origin (1900 system)
