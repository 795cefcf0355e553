"""Headers of output-file downloads: the bytes are the program's, so nothing may render them."""

from __future__ import annotations

import re
import urllib.parse

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


def download_headers(name: str) -> dict[str, str]:
    """An attachment named after the file (a program chose the name: quotes, newlines and
    non-ASCII are escaped, never pasted into the header), never sniffed, and sandboxed should a
    browser display it anyway: user-controlled bytes must not run as a page of our origin."""
    base = name.rsplit("/", 1)[-1]
    fallback = _UNSAFE.sub("_", base) or "file"
    quoted = urllib.parse.quote(base, safe="")
    return {
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quoted}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        # Private: the bytes may belong to an account.
        "Cache-Control": "private, no-store",
    }
