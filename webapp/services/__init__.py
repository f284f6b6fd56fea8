"""Every write: a named function with an explicit actor, one transaction, an audit row inside it."""


class ServiceError(Exception):
    """A refused action; `status` is the HTTP status the view answers with."""

    status = 400

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NotFound(ServiceError):
    """The object does not exist for this actor (invisible means nonexistent)."""

    status = 404

    def __init__(self, message: str = "Not found."):
        super().__init__(message)


class Forbidden(ServiceError):
    """The actor may see the object but not do this to it."""

    status = 403


class Conflict(ServiceError):
    """The object is not in a state that allows this (e.g. an illegal workflow transition)."""

    status = 409
