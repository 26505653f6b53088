"""Billing: the billing run and the invoices' creditor references."""
