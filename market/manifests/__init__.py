"""Electronic transfer manifests, ledgers and periodic filings."""
