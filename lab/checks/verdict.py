"""The outcome of one assertion: passed or not, said in one line."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lab.errors import UsageError

_DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-f]{12,}")
"""A digest, or its short form: at least 12 hex digits (`docker images` shows 12)."""


@dataclass(frozen=True)
class Verdict:
    """What an assertion found."""

    passed: bool
    """True when the assertion holds."""
    message: str
    """One line that says what was checked and what was found, expected and actual values
    included when it failed. Never holds a secret."""
    details: str = ""
    """Optional further lines (full digests, a hint); empty when there is nothing more to say."""


def short_digest(digest: str) -> str:
    """`sha256:` and the first 12 hex digits, as `docker images` shows ids."""
    algorithm, _, hexa = digest.partition(":")
    if not hexa:
        return digest[:12]
    return f"{algorithm}:{hexa[:12]}…" if len(hexa) > 12 else digest


def normalize_digest(digest: str) -> str:
    """A digest as registries spell it: `sha256:` prefixed (bare hex is taken as sha256).

    Raises UsageError when it is not a digest.
    """
    text = digest.strip().lower()
    text = text if ":" in text else f"sha256:{text}"
    if not _DIGEST.fullmatch(text):
        raise UsageError(
            f"'{digest}' is not a digest",
            "write it as sha256:<64 hex digits>, as `docker images --digests` shows it",
        )
    return text


def digest_matches(wanted: str, actual: str) -> bool:
    """actual is the (normalized) wanted digest, or starts with it (a 12+ digit short form)."""
    return actual.lower().startswith(wanted)


LIST_LIMIT = 8
"""Names listed at most in a message (`tags: a, b, ... and 3 more`)."""


def listed(names: Iterable[str]) -> str:
    """Names joined for a message, `none` when there are none, long lists cut short."""
    items = list(names)
    if not items:
        return "none"
    shown = ", ".join(items[:LIST_LIMIT])
    return shown + (f" and {len(items) - LIST_LIMIT} more" if len(items) > LIST_LIMIT else "")


def redacted(verdict: Verdict, secret: str | None) -> Verdict:
    """The verdict with every occurrence of secret masked."""
    if not secret:
        return verdict
    return Verdict(
        verdict.passed,
        verdict.message.replace(secret, "******"),
        verdict.details.replace(secret, "******"),
    )
