"""Parks, enterprises, licences, users, API tokens and login."""
