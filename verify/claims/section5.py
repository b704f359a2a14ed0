"""Ledger entries for section5 (to be filled in)."""
