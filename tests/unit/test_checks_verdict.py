"""Digest wording and matching shared by the assertions."""

from __future__ import annotations

import pytest

from lab.checks.verdict import (
    Verdict,
    digest_matches,
    listed,
    normalize_digest,
    redacted,
    short_digest,
)
from lab.errors import UsageError

FULL = "sha256:" + "0123456789ab" + "c" * 52


def test_short_digest() -> None:
    assert short_digest(FULL) == "sha256:0123456789ab…"
    assert short_digest("sha256:abc") == "sha256:abc"


def test_normalize_and_match() -> None:
    assert normalize_digest(FULL.upper().replace("SHA256", "sha256")) == FULL
    assert normalize_digest(FULL.removeprefix("sha256:")) == FULL
    assert digest_matches(normalize_digest("0123456789ab"), FULL)
    assert not digest_matches(normalize_digest("0123456789ac"), FULL)
    for bad in ("", "sha256:", "0123", "sha256:xyz0123456789"):
        with pytest.raises(UsageError):
            normalize_digest(bad)


def test_listed_and_redacted() -> None:
    assert listed([]) == "none"
    assert listed(str(n) for n in range(10)) == "0, 1, 2, 3, 4, 5, 6, 7 and 2 more"
    verdict = redacted(Verdict(False, "pw s3cret", "again s3cret"), "s3cret")
    assert "s3cret" not in verdict.message + verdict.details
