"""Limits a request may ask for (services/gateway/executions/service.py resolve_limits) and the
defaults a language gets under a policy (shared/limits.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.gateway.executions.schemas import LimitsIn
from services.gateway.executions.service import resolve_limits
from shared.executions import Limits
from shared.limits import default_limits, default_value
from shared.problems import FieldError
from shared.settings import ANONYMOUS_LIMITS, CompileLimitsPolicy, LimitBounds, LimitsPolicy

POLICY = LimitsPolicy()


def resolve(
    requested: LimitsIn | None, language_defaults: dict[str, int] | None = None
) -> tuple[Limits, list[FieldError]]:
    errors: list[FieldError] = []
    limits = resolve_limits(requested, POLICY, language_defaults or {}, "limits", errors)
    return limits, errors


def test_nothing_asked_means_the_policy_defaults() -> None:
    limits, errors = resolve(None)
    assert errors == []
    assert limits == Limits(**{name: bounds.default for name, bounds in POLICY})


def test_a_language_may_raise_a_default_but_not_past_the_maximum() -> None:
    limits, errors = resolve(None, {"memory_mb": 512, "wall_time_ms": 10 * POLICY.wall_time_ms.maximum})
    assert errors == []
    assert limits.memory_mb == 512
    assert limits.wall_time_ms == POLICY.wall_time_ms.maximum


@pytest.mark.parametrize("name", [name for name, _ in POLICY])
def test_the_bounds_are_inclusive(name: str) -> None:
    bounds: LimitBounds = getattr(POLICY, name)
    for value in (bounds.minimum, bounds.maximum):
        limits, errors = resolve(LimitsIn(**{name: value}))
        assert errors == []
        assert getattr(limits, name) == value


@pytest.mark.parametrize("name", [name for name, _ in POLICY])
def test_out_of_range_is_a_field_error_naming_the_range(name: str) -> None:
    bounds: LimitBounds = getattr(POLICY, name)
    for value in (bounds.minimum - 1, bounds.maximum + 1):
        _, errors = resolve(LimitsIn(**{name: value}))
        assert errors == [
            FieldError(
                loc=["body", "limits", name],
                msg=f"must be between {bounds.minimum} and {bounds.maximum}",
                type="out_of_range",
            )
        ]


def test_every_bad_limit_is_reported_at_once() -> None:
    _, errors = resolve(LimitsIn(memory_mb=1, processes=100_000, cpu_time_ms=POLICY.cpu_time_ms.default))
    assert sorted(e.loc[-1] for e in errors) == ["memory_mb", "processes"]


def test_unknown_and_non_integer_limits_are_refused() -> None:
    with pytest.raises(ValidationError):
        LimitsIn.model_validate({"gpu": 1})
    with pytest.raises(ValidationError):
        LimitsIn.model_validate({"memory_mb": "lots"})


def test_default_value_takes_the_override_within_the_maximum() -> None:
    bounds = LimitBounds(default=10, minimum=1, maximum=20)
    assert default_value("x", bounds, {}) == 10
    assert default_value("x", bounds, {"x": 15}) == 15
    assert default_value("x", bounds, {"x": 25}) == 20
    assert default_value("x", bounds, {"y": 15}) == 10


@pytest.mark.parametrize("policy", [LimitsPolicy(), CompileLimitsPolicy(), ANONYMOUS_LIMITS])
def test_every_policy_default_lies_within_its_bounds(policy: LimitsPolicy) -> None:
    for name, bounds in policy:
        assert bounds.minimum <= bounds.default <= bounds.maximum, name
    assert default_limits(policy, {}) == Limits(**{name: bounds.default for name, bounds in policy})
