"""Transition tables: the one way a status changes. Pure.

A table maps (status, event) to the next status; statuses and events are StrEnums,
which hash and compare like their string values, so rows read from the database
look up directly.
"""


class InvalidTransition(Exception):
    def __init__(self, status: str, event: str):
        super().__init__(f"cannot {event} from {status}")
        self.status = status
        self.event = event


def next_status(table: dict, status: str, event: str):
    try:
        return table[(status, event)]
    except KeyError:
        raise InvalidTransition(status, event) from None


def allowed_events(table: dict, status: str) -> list:
    return [event for (source, event) in table if source == status]
