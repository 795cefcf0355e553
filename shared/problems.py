"""One RFC 9457 problem+json shape for every error of every service."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from redis.exceptions import RedisError
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://coderunhub.dev/problems/"

logger = logging.getLogger("coderunhub.problems")


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Path to the offending field, e.g. ['body', 'limits', 'memory_mb'].")
    msg: str
    type: str


FieldSource = Literal["body", "query", "header", "path"]


def field_error(
    loc: Sequence[str | int], msg: str, kind: str = "value_error", *, source: FieldSource = "body"
) -> FieldError:
    """One offending field, located as FastAPI locates its own (the source first, then the path)."""
    return FieldError(loc=[source, *loc], msg=msg, type=kind)


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://coderunhub.dev/problems/validation-error",
                    "title": "Request validation failed",
                    "status": 422,
                    "detail": "body.language: unknown language 'cobol'",
                    "instance": "/v1/executions",
                    "errors": [{"loc": ["body", "language"], "msg": "unknown language 'cobol'", "type": "value_error"}],
                }
            ]
        }
    )

    type: str = Field(description="URI identifying the problem type.")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = Field(default=None, description="Field errors, for validation problems.")


class ProblemError(Exception):
    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})


class ValidationProblem(ProblemError):
    def __init__(self, errors: Sequence[FieldError], detail: str | None = None) -> None:
        super().__init__(
            422,
            "validation-error",
            "Request validation failed",
            detail or "; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors),
            errors=errors,
        )

    @classmethod
    def for_field(
        cls, loc: Sequence[str | int], msg: str, kind: str = "value_error", *, source: FieldSource = "body"
    ) -> ValidationProblem:
        """The 422 for a single bad field (collect ``field_error``s instead to report several)."""
        return cls([field_error(loc, msg, kind, source=source)])


class NotFoundProblem(ProblemError):
    def __init__(self, what: str) -> None:
        super().__init__(404, "not-found", "Not found", f"{what} was not found")


def problem_response(request: Request, error: ProblemError) -> JSONResponse:
    body = Problem(
        type=PROBLEM_TYPE_BASE + error.slug,
        title=error.title,
        status=error.status,
        detail=error.detail,
        instance=request.url.path,
        errors=error.errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=error.headers,
    )


_STATUS_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("content-too-large", "Content too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("too-many-requests", "Too many requests"),
    503: ("service-unavailable", "Service unavailable"),
}


def _validation_errors(exc: RequestValidationError) -> ProblemError:
    raw: list[dict[str, Any]] = list(exc.errors())
    if any(err.get("type") == "json_invalid" for err in raw):
        return ProblemError(400, "malformed-json", "Malformed JSON", "The request body is not valid JSON.")
    errors = [
        FieldError(
            loc=[part if isinstance(part, int) else str(part) for part in err.get("loc", ())],
            msg=str(err.get("msg", "invalid")),
            type=str(err.get("type", "value_error")),
        )
        for err in raw
    ]
    return ValidationProblem(errors)


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(request, exc)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(request, _validation_errors(exc))

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        slug, title = _STATUS_SLUGS.get(exc.status_code, ("http-error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
        error = ProblemError(exc.status_code, slug, title, detail, headers=exc.headers)
        return problem_response(request, error)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        error = ProblemError(500, "internal-error", "Internal server error", "An unexpected error occurred.")
        return problem_response(request, error)

    async def on_backend_down(request: Request, exc: Exception) -> JSONResponse:
        logger.warning("backing service unavailable on %s %s: %s", request.method, request.url.path, exc)
        error = ProblemError(
            503,
            "service-unavailable",
            "Service unavailable",
            "A backing service is temporarily unavailable; retry shortly.",
            headers={"Retry-After": "2"},
        )
        return problem_response(request, error)

    app.add_exception_handler(RedisError, on_backend_down)
    app.add_exception_handler(OSError, on_backend_down)
    app.add_exception_handler(OperationalError, on_backend_down)
    app.add_exception_handler(InterfaceError, on_backend_down)
    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)


# One example per status, shown in the OpenAPI document next to the Problem schema.
PROBLEM_EXAMPLES: dict[int, dict[str, Any]] = {
    400: {
        "type": PROBLEM_TYPE_BASE + "malformed-json",
        "title": "Malformed JSON",
        "status": 400,
        "detail": "The request body is not valid JSON.",
        "instance": "/v1/executions",
    },
    401: {
        "type": PROBLEM_TYPE_BASE + "unauthorized",
        "title": "Unauthorized",
        "status": 401,
        "detail": "The access token is not valid: expired",
        "instance": "/v1/executions",
    },
    403: {
        "type": PROBLEM_TYPE_BASE + "insufficient-scope",
        "title": "Insufficient scope",
        "status": 403,
        "detail": "This needs the executions:write scope.",
        "instance": "/v1/executions",
    },
    404: {
        "type": PROBLEM_TYPE_BASE + "not-found",
        "title": "Not found",
        "status": 404,
        "detail": "Execution 0190c7a2-5b1e-7c3d-8e4f-a1b2c3d4e5f6 was not found",
        "instance": "/v1/executions/0190c7a2-5b1e-7c3d-8e4f-a1b2c3d4e5f6",
    },
    409: {
        "type": PROBLEM_TYPE_BASE + "conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "This Idempotency-Key was used with a different request.",
        "instance": "/v1/executions",
    },
    413: {
        "type": PROBLEM_TYPE_BASE + "content-too-large",
        "title": "Content too large",
        "status": 413,
        "detail": "The request body exceeds 2097152 bytes.",
        "instance": "/v1/executions",
    },
    415: {
        "type": PROBLEM_TYPE_BASE + "unsupported-media-type",
        "title": "Unsupported media type",
        "status": 415,
        "detail": "Request bodies must be application/json, not text/plain.",
        "instance": "/v1/executions",
    },
    422: {
        "type": PROBLEM_TYPE_BASE + "validation-error",
        "title": "Request validation failed",
        "status": 422,
        "detail": "body.limits.cpu_time_ms: must be between 50 and 20000",
        "instance": "/v1/executions",
        "errors": [
            {"loc": ["body", "limits", "cpu_time_ms"], "msg": "must be between 50 and 20000", "type": "out_of_range"}
        ],
    },
    429: {
        "type": PROBLEM_TYPE_BASE + "too-many-requests",
        "title": "Too many requests",
        "status": 429,
        "detail": "Rate limit exceeded; retry after 12 seconds.",
        "instance": "/v1/executions",
    },
    503: {
        "type": PROBLEM_TYPE_BASE + "service-unavailable",
        "title": "Service unavailable",
        "status": 503,
        "detail": "A backing service is temporarily unavailable; retry shortly.",
        "instance": "/v1/executions",
    },
}

PROBLEM_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: invalid JSON, invalid UTF-8, or JSON nested too deeply",
    401: "Missing or invalid credentials (or anonymous access is disabled)",
    403: "Authenticated, but not allowed: a missing API key scope, or a failed CSRF check",
    404: "Not found (including resources the caller may not see)",
    409: "Conflict with the current state of the resource",
    413: "Request body, source or stdin too large",
    415: "The request body is not application/json",
    422: "Validation error: `errors` lists each offending field",
    429: "Rate limit or quota exceeded: see `Retry-After` and the `RateLimit` headers",
    503: "A backing service is unavailable or the queue is full: see `Retry-After`",
}


def documented_problem(description: str) -> dict[str, Any]:
    """A FastAPI ``responses=`` entry for a problem+json error with a route-specific description."""
    return {"model": Problem, "description": description, "content": {PROBLEM_MEDIA_TYPE: {}}}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """FastAPI ``responses=`` entries documenting problem+json errors, each with an example.

    The gateway's OpenAPI adds the usual ones to every operation by itself; name a status here to
    document one it cannot infer (e.g. 409), or to give it a route-specific description."""
    return {
        status: {
            "model": Problem,
            "description": PROBLEM_DESCRIPTIONS.get(status, _STATUS_SLUGS.get(status, ("", "Error"))[1]),
            "content": {
                PROBLEM_MEDIA_TYPE: {"example": PROBLEM_EXAMPLES[status]} if status in PROBLEM_EXAMPLES else {}
            },
        }
        for status in statuses
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = problem_responses(400, 404, 413, 422)
