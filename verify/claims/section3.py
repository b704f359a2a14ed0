"""Ledger entries for section3 (to be filled in)."""
