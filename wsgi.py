"""Entry point for `flask --app wsgi` and WSGI servers."""

from market.app import create_app

app = create_app()
