"""Supply listings (waste lots) and demand listings, with their lifecycles."""
