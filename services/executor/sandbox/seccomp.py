"""The sandbox seccomp profile: the engine's default profile, tightened.

Docker 20.10's default profile (what every container gets) still allows io_uring, a large
kernel attack surface that Docker's default dropped in v25, and AF_VSOCK sockets, which on VM
hosts reach the hypervisor. Sandboxes get the engine's own default minus both; everything else
is left exactly as the engine ships it.

``python -m services.executor.sandbox.seccomp ENGINE_DEFAULT.json OUT.json``
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

IO_URING = frozenset({"io_uring_setup", "io_uring_enter", "io_uring_register"})
AF_VSOCK = 40


def harden(profile: dict[str, Any]) -> dict[str, Any]:
    hardened = copy.deepcopy(profile)
    if hardened.get("defaultAction") == "SCMP_ACT_ALLOW":
        raise ValueError("refusing to harden an allow-by-default profile")
    rules: list[dict[str, Any]] = []
    for rule in hardened["syscalls"]:
        names = [name for name in rule["names"] if name not in IO_URING]
        if rule["action"] == "SCMP_ACT_ALLOW" and not rule.get("args") and "socket" in names:
            names.remove("socket")
        if names:
            rules.append({**rule, "names": names})
    rules.append(
        {
            "names": ["socket"],
            "action": "SCMP_ACT_ALLOW",
            "args": [{"index": 0, "value": AF_VSOCK, "valueTwo": 0, "op": "SCMP_CMP_NE"}],
        }
    )
    hardened["syscalls"] = rules
    return hardened


def load_seccomp_profile(setting: str) -> str | None:
    """The profile JSON for the Engine API, or None for the engine's default."""
    if setting == "engine-default":
        return None
    path = Path(setting)
    if not path.is_file():
        raise SystemExit(f"seccomp profile {path} is missing: run deploy/scripts/build-seccomp.sh (make images)")
    return json.dumps(json.loads(path.read_text()), separators=(",", ":"))


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(harden(json.loads(source.read_text())), separators=(",", ":")))


if __name__ == "__main__":
    main()
