"""Where a sign-in may send a person back to: a path on this site, never another site."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

MAX_LENGTH = 2000
# Browsers drop tabs and line breaks anywhere in a URL, and C0 controls and spaces around it.
_DROPPED = re.compile(r"[\t\n\r]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EDGES = "".join(map(chr, range(33)))  # C0 controls and the space


def _normalised(target: str) -> str:
    """Read a URL as a browser would: no tabs or line breaks, backslashes as slashes."""
    return _DROPPED.sub("", target).strip(_EDGES).replace("\\", "/")


def _is_local(target: str) -> bool:
    seen = _normalised(target)
    if not seen.startswith("/") or seen.startswith("//") or _CONTROL.search(seen):
        return False
    parts = urlsplit(seen)
    return not parts.scheme and not parts.netloc and parts.path.startswith("/")


def local_path(target: str | None) -> str | None:
    """Return `target` when it is a path on this site (checked raw and percent-decoded), else None.

    Anything a browser could read as another site or a script is refused: `//evil`, `/\\evil`,
    `\\\\evil`, `https://evil`, `/%2F%2Fevil`, `javascript:…`, tabs or line breaks inside.
    """
    if not isinstance(target, str) or not target or len(target) > MAX_LENGTH:
        return None
    if target != target.strip() or _CONTROL.search(target) or "\\" in target:
        return None  # a browser would read such a URL differently from how it is written
    if not (_is_local(target) and _is_local(unquote(target))):
        return None
    parts = urlsplit(target)
    rebuilt = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    return rebuilt if rebuilt == target and _is_local(rebuilt) else None


def same_site_path(referrer: str | None, host: str) -> str | None:
    """Return the local path of a Referer that names this host, else None."""
    if not isinstance(referrer, str) or len(referrer) > MAX_LENGTH:
        return None
    parts = urlsplit(referrer)
    if parts.scheme not in ("http", "https") or parts.netloc != host:
        return None
    return local_path(urlunsplit(("", "", parts.path or "/", parts.query, "")))
