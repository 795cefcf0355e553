"""The gateway's OpenAPI document, completed app-wide so every router gets it without asking:
operation ids that read well as client method names, servers, security schemes, and the
problem+json errors each operation can answer (with examples), inferred from its parameters,
body and dependencies.

``python -m services.gateway.openapi`` prints the document (no services needed)."""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from services.gateway.auth.principal import resolve_principal
from shared.problems import PROBLEM_DESCRIPTIONS, PROBLEM_EXAMPLES, PROBLEM_MEDIA_TYPE, FieldError, Problem

REF = "#/components/schemas/{model}"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

TAGS: dict[str, str] = {
    "executions": "Submit code, read results; output streams over WebSocket (see the operation descriptions).",
    "languages": "The language catalogue and the versions executors report.",
    "snippets": "Saved, versioned, shareable code.",
    "history": "Past executions, filtered and paginated.",
    "analytics": "Usage statistics computed in PostgreSQL.",
    "limits": "Rate limits and quotas, and the caller's current usage.",
    "batches": "Several executions submitted and read together.",
    "analyses": "Lint and format files (in sandboxes), cached: for editors.",
    "webhooks": "The signing secret of completion callbacks (`callback_url` on an execution).",
    "health": "Liveness and readiness probes.",
}

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "accessToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An ES256 access token from the auth service (`POST /auth/v1/phone/verify`, OAuth sign-in).",
    },
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "crh_<prefix>_<secret>",
        "description": "A scoped API key (`POST /auth/v1/api-keys`), sent as a bearer token.",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "crh_access",
        "description": "Browser session; state-changing requests must echo the `crh_csrf` cookie in `X-CSRF-Token`.",
    },
}
# Every authenticated route also serves anonymous callers (under stricter limits), hence `{}`.
# Declared document-wide, and only routes that read no credentials opt out (`security: []`):
# openapi-python-client demands an AuthenticatedClient for operations declaring their own.
SECURITY: list[dict[str, list[str]]] = [{}, {"accessToken": []}, {"apiKey": []}, {"sessionCookie": []}]

RETRY_AFTER = {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "minimum": 0}}
RATE_LIMIT_HEADERS = {
    "Retry-After": RETRY_AFTER,
    "RateLimit": {
        "description": 'Remaining quota of the policy that was exceeded, e.g. `"executions";r=0;t=12`.',
        "schema": {"type": "string"},
    },
    "RateLimit-Policy": {
        "description": 'The policy, e.g. `"executions";q=60;w=60`.',
        "schema": {"type": "string"},
    },
}


def operation_id(route: APIRoute) -> str:
    """The endpoint function's name, e.g. `create_execution`: generated clients get
    `create_execution(...)` rather than `create_execution_v1_executions_post(...)`.
    Names must be unique across the app (tests/product/test_openapi_clients.py checks)."""
    return route.name


def install_openapi(app: FastAPI, public_url: str = "/") -> None:
    """Replace ``app.openapi`` with one that completes FastAPI's document (regenerated when routes change)."""
    generate = app.openapi
    cache: dict[str, dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        base = generate()
        if cache.get("base") is not base:
            cache["base"] = base
            cache["document"] = complete(app, copy.deepcopy(base), public_url)
        return cache["document"]

    app.openapi = openapi  # type: ignore[method-assign]


def complete(app: FastAPI, document: dict[str, Any], public_url: str) -> dict[str, Any]:
    document["servers"] = [{"url": public_url, "description": "This gateway"}]
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(_problem_schemas())
    components["securitySchemes"] = SECURITY_SCHEMES
    document["security"] = SECURITY
    dependants = _dependants(app)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            dependant = dependants.get((path, method))
            authenticated = dependant is not None and _depends_on(dependant, resolve_principal)
            if authenticated:
                operation.pop("security", None)
            else:
                operation["security"] = []
            _document_problems(path, operation, authenticated)
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in schemas and f'"#/components/schemas/{unused}"' not in json.dumps(document["paths"]):
            del schemas[unused]
    used_tags = sorted(
        {tag for item in document.get("paths", {}).values() for op in item.values() for tag in op.get("tags", [])}
    )
    document["tags"] = [{"name": tag, **({"description": TAGS[tag]} if tag in TAGS else {})} for tag in used_tags]
    return document


def _dependants(app: FastAPI) -> dict[tuple[str, str], Dependant]:
    """Each HTTP operation's dependency tree, by (path, method), through included routers."""
    found: dict[tuple[str, str], Dependant] = {}
    for context in routing.iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            for method in route.methods or ():
                found[(str(context.path_format), method.lower())] = route.dependant
    return found


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(dep.call is call or _depends_on(dep, call) for dep in dependant.dependencies)


def _problem_schemas() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template=REF)
    definitions: dict[str, Any] = schema.pop("$defs", {})
    definitions.setdefault(FieldError.__name__, FieldError.model_json_schema(ref_template=REF))
    return {Problem.__name__: schema, **definitions}


def _expected_errors(path: str, operation: dict[str, Any], authenticated: bool) -> set[int]:
    statuses = {503}
    parameters = operation.get("parameters", [])
    if authenticated:
        statuses |= {401, 403}
    if authenticated or path.startswith("/v1/"):
        statuses.add(429)
    if any(p.get("in") == "path" for p in parameters):
        statuses |= {404, 422}
    if parameters:
        statuses.add(422)
    if "requestBody" in operation:
        statuses |= {400, 413, 415, 422}
    if any(p.get("in") == "header" and p.get("name", "").lower() == "idempotency-key" for p in parameters):
        statuses.add(409)
    return statuses


def _document_problems(path: str, operation: dict[str, Any], authenticated: bool) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in _expected_errors(path, operation, authenticated):
        responses.setdefault(str(status), {})
    for code, response in responses.items():
        if not code.isdigit() or int(code) < 400:
            continue
        status = int(code)
        declared = response.get("content", {}).get(PROBLEM_MEDIA_TYPE, {})
        media: dict[str, Any] = {"schema": {"$ref": REF.format(model=Problem.__name__)}}
        example = declared.get("example", PROBLEM_EXAMPLES.get(status))
        if example is not None:
            media["example"] = example
        response["content"] = {PROBLEM_MEDIA_TYPE: media}
        if not response.get("description") or response["description"] == "Validation Error":
            response["description"] = PROBLEM_DESCRIPTIONS.get(status, "Error")
        if status == 429:
            response["headers"] = {**RATE_LIMIT_HEADERS, **response.get("headers", {})}
        elif status == 503:
            response["headers"] = {"Retry-After": RETRY_AFTER, **response.get("headers", {})}
    operation["responses"] = dict(sorted(responses.items(), key=lambda item: item[0]))


def main() -> None:
    from services.gateway.app import create_app

    json.dump(create_app().openapi(), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
