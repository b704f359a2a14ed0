"""fbd-verify: the claim ledger, the CLI and the reports."""

__version__ = "0.1.0"
