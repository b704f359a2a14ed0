"""Ledger entries for convergence (to be filled in)."""
