"""Waste codes by scheme and edition, aliases, and fuzzy name search."""
