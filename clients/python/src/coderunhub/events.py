"""Frames of the WebSocket stream and of interactive sessions (docs/api.md: WebSocket stream).

OpenAPI does not describe WebSocket frames, so these are written by hand; unknown frame types
(from a newer server) arrive as UnknownEvent instead of failing the stream."""

from __future__ import annotations

import base64
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict

from coderunhub import errors
from coderunhub.models import ExecutionOut, Verdict


class _Frame(BaseModel):
    model_config = ConfigDict(extra="allow")


class StatusEvent(_Frame):
    """The execution, a phase, or (judging) a test case's run started."""

    type: Literal["status"] = "status"
    seq: int
    status: str
    phase: str | None = None
    test: int | None = None


class OutputEvent(_Frame):
    """A chunk of the program's (or compiler's) stdout or stderr."""

    type: Literal["stdout", "stderr"]
    seq: int
    phase: str | None = None
    encoding: Literal["text", "base64"] = "text"
    data: str
    test: int | None = None

    @property
    def bytes(self) -> bytes:
        if self.encoding == "base64":
            return base64.b64decode(self.data)
        return self.data.encode()


class TestEvent(_Frame):
    """Judging: one test case was judged."""

    __test__ = False  # not a pytest test class, whatever its name
    type: Literal["test"] = "test"
    seq: int
    phase: str | None = None
    test: int
    verdict: Verdict


class LiveOutputLimitEvent(_Frame):
    """Live output stopped here; the execution's GET still has all of it."""

    type: Literal["live_output_limit"] = "live_output_limit"
    seq: int
    phase: str | None = None
    message: str = ""
    test: int | None = None


class ResultEvent(_Frame):
    """The final frame: the finished execution (without stdout/stderr, which came as OutputEvents)."""

    type: Literal["result"] = "result"
    seq: int
    execution: ExecutionOut


class CreatedEvent(_Frame):
    """Interactive sessions: the execution was persisted and queued."""

    type: Literal["created"] = "created"
    execution: ExecutionOut


class ErrorEvent(_Frame):
    """Interactive sessions: a refused start, a bad frame (400) or input over its budget (413)."""

    type: Literal["error"] = "error"
    problem: dict[str, Any]

    @property
    def error(self) -> errors.ProblemError:
        return errors.problem(int(self.problem.get("status") or 400), self.problem)


class UnknownEvent(_Frame):
    """A frame type this SDK release does not know."""

    type: str
    seq: int | None = None


Event: TypeAlias = (
    StatusEvent
    | OutputEvent
    | TestEvent
    | LiveOutputLimitEvent
    | ResultEvent
    | CreatedEvent
    | ErrorEvent
    | UnknownEvent
)

_BY_TYPE: dict[str, type[_Frame]] = {
    "status": StatusEvent,
    "stdout": OutputEvent,
    "stderr": OutputEvent,
    "test": TestEvent,
    "live_output_limit": LiveOutputLimitEvent,
    "result": ResultEvent,
    "created": CreatedEvent,
    "error": ErrorEvent,
}


def parse_event(frame: dict[str, Any]) -> Event:
    model = _BY_TYPE.get(str(frame.get("type")), UnknownEvent)
    event: Event = model.model_validate(frame)  # type: ignore[assignment]
    return event
