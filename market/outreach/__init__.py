"""Matching that reaches out: notices to recyclers when a new lot matches their demand,
daily digests and invitations to bid (db-aware; the pure ranking stays in market.matching)."""
