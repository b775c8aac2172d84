"""Electronic transfer manifests: lifecycle, numbering, hash chain, deadlines."""
