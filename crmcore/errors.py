"""Errors the services raise. Screens and the API turn them into messages; none carries a stack trace out."""

from __future__ import annotations

from typing import Any


class CRMError(Exception):
    """Base of every error a user is meant to read."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(CRMError):
    """Input was refused. ``errors`` maps each field to its reasons, e.g. ``{"email": ["Not a valid email."]}``."""

    status = 422

    def __init__(self, errors: dict[str, Any], message: str = "The input is not valid.") -> None:
        super().__init__(message)
        self.errors = errors

    def __str__(self) -> str:
        parts = [f"{field}: {'; '.join(map(str, reasons)) if isinstance(reasons, list) else reasons}"
                 for field, reasons in self.errors.items()]
        return f"{self.message} " + " ".join(parts)


class NotFound(CRMError):
    status = 404


class PermissionDenied(CRMError):
    status = 403


class Conflict(CRMError):
    """The record changed since it was read (stale version), or the change contradicts the current state."""

    status = 409


class Refused(CRMError):
    """An action that is understood but not allowed now, e.g. disabling a plugin another one requires."""

    status = 409
