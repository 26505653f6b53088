"""The ledger: invoices, payments and allocations as read, the journal, reconciliation."""
