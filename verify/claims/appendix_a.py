"""Ledger entries for appendix_a (to be filled in)."""
