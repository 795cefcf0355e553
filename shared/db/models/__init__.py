from shared.db.models.api_key import ApiKey
from shared.db.models.code_metric import CodeMetric
from shared.db.models.collab_document import CollabDocument
from shared.db.models.collab_invite import CollabInvite
from shared.db.models.collab_participant import CollabParticipant
from shared.db.models.collab_session import CollabSession
from shared.db.models.execution import Execution
from shared.db.models.execution_file import ExecutionFile
from shared.db.models.execution_phase import ExecutionPhase
from shared.db.models.execution_test_result import ExecutionTestResult
from shared.db.models.identity import Identity
from shared.db.models.refresh_token import RefreshToken
from shared.db.models.signing_key import SigningKey
from shared.db.models.snippet import Snippet
from shared.db.models.snippet_revision import SnippetRevision
from shared.db.models.user import User
from shared.db.models.webhook_secret import WebhookSecret

__all__ = [
    "ApiKey",
    "CodeMetric",
    "CollabDocument",
    "CollabInvite",
    "CollabParticipant",
    "CollabSession",
    "Execution",
    "ExecutionFile",
    "ExecutionPhase",
    "ExecutionTestResult",
    "Identity",
    "RefreshToken",
    "SigningKey",
    "Snippet",
    "SnippetRevision",
    "User",
    "WebhookSecret",
]
