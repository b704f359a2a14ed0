"""Ledger entries for section4 (to be filled in)."""
