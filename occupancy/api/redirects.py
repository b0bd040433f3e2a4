"""Where a ``next`` parameter may send the browser: only to a path on this site."""

from __future__ import annotations

from urllib.parse import urlsplit

#: Longest ``next`` followed; a longer one is refused rather than echoed into a header.
MAX_NEXT = 2000


def local_path(target: str | None) -> str | None:
    """``target`` when it is a plain path on this site, else None: never an open redirect.

    ``//evil.example`` and ``/\\evil.example`` are other hosts to a browser, and control
    characters could split the Location header, so anything but a plain local path is refused.
    """
    if not target or len(target) > MAX_NEXT or not target.startswith("/"):
        return None
    if target.startswith("//") or "\\" in target or any(ord(c) < 0x20 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
