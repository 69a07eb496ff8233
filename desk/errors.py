"""One small exception tree for the whole product.

    MadoguchiError
     ├── InputError        bad input from a customer, staff member or file; the message is shown to the user
     │    └── NotFound      an identifier (contract, customer, inquiry) that the store does not know
     ├── IdentityError     contract data was about to reach someone not proven to be its customer
     ├── TransientError    a dependency failed in a way worth retrying (carries ``retry_after`` seconds)
     └── PermanentError    a dependency refused for good (e.g. SMTP 5xx); retrying will not help

Adapters catch ``MadoguchiError`` at their edge and turn ``str(error)`` into a Japanese sentence for the
person in front of them; anything else is a bug and is logged with its traceback (never with message bodies).
"""

from __future__ import annotations


class MadoguchiError(Exception):
    """Base of every error this product raises on purpose."""


class InputError(MadoguchiError, ValueError):
    """The input was wrong; ``str(self)`` says what, in words a user understands."""


class NotFound(InputError, LookupError):
    """An identifier the store does not know."""


class IdentityError(MadoguchiError):
    """Disclosure was refused because the recipient is not a verified contact of the contract's customer."""


class TransientError(MadoguchiError):
    """Retry later; ``retry_after`` is a hint in seconds (None: use the backoff policy)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(MadoguchiError):
    """A dependency refused the operation for good."""
