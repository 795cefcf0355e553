"""Errors: every problem+json answer (RFC 9457) becomes a ProblemError of its status's class."""

from __future__ import annotations

import json
from typing import Any

import httpx

from coderunhub.models import FieldError


class CodeRunHubError(Exception):
    """Anything this SDK raises on purpose."""


class ProblemError(CodeRunHubError):
    """The API refused or failed a request; ``type``, ``title``, ``detail`` come from its problem+json."""

    def __init__(
        self,
        status: int,
        type: str,
        title: str,
        detail: str | None = None,
        *,
        instance: str | None = None,
        errors: list[FieldError] | None = None,
        retry_after: float | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(f"{status} {title}" + (f": {detail}" if detail else ""))
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.instance = instance
        self.errors = errors or []
        self.retry_after = retry_after
        self.body = body

    @property
    def slug(self) -> str:
        """The last part of ``type``, e.g. ``too-many-in-flight``."""
        return self.type.rstrip("/").rsplit("/", 1)[-1]


class BadRequestError(ProblemError):
    """400: malformed JSON, invalid UTF-8, JSON nested too deeply."""


class AuthenticationError(ProblemError):
    """401: missing or invalid credentials (or anonymous use is off)."""


class PermissionDeniedError(ProblemError):
    """403: a missing API key scope, or not the owner."""


class NotFoundError(ProblemError):
    """404: unknown, or not visible to these credentials."""


class ConflictError(ProblemError):
    """409: the resource changed (If-Match), an Idempotency-Key reused, an execution already finished."""


class ContentTooLargeError(ProblemError):
    """413: body, source or stdin too large."""


class UnsupportedMediaTypeError(ProblemError):
    """415: the body was not JSON."""


class ValidationError(ProblemError):
    """422: ``errors`` names each offending field."""


class RateLimitError(ProblemError):
    """429: a budget or the in-flight cap is used up; ``retry_after`` says when to try again."""


class ServiceUnavailableError(ProblemError):
    """503: a backing service is down or the queue is full; ``retry_after`` says when to try again."""


class ServerError(ProblemError):
    """5xx other than 503: a bug on the server."""


class StreamError(CodeRunHubError):
    """A WebSocket closed without a result frame, or with a refusal (``code`` is its close code)."""

    def __init__(self, message: str, code: int | None = None, problem: ProblemError | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.problem = problem


_BY_STATUS: dict[int, type[ProblemError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: ContentTooLargeError,
    415: UnsupportedMediaTypeError,
    422: ValidationError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (only the delta-seconds form: the API never sends a date)."""
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def problem(status: int, body: Any, retry: float | None = None) -> ProblemError:
    """The exception for a problem body (also what an interactive socket's error frame carries)."""
    data = body if isinstance(body, dict) else {}
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else ProblemError)
    raw_errors = data.get("errors")
    errors = [FieldError.model_validate(e) for e in raw_errors] if isinstance(raw_errors, list) else None
    return kind(
        status,
        str(data.get("type") or "about:blank"),
        str(data.get("title") or f"HTTP {status}"),
        data.get("detail") if isinstance(data.get("detail"), str) else None,
        instance=data.get("instance") if isinstance(data.get("instance"), str) else None,
        errors=errors,
        retry_after=retry,
        body=body,
    )


def from_response(response: httpx.Response) -> ProblemError:
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        # A proxy's HTML page, say: keep its start as the detail.
        body = {"title": response.reason_phrase or f"HTTP {response.status_code}", "detail": response.text[:500]}
    return problem(response.status_code, body, retry_after(response))
