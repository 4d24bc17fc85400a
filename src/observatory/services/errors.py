"""What a service refuses, with a bilingual message; each face turns it into its own answer
(an HTTP status, a CLI exit code)."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal a user can act on: ``en`` and ``zh`` say why."""

    status = 400

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(f"{en} / {zh}" if zh else en)  # an engine's message may be both
        self.en, self.zh = en, zh


class NotFound(ServiceError):
    """The record does not exist or lies outside the user's scope (the same answer for both)."""

    status = 404

    def __init__(self, en: str = "not found", zh: str = "未找到") -> None:
        super().__init__(en, zh)


class Invalid(ServiceError):
    """Input that cannot be used as given."""

    status = 422


class Conflict(ServiceError):
    """A request the record's current state does not allow."""

    status = 409


class Denied(Exception):
    """The user's role may not use an area: 401 when not logged in, else 403."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status
