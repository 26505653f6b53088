"""Cash: receipts, matching rules, review, deposits, card settlements."""
