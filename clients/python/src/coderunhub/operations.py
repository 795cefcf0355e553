"""Which SDK method serves each operation of the gateway's OpenAPI document.

tests/sdk/test_openapi_coverage.py fails when the live document has a /v1 operation listed in
neither table (the API grew and the SDK did not), or when a method named here does not exist on
both AsyncClient and Client."""

from __future__ import annotations

#: operationId -> the method (a dotted path from the client) that calls it.
COVERED: dict[str, str] = {
    "create_execution": "create_execution",
    "list_executions": "list_executions",
    "get_execution": "get_execution",
    "get_submission": "get_submission",
    "get_output_file": "get_output_file",
    "cancel_execution": "cancel",
    "list_languages": "languages",
    "get_limits": "limits",
    "get_config": "config",
    "get_webhook_secret": "webhooks.secret",
    "rotate_webhook_secret": "webhooks.rotate_secret",
    "create_snippet": "snippets.create",
    "list_my_snippets": "snippets.list",
    "list_public_snippets": "snippets.list_public",
    "get_shared_snippet": "snippets.get_shared",
    "fork_shared_snippet": "snippets.fork_shared",
    "get_snippet": "snippets.get",
    "update_snippet": "snippets.update",
    "delete_snippet": "snippets.delete",
    "list_revisions": "snippets.revisions",
    "get_revision": "snippets.revision",
    "fork_snippet": "snippets.fork",
    "run_snippet": "snippets.run",
    "create_stream_ticket": "create_stream_ticket",
    "create_batch": "batches.create",
    "get_batch": "batches.get",
    "create_analysis": "analyses.create",
    "get_analysis": "analyses.get",
    "list_analysis_tools": "analyses.tools",
    "start_collab_session": "collab.start",
    "get_collab_session": "collab.get",
    "update_collab_session": "collab.update",
    "end_collab_session": "collab.end",
    "create_collab_invite": "collab.create_invite",
    "list_collab_invites": "collab.invites",
    "revoke_collab_invite": "collab.revoke_invite",
    "put_collab_participant": "collab.name_participant",
    "start_shared_run": "collab.run",
    "type_shared_run_input": "collab.type_input",
    "save_collab_session": "collab.save",
    "current_shared_run": "collab.current_run",
    "cancel_shared_run": "collab.cancel_run",
    "revoke_collab_participant": "collab.revoke_participant",
    "join_collab_session": "collab.join",
    "get_collab_rtc": "collab.rtc",
}

#: operationId -> why the SDK leaves it out.
NOT_COVERED: dict[str, str] = {
    "get_language_usage": "analytics: dashboards read them; call them with httpx if needed",
    "get_execution_timeline": "analytics: dashboards read them; call them with httpx if needed",
    "get_verdict_distribution": "analytics: dashboards read them; call them with httpx if needed",
    "get_run_stats": "analytics: dashboards read them; call them with httpx if needed",
    "get_code_metrics_timeline": "analytics: dashboards read them; call them with httpx if needed",
}
