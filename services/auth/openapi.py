"""What the auth service's operations document besides success: every status a route can answer,
so clients (and the schema fuzzing in tests/product) can rely on the document."""

from __future__ import annotations

from typing import Any

from shared.problems import PROBLEM_MEDIA_TYPE, PROBLEM_RESPONSES, documented_problem, problem_responses

Responses = dict[int | str, dict[str, Any]]

_CSRF = "A cookie session's change without the crh_csrf cookie's value in X-CSRF-Token"

SIGNED_IN: Responses = {
    **PROBLEM_RESPONSES,
    401: documented_problem("Sign in first: no valid access token (bearer or session cookie), or signed out"),
}
SIGNED_IN_CHANGE: Responses = {**SIGNED_IN, 403: documented_problem(_CSRF)}
ADMIN_CHANGE: Responses = {**SIGNED_IN, 403: documented_problem(f"Not an administrator; or: {_CSRF}")}
CREATE_KEY: Responses = {**SIGNED_IN_CHANGE, **problem_responses(409)}
PHONE_START: Responses = {**PROBLEM_RESPONSES, **problem_responses(429, 503)}
PHONE_VERIFY: Responses = {**PHONE_START, 401: documented_problem("The code is wrong or has expired")}
REFRESH: Responses = {
    **PROBLEM_RESPONSES,
    401: documented_problem("The refresh token is missing, unknown, expired, revoked or reused"),
    403: documented_problem(_CSRF),
}


def _or_page(responses: Responses) -> Responses:
    """A browser navigation (Accept ranking text/html first) gets its errors as an HTML page."""
    page = {"text/html": {"schema": {"type": "string"}}}
    return {
        status: {**entry, "content": {**entry.get("content", {PROBLEM_MEDIA_TYPE: {}}), **page}}
        if int(status) >= 400
        else entry
        for status, entry in responses.items()
    }


OAUTH_LOGIN: Responses = _or_page(
    {
        302: {"description": "To the provider's sign-in page"},
        400: documented_problem("`redirect_to` is not an allowed destination"),
        404: documented_problem("No such sign-in provider (or it is not configured)"),
        422: PROBLEM_RESPONSES[422],
    }
)
OAUTH_CALLBACK: Responses = _or_page(
    {
        303: {"description": "Signed in: back to `redirect_to`, with the session cookies set"},
        400: documented_problem("The sign-in was refused: consent denied, or state, code, PKCE or ID token not valid"),
        404: documented_problem("No such sign-in provider (or it is not configured)"),
        422: PROBLEM_RESPONSES[422],
        502: documented_problem("The provider could not be reached or answered with an error"),
    }
)
