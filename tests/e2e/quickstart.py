"""Running docs/quickstart.md as written: its environment block is replaced by the suite under
test's values, then every block marked ``<!-- quickstart: run -->`` runs in one bash session, in
order, and the ``text`` block after each must be what it printed."""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

QUICKSTART = ROOT / "docs/quickstart.md"
ENVIRONMENT = "<!-- quickstart: environment -->"
RUN = "<!-- quickstart: run -->"
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)
# Printed between blocks, so each block's output can be told apart.
MARK = "=== quickstart block {} done ==="


@dataclass(frozen=True)
class Step:
    script: str
    expected: str | None


def _fence_after(text: str, at: int) -> tuple[str, str, int]:
    match = FENCE.search(text, at)
    assert match is not None, f"no code block after offset {at}"
    return match.group(1), match.group(2), match.end()


def parse(text: str) -> tuple[str, list[Step]]:
    """The environment block and the steps, each with the output the page shows for it (the
    ``text`` block right after it, if any)."""
    kind, environment, _ = _fence_after(text, text.index(ENVIRONMENT))
    assert kind == "sh"
    steps: list[Step] = []
    for marker in re.finditer(re.escape(RUN), text):
        kind, script, end = _fence_after(text, marker.end())
        assert kind == "sh", f"a run block must be sh, not {kind!r}"
        following = FENCE.match(text, end + len(text[end:]) - len(text[end:].lstrip()))
        expected = following.group(2) if following and following.group(1) == "text" else None
        steps.append(Step(script, expected))
    return environment, steps


def exported_names(environment: str) -> set[str]:
    names: set[str] = set()
    for line in environment.splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["export"]:
            names.update(word.split("=", 1)[0] for word in words[1:])
    return names


def run_quickstart(env: dict[str, str], workdir: Path) -> list[str]:
    """Run every step; returns each step's output (asserting it matches the page's)."""
    environment, steps = parse(QUICKSTART.read_text())
    # The page's environment names exactly what the suite under test provides.
    assert exported_names(environment) == {"CRH", "CRH_LOG"}
    assert {"CRH", "CRH_LOG"} <= env.keys()
    # As pasted into an interactive shell: no -e (a step shows a program's own exit code).
    script = ["set -uo pipefail", f"cd {shlex.quote(str(ROOT))}"]
    for number, step in enumerate(steps):
        # Files a step writes (hello.py) go to a scratch directory, not the checkout.
        script += [f"pushd {shlex.quote(str(workdir))} > /dev/null", step.script.replace(".venv/", f"{ROOT}/.venv/")]
        script += ["popd > /dev/null", f"echo {shlex.quote(MARK.format(number))}"]
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"the quickstart failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    outputs: list[str] = []
    rest = done.stdout
    for number, step in enumerate(steps):
        printed, _, rest = rest.partition(MARK.format(number) + "\n")
        outputs.append(printed)
        if step.expected is not None:
            assert printed == step.expected, f"step {number + 1} printed {printed!r}, the page shows {step.expected!r}"
    return outputs
