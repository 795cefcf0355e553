"""Default limits of a language under a limits policy (gateways resolve requests; executors warm
sandboxes of the default shapes)."""

from __future__ import annotations

from collections.abc import Mapping

from shared.executions import Limits
from shared.settings import LimitBounds, LimitsPolicy


def default_value(name: str, bounds: LimitBounds, overrides: Mapping[str, int]) -> int:
    return min(overrides.get(name, bounds.default), bounds.maximum)


def default_limits(policy: LimitsPolicy, overrides: Mapping[str, int]) -> Limits:
    return Limits(**{name: default_value(name, bounds, overrides) for name, bounds in policy})
