"""One family of refusals for the whole project: a message a person can read, a machine-readable
code and the HTTP status that goes with it.

Services raise them; HTML views show the message (a form error or a flash message) and the API
answers ``{"code": ..., "detail": ...}`` with the status, both through the same attributes.
A refused status change is one kind among several (``tickets.lifecycle.InvalidTransition``).
"""

from __future__ import annotations


class DomainError(Exception):
    code = "refused"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return self.message


class InvalidInput(DomainError):
    """What was sent cannot be used (an unknown priority, an empty message)."""

    code = "invalid_input"
    status = 400


class NotAllowed(DomainError):
    """The person may not do this here (a customer writing an internal note)."""

    code = "not_allowed"
    status = 403


class Conflict(DomainError):
    """The thing is not in a state that allows this (a closed ticket, a decided request)."""

    code = "conflict"
    status = 409


def messages_of(error: Exception) -> list[str]:
    """What to show a person for a refusal: a Django ValidationError's messages (file checks)
    or a DomainError's one message. Views read every refusal through this."""
    messages = getattr(error, "messages", None)
    return list(messages) if messages else [str(error)]
