"""API key format: ``crh_<prefix>_<secret>``. The prefix identifies the key in lists and logs;
the whole key is stored only as its SHA-256 (it carries 256 bits of entropy, so a plain hash
suffices and lookups stay one indexed query)."""

from __future__ import annotations

import hashlib
import re
import secrets

# How long a gateway may answer for a key it found valid without reading the database again (its
# expiry is still checked on every use). A revocation does not wait for it: the auth service first
# sets a marker (redis_keys.api_key_changed) that lives CHANGED_MARKER_S, and while it exists
# gateways read the key from the database on every use.
CACHE_S = 10.0
CHANGED_MARKER_S = 6 * int(CACHE_S)

KEY_PATTERN = re.compile(r"^crh_([a-z0-9]{10})_([A-Za-z0-9_-]{43})$")


def generate_api_key() -> tuple[str, str]:
    """A new key and its prefix."""
    prefix = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(10))
    return f"crh_{prefix}_{secrets.token_urlsafe(32)}", prefix


def looks_like_api_key(token: str) -> bool:
    return KEY_PATTERN.match(token) is not None


def hash_secret(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()
