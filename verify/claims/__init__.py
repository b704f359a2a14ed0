"""Ledger entries, one module per paper section.  Importing this package registers every claim."""

from . import section2  # noqa: F401
