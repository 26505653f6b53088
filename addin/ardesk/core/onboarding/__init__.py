"""Bringing in the books a clerk already has: customers and open items from another system."""
