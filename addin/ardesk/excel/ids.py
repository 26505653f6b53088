"""The ribbon's buttons: one id per month-end step.

The ribbon XML in ``macros/`` uses these ids; the VBA callback passes
``control.Id`` to :func:`ardesk.excel.buttons.on_ribbon`, which dispatches
on them.  Tests check that the three agree.
"""
RIBBON_BUTTONS: tuple[tuple[str, str, str], ...] = (
    # (control id, label, what it does)
    ("ardeskValidate", "Validate", "check the input tabs without posting"),
    ("ardeskBill", "Bill period", "issue the invoices of the current period"),
    ("ardeskImportBank", "Import bank file", "import a bank file, or every new file in the inbox folder"),
    ("ardeskApplyReview", "Apply review", "post the decisions made on the Review tab"),
    ("ardeskReconcile", "Reconcile", "AR roll-forward and subledger vs control"),
    ("ardeskReports", "Reports", "fill the Aging and Summary tabs"),
    ("ardeskMonthEnd", "Month-end", "bill, receive, reconcile and report in one run"),
    ("ardeskPreview", "Preview billing", "fill the Proof tab with what Bill period would issue"),
    ("ardeskSend", "Send documents", "issue, archive and e-mail or print the invoices not yet delivered"),
    ("ardeskRecover", "Recover", "put back posted runs that a colleague's stale save dropped, from the run log"),
    ("ardeskCredit", "Issue credit notes", "issue the credit notes, voids, write-offs and refunds on the CreditNotes tab"),
    ("ardeskDunningRun", "Dunning run", "propose dunning letters and fill the Collections worklist"),
    ("ardeskIssueDunning", "Issue dunning", "issue the proposed letters, fees and interest"),
    ("ardeskPlans", "Payment plans", "set up the payment plans and update their state"),
    ("ardeskCustomerCard", "Customer card", "show the customer typed in Customer card for on Settings"),
    ("ardeskCreditHolds", "Credit holds", "propose credit holds and put the confirmed ones on hold"),
)
