"""The facilitator's desk: a park administrator suggests matches for lots nobody bid on."""
