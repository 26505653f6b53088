"""The ribbon's buttons, declared once: one line per desk step.

Everything else follows from this tuple: the ribbon XML of the add-in
(:func:`ardesk.excel.addin_build.ribbon_xml`, groups in the order they first
appear here), the dispatch of :func:`ardesk.excel.buttons.on_ribbon`, the
xlwings Lite and Server scripts (``ardesk_<name>``), the sheets a click on
xlwings Server sends, and the tests.  Adding a button is adding one line.

Fields: control id, label, ribbon group, the library command it runs
(:data:`ardesk.app.COMMANDS`), how it finds bank files (``"none"``: never,
``"inbox"``: every file in the BankInbox folder when one is set, ``"ask"``:
the inbox, else a file dialog where Excel has one), keytip, built-in icon
(imageMso), and the supertip a clerk reads when hovering.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Button:
    id: str
    label: str
    group: str
    command: str
    bank: Literal["none", "inbox", "ask"]
    keytip: str
    image: str
    supertip: str

    @property
    def script(self) -> str:
        """The xlwings Lite / Server script name: ardeskPostReceipts -> ardesk_post_receipts."""
        name = self.id.removeprefix("ardesk")
        return "ardesk" + "".join("_" + c.lower() if c.isupper() else c for c in name)


RIBBON_BUTTONS: tuple[Button, ...] = (
    Button("ardeskValidate", "Validate", "Check", "validate", "none", "V", "DataValidation",
           "Checks every input tab (customers, charges, receipts, settings) and lists each problem on Exceptions "
           "with sheet, row, column and value. Posts nothing."),
    Button("ardeskBill", "Bill period", "Billing", "bill", "none", "B", "CreateReport",
           "Issues the invoices of the period in Current period on Settings. Clicking it again issues nothing new."),
    Button("ardeskPreview", "Preview billing", "Billing", "preview", "none", "W", "FilePrintPreview",
           "Fills the Proof tab and a proof PDF with what Bill period would issue, and what would stop each "
           "invoice reaching its customer. Issues nothing."),
    Button("ardeskPostReceipts", "Post typed receipts", "Cash", "receive", "none", "P", "AccountingFormat",
           "Posts the checks, cash and transfers typed on the Receipts tab. Needs no bank file or inbox folder."),
    Button("ardeskImportBank", "Import bank file", "Cash", "receive", "ask", "I", "ImportTextFile",
           "Imports every bank file in the inbox folder (BankInbox on Settings), or the files you pick, and the "
           "typed receipts. Lines already imported are skipped."),
    Button("ardeskApplyReview", "Apply review", "Cash", "apply-review", "none", "A", "ReviewAcceptChange",
           "Posts the decisions typed on the Review tab (confirm, assign, suspense)."),
    Button("ardeskDeposit", "Deposit", "Cash", "deposit", "none", "D", "FilePrint",
           "Puts undeposited checks and cash on a deposit slip (the Deposits tab) and saves the slip as a PDF "
           "beside the workbook."),
    Button("ardeskReconcile", "Reconcile", "Month-end", "reconcile", "none", "R", "AutoSum",
           "AR roll-forward and the subledger per customer against the AR control account; every difference is "
           "listed on Reconciliation."),
    Button("ardeskReports", "Reports", "Month-end", "report", "none", "T", "ChartInsert",
           "Fills the Aging, Summary and Reconciliation tabs as of Reports as of (or the period's last day)."),
    Button("ardeskMonthEnd", "Month-end", "Month-end", "month-end", "inbox", "M", "MacroPlay",
           "Bills the period, posts typed receipts and the inbox's bank files, reconciles and reports, in one run."),
    Button("ardeskClose", "Close period", "Month-end", "close", "none", "C", "ReviewProtectWorkbook",
           "Locks the period in Current period when the books reconcile at its last day: nothing can be posted "
           "on or before it afterwards."),
    Button("ardeskSend", "Send documents", "Documents", "send", "none", "S", "FileSendAsAttachment",
           "Issues, archives and e-mails the documents not yet delivered, or puts them in the print batch."),
    Button("ardeskCredit", "Issue credit notes", "Collections", "credit", "none", "N", "Undo",
           "Issues the credit notes, voids, write-offs and refunds typed on the CreditNotes tab."),
    Button("ardeskDunningRun", "Dunning run", "Collections", "dunning", "none", "U", "ShowClock",
           "Proposes dunning letters on the Dunning tab and fills the Collections worklist. Posts nothing."),
    Button("ardeskIssueDunning", "Issue dunning", "Collections", "issue-dunning", "none", "G", "EnvelopesAndLabels",
           "Issues the proposed letters the clerk did not exclude: fees and interest on new invoices. Send letters "
           "then delivers them."),
    Button("ardeskSendLetters", "Send letters", "Collections", "send", "none", "E", "FileSendAsAttachment",
           "Renders, archives and delivers the dunning letters Issue dunning issued and not yet delivered: "
           "e-mail, or the print batch. Call tasks stay on the Collections worklist."),
    Button("ardeskPlans", "Payment plans", "Collections", "plan", "none", "L", "CalendarMonthDetailsSplitButton",
           "Sets up the payment plans typed on PaymentPlans and updates every plan's state."),
    Button("ardeskCard", "Customer card", "Collections", "card", "none", "K", "ContactCardCallMenu",
           "Fills the Customer tab for the customer in Customer card for, on Settings."),
    Button("ardeskCreditHolds", "Credit holds", "Collections", "holds", "none", "H", "ReviewRestrictEditing",
           "Proposes credit holds on CreditHolds and puts the confirmed ones on hold."),
    Button("ardeskRecover", "Recover", "Safety", "recover", "none", "Y", "RecoverInkMenu",
           "Puts back, from the run log beside the workbook, posted runs a colleague's stale save dropped. "
           "Classic add-in only: it needs the file system beside the workbook."),
)

BUTTON_BY_ID: dict[str, Button] = {b.id: b for b in RIBBON_BUTTONS}
