"""Rate-limit budget arithmetic (services/gateway/ratelimit): headers, 429 details, the moving
window's reset, and whose budget a caller spends. Pure functions only; Redis is not involved."""

from __future__ import annotations

import uuid

import pytest
from limits import parse
from pydantic import ValidationError
from starlette.requests import HTTPConnection

from services.gateway.auth.principal import ANONYMOUS, Principal
from services.gateway.ratelimit.admission import _usage
from services.gateway.ratelimit.service import Budget, Caller, Usage, caller_of, rate_of, too_many
from shared.auth.api_keys import generate_api_key
from shared.settings import GatewaySettings, RateLimitPolicy

POLICY = RateLimitPolicy(executions="10/minute", reads="5/second", writes="100/hour", max_in_flight=2)


def usage(remaining: int, reset_after_s: int = 30, rate: str = "10/minute") -> Usage:
    return Usage(Budget.executions, parse(rate), remaining, reset_after_s)


def connection(host: str = "203.0.113.9", authorization: str | None = None) -> HTTPConnection:
    headers = [(b"authorization", authorization.encode())] if authorization else []
    return HTTPConnection(
        {"type": "http", "client": (host, 50000), "headers": headers, "path": "/", "query_string": b""}
    )


@pytest.mark.parametrize(
    ("budget", "amount", "window_s"),
    [(Budget.executions, 10, 60), (Budget.reads, 5, 1), (Budget.writes, 100, 3600)],
)
def test_each_budget_reads_its_own_rate(budget: Budget, amount: int, window_s: int) -> None:
    rate = rate_of(POLICY, budget)
    assert (rate.amount, rate.get_expiry()) == (amount, window_s)


def test_headers_state_the_policy_and_what_is_left() -> None:
    assert usage(7, 12).headers() == {
        "RateLimit-Policy": '"executions";q=10;w=60',
        "RateLimit": '"executions";r=7;t=12',
        "RateLimit-Limit": "10",
        "RateLimit-Remaining": "7",
        "RateLimit-Reset": "12",
    }


def test_an_overdrawn_budget_shows_nothing_left_not_a_negative() -> None:
    headers = usage(-3).headers()
    assert headers["RateLimit-Remaining"] == "0"
    assert headers["RateLimit"] == '"executions";r=0;t=30'


def test_an_exhausted_budget_says_when_to_retry() -> None:
    problem = too_many(usage(0, 17), cost=1)
    assert problem.status == 429
    assert problem.headers is not None
    assert problem.headers["Retry-After"] == "17"
    assert "retry after 17 seconds" in str(problem)


def test_retry_after_is_never_zero() -> None:
    problem = too_many(usage(0, 0), cost=1)
    assert problem.headers is not None
    assert problem.headers["Retry-After"] == "1"


def test_a_cost_above_the_whole_budget_asks_to_split_not_to_wait() -> None:
    detail = str(too_many(usage(10), cost=11))
    assert "needs 11 from the executions budget, which allows 10 every 60 seconds: split it" in detail


def caller(rate: str = "10/minute") -> Caller:
    return Caller("user", "user:x", "user:x", RateLimitPolicy(executions=rate))


@pytest.mark.parametrize(
    ("used", "oldest", "now", "remaining", "reset"),
    [
        (0, b"", 1000.0, 10, 60),  # nothing charged: a whole window
        (4, b"990.0", 1000.0, 6, 50),  # the oldest charge leaves the window 60 s after it was made
        (10, b"999.5", 1000.0, 0, 60),  # rounded up to whole seconds, at most the window
        (10, "930.0", 1000.0, 0, 0),  # already out of the window: no wait
        (12, b"1000.0000004", 1000.0, -2, 60),  # a charge microseconds "ahead": bounded by the window
    ],
)
def test_the_moving_window_resets_when_its_oldest_charge_leaves(
    used: int, oldest: bytes | str, now: float, remaining: int, reset: int
) -> None:
    result = _usage(caller(), used, oldest, now)
    assert (result.remaining, result.reset_after_s) == (remaining, reset)


def test_anonymous_callers_spend_their_address_budget_under_the_anonymous_policy() -> None:
    settings = GatewaySettings()
    who = caller_of(connection("198.51.100.4"), ANONYMOUS, settings)
    assert (who.kind, who.bucket, who.owner) == ("anonymous", "ip:198.51.100.4", "ip:198.51.100.4")
    assert who.policy == settings.anonymous_rate_limits


def test_a_user_spends_their_own_budget() -> None:
    user_id = uuid.uuid4()
    who = caller_of(connection(), Principal("user", user_id), GatewaySettings())
    assert (who.bucket, who.owner) == (f"user:{user_id}", f"user:{user_id}")


def test_an_api_key_has_a_budget_of_its_own_but_shares_its_users_in_flight_cap() -> None:
    user_id = uuid.uuid4()
    principal = Principal("api_key", user_id)
    (key, _), (other, _) = generate_api_key(), generate_api_key()
    first = caller_of(connection(authorization=f"Bearer {key}"), principal, GatewaySettings())
    second = caller_of(connection(authorization=f"Bearer {other}"), principal, GatewaySettings())
    assert first.owner == second.owner == f"user:{user_id}"
    assert first.bucket.startswith("key:")
    assert first.bucket != second.bucket
    # The bucket names the key by a digest: the key itself never reaches Redis.
    assert key.rsplit("_", 1)[1] not in first.bucket


@pytest.mark.parametrize("rate", ["lots", "10/fortnight", "10/minute;100/hour"])
def test_a_budget_is_exactly_one_rate(rate: str) -> None:
    with pytest.raises(ValidationError):
        RateLimitPolicy(executions=rate)
