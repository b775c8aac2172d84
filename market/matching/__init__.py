"""Ranking supply against demand. The core (types, codes, scoring, index) is pure:
no Flask, no database; market.matching.service turns rows into its types."""
