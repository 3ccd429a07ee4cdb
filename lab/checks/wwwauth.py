"""Parsing `WWW-Authenticate` challenges (RFC 7235), as registries send them with a 401."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_BARE = r'[^\s,"]+'
"""An unquoted value: RFC 7235 wants a token, but servers send bare URLs too."""
_PARAM = re.compile(rf"\s*({_TOKEN})\s*=\s*({_QUOTED}|{_BARE})\s*(?:,|$)")
_SCHEME = re.compile(rf"\s*({_TOKEN})(?=\s|$|,)\s*,?")


@dataclass(frozen=True)
class Challenge:
    """One authentication challenge: `Bearer realm="...",service="..."`."""

    scheme: str
    """The scheme, lowercased: `basic`, `bearer`."""
    params: dict[str, str] = field(default_factory=dict)
    """Its parameters, names lowercased, values unquoted."""


def parse_challenges(header: str) -> list[Challenge]:
    """All challenges in a `WWW-Authenticate` header value, in order; garbage is skipped."""
    challenges: list[Challenge] = []
    pos = 0
    while pos < len(header):
        param = _PARAM.match(header, pos)
        if param and challenges:
            challenges[-1].params[param.group(1).lower()] = _unquote(param.group(2))
            pos = param.end()
            continue
        scheme = _SCHEME.match(header, pos)
        if scheme and scheme.end() > pos:
            challenges.append(Challenge(scheme.group(1).lower()))
            pos = scheme.end()
            continue
        pos = header.find(",", pos + 1)  # skip what cannot be read up to the next comma
        if pos < 0:
            break
        pos += 1
    return challenges


def find_challenge(header: str, scheme: str) -> Challenge | None:
    """The first challenge of that scheme (case-insensitive), if any."""
    return next((c for c in parse_challenges(header) if c.scheme == scheme.lower()), None)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value
