"""Every use of arq's internals, in one place.

Checked against arq 0.28.0 (pinned in pyproject.toml and uv.lock). ``WakeableWorker`` starts jobs
the moment a wake-up arrives instead of at arq's next poll, which arq has no public hook for: it
reuses the pool set-up of ``Worker.main``, the bookkeeping of one poll (``_poll_iteration``), the
guarded start path (``start_jobs``: it refuses a job another worker holds) and the callback run
when a job's task ends (``_release_sem_dec_counter_on_complete``), and reads the slot counters.
None of these are documented; tests/unit/test_arq_compat.py checks that the installed arq still
has each of them with the signature used here, so an upgrade fails there rather than at run time.
"""

from __future__ import annotations

from arq import Worker
from arq.connections import create_pool

ARQ_VERSION_CHECKED = "0.28.0"
# Worker methods used here and the parameters (after self) they are called with.
WORKER_METHODS: dict[str, tuple[str, ...]] = {
    "main": (),
    "_poll_iteration": (),
    "start_jobs": ("job_ids",),
    "_release_sem_dec_counter_on_complete": (),
}
# Attributes Worker.__init__ sets, read (or, _pool, set) here.
WORKER_ATTRIBUTES = (
    "_pool",
    "redis_settings",
    "job_serializer",
    "job_deserializer",
    "queue_name",
    "expires_extra_ms",
    "ctx",
    "on_startup",
    "poll_delay_s",
    "allow_pick_jobs",
    "job_counter",
    "max_jobs",
)
# Keyword arguments create_pool is called with (as Worker.main calls it).
CREATE_POOL_KEYWORDS = ("job_deserializer", "job_serializer", "default_queue_name", "expires_extra_ms")


class CompatWorker(Worker):
    """arq's Worker with its internals behind named, checked methods."""

    async def start_up(self) -> None:
        """The first half of Worker.main: the Redis pool (created as arq creates it when none was
        given) in ctx["redis"], then on_startup."""
        if self._pool is None:
            self._pool = await create_pool(
                self.redis_settings,
                job_deserializer=self.job_deserializer,
                job_serializer=self.job_serializer,
                default_queue_name=self.queue_name,
                expires_extra_ms=self.expires_extra_ms,
            )
        self.ctx["redis"] = self.pool
        if self.on_startup:
            await self.on_startup(self.ctx)

    @property
    def poll_interval_s(self) -> float:
        return float(self.poll_delay_s)

    async def poll_once(self) -> None:
        """One of arq's polls: start due jobs, collect finished tasks, record health."""
        await self._poll_iteration()

    async def start_by_id(self, job_ids: list[bytes]) -> None:
        """Start these jobs through arq's guarded path (a job another worker holds is skipped)."""
        await self.start_jobs(job_ids)

    @property
    def taking_jobs(self) -> bool:
        """False once a shutdown signal arrived."""
        return bool(self.allow_pick_jobs)

    @property
    def slots_full(self) -> bool:
        return bool(self.job_counter >= self.max_jobs)

    def on_slot_released(self) -> None:
        """Called when a job's task ends and its slot is free again."""

    def _release_sem_dec_counter_on_complete(self) -> None:
        super()._release_sem_dec_counter_on_complete()
        self.on_slot_released()
