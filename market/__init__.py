"""The waste exchange. Importing the package loads no Flask; the app lives in market.app."""
