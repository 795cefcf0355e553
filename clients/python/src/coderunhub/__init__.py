"""CodeRunHub's Python SDK: ``AsyncClient`` and its blocking twin ``Client``.

from coderunhub import Client

with Client("http://127.0.0.1:8000") as crh:
    result = crh.run("python", "print('hello')")
    print(result.run.stdout)
"""

from coderunhub._http import RetryPolicy, __version__
from coderunhub._sockets import AsyncInteractiveSession
from coderunhub.client import AsyncClient
from coderunhub.errors import (
    AuthenticationError,
    BadRequestError,
    CodeRunHubError,
    ConflictError,
    ContentTooLargeError,
    NotFoundError,
    PermissionDeniedError,
    ProblemError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    StreamError,
    UnsupportedMediaTypeError,
    ValidationError,
)
from coderunhub.events import (
    CreatedEvent,
    ErrorEvent,
    Event,
    LiveOutputLimitEvent,
    OutputEvent,
    ResultEvent,
    StatusEvent,
    TestEvent,
    UnknownEvent,
)
from coderunhub.models import ExecutionCreate, ExecutionOut, FileIn, JudgeCaseIn, LimitsIn, Verdict
from coderunhub.sync import Client, InteractiveSession

__all__ = [
    "AsyncClient",
    "AsyncInteractiveSession",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "CodeRunHubError",
    "ConflictError",
    "ContentTooLargeError",
    "CreatedEvent",
    "ErrorEvent",
    "Event",
    "ExecutionCreate",
    "ExecutionOut",
    "FileIn",
    "InteractiveSession",
    "JudgeCaseIn",
    "LimitsIn",
    "LiveOutputLimitEvent",
    "NotFoundError",
    "OutputEvent",
    "PermissionDeniedError",
    "ProblemError",
    "RateLimitError",
    "ResultEvent",
    "RetryPolicy",
    "ServerError",
    "ServiceUnavailableError",
    "StatusEvent",
    "StreamError",
    "TestEvent",
    "UnknownEvent",
    "UnsupportedMediaTypeError",
    "ValidationError",
    "Verdict",
    "__version__",
]
