"""Base classes of the generated models (models.py)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class OpenEnum(StrEnum):
    """A string enum that also takes values it does not list: a newer server may answer a verdict
    or status this SDK release does not know yet, and reading it must not fail."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member


class ResponseModel(BaseModel):
    """What the API answers. Fields a newer server adds are kept (as extra attributes), not refused."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class RequestModel(BaseModel):
    """What the client sends. Unknown fields are refused here, before the server would refuse them;
    only the fields that were set are sent, so the server's defaults apply to the rest."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = self.model_dump(mode="json", by_alias=True, exclude_unset=True)
        return body
