"""The signed-in user's desk: what waits on them, counted, on the home page."""
