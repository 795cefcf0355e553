"""The CLI's settings: flags, then CRH_URL / CRH_API_KEY / CRH_AUTH_URL, then the config file
($XDG_CONFIG_HOME/coderunhub/config.json, else ~/.config/...; mode 0600: it holds an API key)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coderunhub._http import DEFAULT_URL


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "coderunhub" / "config.json"


def load() -> dict[str, Any]:
    try:
        data = json.loads(config_path().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise SystemExit(f"crh: {config_path()} is not valid JSON: {exc}") from None
    return data if isinstance(data, dict) else {}


def save(changes: dict[str, Any]) -> Path:
    """Merge ``changes`` (None removes a setting) into the file, written 0600 from the start so the
    key is never readable by others, not even for a moment."""
    path = config_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = {**load(), **changes}
    data = {key: value for key, value in data.items() if value is not None}
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    # A leftover temporary file may have had another mode: O_CREAT's mode applies only to new files.
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump(data, file, indent=2)
        file.write("\n")
    os.replace(temporary, path)
    return path


@dataclass(frozen=True)
class Settings:
    url: str
    auth_url: str | None
    api_key: str | None


def resolve(url: str | None = None, api_key: str | None = None, auth_url: str | None = None) -> Settings:
    stored = load()
    return Settings(
        url=url or os.environ.get("CRH_URL") or stored.get("url") or DEFAULT_URL,
        auth_url=auth_url or os.environ.get("CRH_AUTH_URL") or stored.get("auth_url"),
        api_key=api_key or os.environ.get("CRH_API_KEY") or stored.get("api_key"),
    )
