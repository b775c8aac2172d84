"""Deals (成交) made by accepting a bid, and their payments through the Stripe API."""
