"""Delivery: documents to customers by e-mail, drafts or the print batch, logged on Deliveries."""
