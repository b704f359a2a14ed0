"""Ledger entries for uds_torch (to be filled in)."""
