"""The body of a webhook: the finished execution as the API shows it."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

from shared.diagnostics import of_phase
from shared.executions import ExecutionRecord, Verdict
from shared.signals import signal_name


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _measured(values: dict[str, Any]) -> dict[str, Any]:
    """A phase's or test case's stored result as the API shows it (text encoding)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key.endswith("_us"):
            out[key.removesuffix("_us") + "_ms"] = value / 1000 if value is not None else None
        elif isinstance(value, bytes):
            out[key] = _text(value)
        else:
            out[key] = value
        if key == "signal":
            out["signal_name"] = signal_name(value) if value else None
    out["encoding"] = "text"
    return out


# Stored, but not part of the API's view of a run.
_UNSHOWN = {"output_order"}


def webhook_payload(record: ExecutionRecord) -> dict[str, Any]:
    """The execution as GET /v1/executions/{id} shows it (text encoding), without its webhook state."""
    data = record.model_dump(exclude={"phases", "tests", "user_id", "webhook", "test_count", "compare", "files"})
    phases = {
        phase.phase.value: {
            **_measured(phase.model_dump(exclude={"phase", *_UNSHOWN})),
            "diagnostics": [dataclasses.asdict(found) for found in of_phase(phase)],
        }
        for phase in record.phases
    }
    data["compile"] = phases.get("compile")
    data["run"] = phases.get("run")
    data["tests"] = [_measured(test.model_dump(exclude=_UNSHOWN)) for test in record.tests]
    data["judge"] = None
    if record.test_count:
        passed = sum(test.verdict is Verdict.accepted for test in record.tests)
        data["judge"] = {
            "verdict": record.verdict,
            "passed": passed,
            "total": record.test_count,
            "compare": record.compare or "exact",
        }
    data["files"] = [
        {"name": file.name, "size": file.size, "content": base64.b64encode(file.content).decode()}
        for file in record.files
    ]
    data["links"] = {"self": f"/v1/executions/{record.id}", "stream": f"/v1/executions/{record.id}/stream"}
    return data
