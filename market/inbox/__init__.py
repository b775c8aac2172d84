"""The in-app inbox: messages to an enterprise's users about their bids and deals."""
