"""arq's internals that WakeableWorker relies on (services/executor/arq_compat.py) are still there,
with the signatures used: an arq upgrade that changes them fails here, not in production."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import arq
from arq import Worker, func
from arq.connections import RedisSettings, create_pool

from services.executor import arq_compat
from services.executor.worker import WakeableWorker

ROOT = Path(__file__).resolve().parents[2]


async def _noop(ctx: dict[str, object]) -> None:
    """A job function, so that a Worker can be constructed."""


def test_the_installed_arq_is_the_version_checked() -> None:
    assert arq.VERSION == arq_compat.ARQ_VERSION_CHECKED, (
        f"arq {arq.VERSION} is installed; services/executor/arq_compat.py was checked against "
        f"{arq_compat.ARQ_VERSION_CHECKED}: re-read arq's Worker (main, _poll_iteration, start_jobs, "
        "_release_sem_dec_counter_on_complete) and update ARQ_VERSION_CHECKED"
    )


def test_worker_methods_keep_their_signatures() -> None:
    for name, parameters in arq_compat.WORKER_METHODS.items():
        method = inspect.getattr_static(Worker, name, None)
        assert method is not None, f"arq.Worker.{name} is gone"
        assert inspect.isfunction(method), f"arq.Worker.{name} is no longer a plain method"
        assert inspect.iscoroutinefunction(method) == (name != "_release_sem_dec_counter_on_complete"), name
        found = tuple(inspect.signature(method).parameters)
        assert found == ("self", *parameters), f"arq.Worker.{name}{found} changed"
    assert isinstance(inspect.getattr_static(Worker, "pool"), property)


def test_arq_still_calls_what_is_overridden() -> None:
    # The wake-up loop replaces main (run through async_run), and hears of free slots from the
    # callback start_jobs attaches to every job's task.
    assert "self.main()" in inspect.getsource(Worker.async_run)
    assert "_release_sem_dec_counter_on_complete" in inspect.getsource(Worker.start_jobs)
    assert "create_pool(" in inspect.getsource(Worker.main)


def test_create_pool_takes_the_keywords_used() -> None:
    parameters = inspect.signature(create_pool).parameters
    for keyword in arq_compat.CREATE_POOL_KEYWORDS:
        assert keyword in parameters, f"create_pool lost {keyword}"
        assert parameters[keyword].kind is inspect.Parameter.KEYWORD_ONLY, keyword


async def test_a_worker_has_the_attributes_used() -> None:
    worker = WakeableWorker(
        functions=[func(_noop, name="noop")],
        redis_settings=RedisSettings(),
        handle_signals=False,
        max_jobs=3,
        poll_delay=0.25,
        wake_redis_url="redis://127.0.0.1:6379/15",
    )
    for name in arq_compat.WORKER_ATTRIBUTES:
        assert hasattr(worker, name), f"arq.Worker no longer sets {name}"
    assert worker.poll_interval_s == 0.25
    assert worker.taking_jobs
    assert not worker.slots_full
    worker.job_counter = 3
    assert worker.slots_full


def _attributes_used(path: Path) -> set[str]:
    """Attributes read or set on self, or called on super() (what a Worker subclass reaches)."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            receiver = node.value
            on_self = isinstance(receiver, ast.Name) and receiver.id == "self"
            on_super = isinstance(receiver, ast.Call) and getattr(receiver.func, "id", None) == "super"
            if on_self or on_super:
                found.add(node.attr)
    return found


def test_arq_internals_are_used_only_in_arq_compat() -> None:
    # The worker's private state and undocumented steps (its constructor arguments aside).
    internals = {name for name in arq_compat.WORKER_METHODS if name != "main"}
    internals |= {"_pool", "job_counter", "allow_pick_jobs", "poll_delay_s"}
    for path in (ROOT / "services" / "executor").rglob("*.py"):
        if path.name == "arq_compat.py":
            continue
        used = _attributes_used(path) & internals
        assert not used, f"{path.relative_to(ROOT)} uses arq internals {sorted(used)}: go through arq_compat"
