"""Business rules. Services take plain values (a database, ids, strings) and
return plain values; they never touch the Flask request."""


import unicodedata


def single_line(text: str | None) -> str:
    """A name as people mean it: runs of white space become one space, and
    control characters (NUL and the like, never typed on purpose, and they
    break printouts) are dropped."""
    text = " ".join((text or "").split())
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")


class ServiceError(Exception):
    """A rule was broken by the user's input. The message is shown to the user
    as is, so it must be clear and must not leak what others own."""

    def __init__(self, message: str, *, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


class NotFound(ServiceError):
    def __init__(self, message: str = "Not found."):
        super().__init__(message, status=404)
