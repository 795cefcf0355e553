"""The Judge0 and Piston shapes are outside the OpenAPI document schemathesis fuzzes
(tests/product/test_schemathesis.py), so their request readers are fuzzed here: whatever JSON
arrives, a submission is built or refused with a 4xx, never an unexpected exception (a 500)."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.gateway.compat.judge0 import service as judge0
from services.gateway.compat.judge0.schemas import SubmissionIn
from services.gateway.compat.piston.runtimes import catalogue
from services.gateway.compat.piston.service import read_job
from services.gateway.executions.service import build_execution
from shared.problems import ProblemError
from tests.conftest import gateway_settings

SETTINGS = gateway_settings()
RUNTIMES = catalogue({})

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
base64_text = st.binary(max_size=60).map(lambda data: base64.b64encode(data).decode())
plausible = {
    "language_id": st.sampled_from([71, 50, 54, 62, 63, 1000, 70, 0, -1]) | json_values,
    "source_code": st.sampled_from(["print(1)", "int main(){}", ""]) | base64_text | json_values,
    "stdin": base64_text | json_values,
    "expected_output": base64_text | json_values,
    "compiler_options": st.sampled_from(["-O2", "-O2 '-Dx", "-fplugin=x", "a\x00b"]) | json_values,
    "command_line_arguments": st.text(max_size=30) | json_values,
    "additional_files": base64_text | json_values,
    "callback_url": st.sampled_from(["http://127.0.0.1/x", "ftp://x", "https://example.com/h"]) | json_values,
}
judge0_bodies = (
    st.fixed_dictionaries(
        {},
        optional={
            **plausible,
            **{name: json_values for name in SubmissionIn.model_fields if name not in plausible},
        },
    )
    | json_values
)
files = st.lists(
    st.fixed_dictionaries(
        {"content": st.sampled_from(["print(1)", "x"]) | json_values},
        optional={
            "name": st.text(max_size=20) | json_values,
            "encoding": st.sampled_from(["utf8", "base64", "hex", "x"]),
        },
    ),
    max_size=3,
)
piston_bodies = (
    st.fixed_dictionaries(
        {},
        optional={
            "language": st.sampled_from(["python", "py", "c++", "java", "nope"]) | json_values,
            "version": st.sampled_from(["*", "3.x", "^3", "1.2.3", ">=", "x.y"]) | json_values,
            "files": files | json_values,
            "stdin": json_values,
            "args": st.lists(st.text(max_size=10), max_size=3) | json_values,
            **{
                f"{stage}_{limit}": st.integers(-5, 10**12) | json_values
                for stage in ("run", "compile")
                for limit in ("timeout", "cpu_time", "memory_limit")
            },
        },
    )
    | json_values
)


def _refused_cleanly(error: Exception) -> None:
    if isinstance(error, judge0.Judge0Invalid):
        assert error.errors
        return
    assert isinstance(error, ProblemError), repr(error)
    assert 400 <= error.status < 500


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=judge0_bodies, encoded=st.booleans())
def test_judge0_submissions_are_built_or_refused_with_a_4xx(body: Any, encoded: bool) -> None:
    try:
        judge0.build(judge0.parse(body), encoded=encoded, settings=SETTINGS, versions={}, user_id=None)
    except Exception as error:
        _refused_cleanly(error)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=piston_bodies, interactive=st.booleans())
def test_piston_jobs_are_built_or_refused_with_a_4xx(body: Any, interactive: bool) -> None:
    try:
        job = read_job(body, RUNTIMES, SETTINGS, None, interactive=interactive)
        build_execution(job.payload, SETTINGS, {}, interactive=interactive)
    except Exception as error:
        _refused_cleanly(error)
