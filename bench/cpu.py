"""Where a benchmark's machine CPU went: the platform's services, the Docker engine, the
sandboxes (their programs, and the agents and cells around them), PostgreSQL and Redis.

Processes are grouped by what they run; CPU of processes that exit during the measurement is
caught through the cgroup of the Docker containers (for sandboxes) and by sampling the groups'
processes before and after (a service process that restarts mid-way would be missed)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
DOCKER_CPUACCT = (Path("/sys/fs/cgroup/cpuacct/docker/cpuacct.usage"), Path("/sys/fs/cgroup/system.slice"))

GROUPS: dict[str, Callable[[str, str], bool]] = {
    "gateway": lambda comm, cmd: "services.gateway" in cmd,
    "executor": lambda comm, cmd: "services.executor" in cmd,
    "auth": lambda comm, cmd: "services.auth" in cmd,
    "postgres": lambda comm, cmd: comm in ("postgres", "postmaster"),
    "redis": lambda comm, cmd: comm == "redis-server",
    "engine": lambda comm, cmd: (
        comm in ("dockerd", "containerd", "runc", "docker-init") or comm.startswith(("containerd-shim", "runc:"))
    ),
    "nginx": lambda comm, cmd: comm == "nginx",
}


def _processes() -> dict[int, tuple[str, str, float]]:
    """pid -> (comm, cmdline, CPU seconds) for every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        # utime and stime only: reaped children are counted where they ran (a shim's reaped
        # container is in the sandboxes' cgroup already).
        cpu = sum(int(v) for v in fields[11:13]) / TICK
        found[int(entry.name)] = (comm, cmd, cpu)
    return found


def _sandbox_cgroups_cpu() -> float:
    """All Docker containers' CPU so far (cgroup v1 cpuacct keeps what removed containers used)."""
    path = DOCKER_CPUACCT[0]
    try:
        return int(path.read_text()) / 1e9
    except OSError:
        return 0.0


def _machine_cpu() -> float:
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / TICK


@dataclass
class Sample:
    by_pid: dict[int, tuple[str, str, float]]
    sandboxes: float
    machine: float


def sample() -> Sample:
    return Sample(_processes(), _sandbox_cgroups_cpu(), _machine_cpu())


def split(before: Sample, after: Sample) -> dict[str, float]:
    """CPU seconds per group between two samples; 'sandboxes' is everything inside containers,
    'other' what no group claims (the benchmark's own client, the kernel's workers...)."""
    groups: dict[str, float] = {}
    for pid, (comm, cmd, cpu) in after.by_pid.items():
        start = before.by_pid.get(pid)
        used = cpu - (start[2] if start and start[0] == comm else 0.0)
        for name, matches in GROUPS.items():
            if matches(comm, cmd):
                groups[name] = groups.get(name, 0.0) + used
                break
    groups["sandboxes"] = after.sandboxes - before.sandboxes
    total = after.machine - before.machine
    groups["other"] = total - sum(groups.values())
    groups["machine"] = total
    return dict(groups)
