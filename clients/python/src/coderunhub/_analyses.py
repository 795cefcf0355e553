"""Code analysis (``/v1/analyses``): lint and format files the way an editor asks, answered from the
server's cache when the same files were analysed lately. Positions are 1-based; columns count
UTF-16 code units (as CodeMirror and JavaScript strings do)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Literal, TypeAlias

from coderunhub import errors
from coderunhub._http import Transport
from coderunhub._requests import same_origin
from coderunhub.models import AnalyserOut, AnalysisFile, AnalysisRequest, AnalysisResult

Check: TypeAlias = Literal["lint", "format", "types", "metrics"]
AnalysisFiles: TypeAlias = Mapping[str, str] | Sequence[AnalysisFile]
# The server answers 202 with Retry-After: 1 while an analysis runs past its wait.
POLL_S = 1.0


def _files(files: AnalysisFiles) -> list[AnalysisFile]:
    if isinstance(files, Mapping):
        return [AnalysisFile(name=name, content=content) for name, content in files.items()]
    return list(files)


class AsyncAnalyses:
    """Lint (``checks=["lint"]``: diagnostics with quick fixes) and format (``["format"]``: each file
    as the formatter writes it) in the server's sandboxes. A language without an analyser answers
    ``status == "unsupported"``; the ``analyses`` rate budget counts every request."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def create(
        self,
        language: str,
        files: AnalysisFiles,
        *,
        checks: Sequence[Check] | None = None,
        version: str | None = None,
        timeout_s: float | None = None,
    ) -> AnalysisResult:
        """Analyse and return the result: the server waits a while; past it this polls the
        result's place (``timeout_s`` bounds the whole wait: TimeoutError)."""
        fields = {"language": language, "files": _files(files), "checks": list(checks) if checks else None}
        request = AnalysisRequest.model_validate({k: v for k, v in {**fields, "version": version}.items() if v})
        response = await self._transport.request("POST", "/v1/analyses", json=request.to_json())
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while response.status_code == 202:
            delay = errors.retry_after(response) or POLL_S
            if deadline is not None and time.monotonic() + delay > deadline:
                raise TimeoutError(f"analysis {response.json().get('id')} did not finish within {timeout_s} s")
            await asyncio.sleep(delay)
            location = same_origin(response.headers.get("location") or f"/v1/analyses/{response.json()['id']}")
            response = await self._transport.request("GET", location)
        return AnalysisResult.model_validate(response.json())

    async def get(self, analysis_id: str) -> AnalysisResult | None:
        """A result while the server caches it (an hour); None while it is still running. Unknown
        or expired ids raise NotFoundError."""
        response = await self._transport.request("GET", f"/v1/analyses/{analysis_id}")
        return None if response.status_code == 202 else AnalysisResult.model_validate(response.json())

    async def tools(self) -> list[AnalyserOut]:
        """The analysers per language, with the versions of their tools."""
        response = await self._transport.request("GET", "/v1/analyses/tools")
        return [AnalyserOut.model_validate(item) for item in response.json()]
