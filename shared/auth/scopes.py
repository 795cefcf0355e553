"""What a credential may do. User sessions hold every scope; API keys hold the ones chosen."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    executions_read = "executions:read"
    executions_write = "executions:write"
    snippets_read = "snippets:read"
    snippets_write = "snippets:write"
    account_read = "account:read"


ALL_SCOPES: frozenset[str] = frozenset(scope.value for scope in Scope)


class Role(StrEnum):
    user = "user"
    admin = "admin"
