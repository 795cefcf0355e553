from __future__ import annotations

from fastapi import APIRouter, Request

from services.gateway.auth.access import AccountReadOpen
from services.gateway.deps import StateDep
from services.gateway.ratelimit import admission
from services.gateway.ratelimit.schemas import BudgetOut, InFlightOut, LimitsOut, QueueOut
from services.gateway.ratelimit.service import Budget, InFlight, caller_of, queue_depth
from services.gateway.ratelimit.wiring import limiter
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/limits", tags=["limits"])


@router.get(
    "",
    response_model=LimitsOut,
    summary="My rate limits, quotas and current usage",
    description="The caller's budgets (after counting this request, which is a read), executions in flight "
    "against the cap, and the queue's depth against its bound. API keys need `account:read`.",
    responses=PROBLEM_RESPONSES,
)
async def get_limits(request: Request, state: StateDep, principal: AccountReadOpen) -> LimitsOut:
    caller = caller_of(request, principal, state.settings)
    rate_limiter = limiter(request, state)
    budgets = []
    for budget in Budget:
        if budget is Budget.executions:
            usage = await admission.peek(state, caller)
        else:
            usage = await rate_limiter.peek(caller, budget)
        budgets.append(
            BudgetOut(
                name=budget,
                policy=str(getattr(caller.policy, budget.value)),
                limit=usage.limit,
                window_s=usage.window_s,
                remaining=max(usage.remaining, 0),
                reset_after_s=usage.reset_after_s,
            )
        )
    return LimitsOut(
        enabled=state.settings.rate_limits_enabled,
        caller=caller.kind,
        budgets=budgets,
        in_flight=InFlightOut(
            current=await InFlight(state, caller).count(),
            limit=caller.policy.max_in_flight,
            scope="user" if caller.owner.startswith("user:") else "address",
        ),
        queue=QueueOut(depth=await queue_depth(state.redis), limit=state.settings.max_queued),
    )
