"""main.py of an ardesk workbook in xlwings Lite (copy it into the Lite editor).

The scripts appear in Lite's script list (ardesk: Validate, ardesk: Bill
period...) and the ARDESK_* functions become worksheet functions.  Both are
the library's own, defined in ardesk.excel.buttons and ardesk.excel.udfs;
nothing else belongs here.
"""
from ardesk.excel.buttons import (  # noqa: F401
    ardesk_apply_review,
    ardesk_bill,
    ardesk_card,
    ardesk_credit,
    ardesk_credit_holds,
    ardesk_dunning_run,
    ardesk_issue_dunning,
    ardesk_plans,
    ardesk_import_bank,
    ardesk_month_end,
    ardesk_preview,
    ardesk_reconcile,
    ardesk_reports,
    ardesk_send,
    ardesk_validate,
)
from ardesk.excel.udfs import (  # noqa: F401
    ardesk_aging,
    ardesk_balance,
    ardesk_cei,
    ardesk_customer_card,
    ardesk_customer_flows,
    ardesk_customer_xirr,
    ardesk_customer_xnpv,
    ardesk_days_to_pay,
    ardesk_dso,
    ardesk_installments,
    ardesk_open_items,
    ardesk_xirr,
    ardesk_xnpv,
)
