"""The park administrator's pages."""
