"""Drives the published Judge0 Python SDK (judge0 on PyPI, pinned in the Makefile), unmodified,
against CodeRunHub's /judge0 (tests/compat/test_judge0_client.py runs it in the SDK's own venv).

Usage: check.py <endpoint> <api key or "-">; prints one JSON object of what the SDK saw."""

from __future__ import annotations

import json
import sys

import judge0


def seen(submission: judge0.Submission) -> dict[str, object]:
    return {
        "token": str(submission.token),
        "status": int(submission.status) if submission.status is not None else None,
        "stdout": submission.stdout,
        "stderr": submission.stderr,
        "compile_output": submission.compile_output,
        "exit_code": submission.exit_code,
        "time": submission.time,
        "memory": submission.memory,
    }


def main(endpoint: str, key: str) -> None:
    headers = {} if key == "-" else {"X-Auth-Token": key}
    client = judge0.Client(endpoint, headers=headers, retry_strategy=judge0.RegularPeriodRetry(0.1))
    out: dict[str, object] = {"languages": len(client.languages), "version": client.version}
    out["stdin"] = seen(
        judge0.run(client=client, source_code="print('hi ' + input())", language=judge0.PYTHON, stdin="sdk")
    )
    out["compile_error"] = seen(
        judge0.run(client=client, source_code="int main(void) { return x; }", language=judge0.C)
    )
    out["runtime_error"] = seen(judge0.run(client=client, source_code="raise SystemExit(4)", language=judge0.PYTHON))
    batch = judge0.run(
        client=client,
        submissions=[
            judge0.Submission(source_code="print(6 * 7)", language=judge0.PYTHON),
            judge0.Submission(source_code="console.log('js')", language=judge0.JAVASCRIPT),
            judge0.Submission(source_code='#include <iostream>\nint main(){std::cout<<"cpp\\n";}', language=judge0.CPP),
        ],
    )
    out["batch"] = [seen(submission) for submission in batch]
    judged = judge0.run(
        client=client,
        source_code="print(int(input()) * 2)",
        language=judge0.PYTHON,
        test_cases=[("2", "4"), ("5", "11")],
    )
    out["judged"] = [seen(submission) for submission in judged]
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
