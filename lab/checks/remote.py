"""Assertions over HTTP: what a registry serves for a tag, what status a URL answers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from lab.checks.httputil import TIMEOUT, describe_error, new_session, safe_url, tls_verify
from lab.checks.registry import RegistryClient, RegistryError
from lab.checks.verdict import (
    Verdict,
    digest_matches,
    listed,
    normalize_digest,
    redacted,
    short_digest,
)
from lab.errors import UsageError
from lab.lesson.reference import Reference, parse_reference


def registry_has(
    repo_ref: str,
    digest: str | None = None,
    *,
    ca: str | Path | None = None,
    user: str | None = None,
    password: str | None = None,
    insecure: bool = False,
) -> Verdict:
    """The registry in repo_ref serves its tag (or digest); with digest, as that digest.
    insecure: TLS certificates are not verified (how Docker talks to an insecure registry)."""
    ref = parse_reference(repo_ref)
    wanted = normalize_digest(digest) if digest else None
    client = RegistryClient(ref.api_host, ca=ca, user=user, password=password, insecure=insecure)
    try:
        verdict = _registry_has(client, ref, wanted)
    except RegistryError as exc:
        verdict = Verdict(False, exc.message, f"hint: {exc.hint}" if exc.hint else "")
    return redacted(verdict, password)


def _registry_has(client: RegistryClient, ref: Reference, wanted: str | None) -> Verdict:
    where = f"registry {ref.registry}"
    manifest = client.manifest(ref.repository, ref.manifest_reference)
    if manifest is None:
        return _registry_missing(client, ref)
    served = manifest.digest
    if wanted is None or digest_matches(wanted, served):
        expected = " (as expected)" if wanted else ""
        return Verdict(True, f"{where} serves {ref.short} as {short_digest(served)}{expected}")
    if manifest.is_index:
        index = client.manifest(ref.repository, ref.manifest_reference, read=True)
        if index is not None and any(digest_matches(wanted, c) for c in index.children):
            return Verdict(
                True,
                f"{where} serves {ref.short} as index {short_digest(served)}, "
                f"which lists the expected {short_digest(wanted)}",
            )
    return Verdict(
        False,
        f"{where} serves {ref.short} as {short_digest(served)}, not the expected "
        f"{short_digest(wanted)}",
        f"served:   {served}\nexpected: {wanted}",
    )


def _registry_missing(client: RegistryClient, ref: Reference) -> Verdict:
    where = f"registry {ref.registry}"
    repo = ref.familiar_repository
    tags = client.tags(ref.repository)
    if tags is None:
        try:
            known = listed(sorted(client.catalog()))
        except RegistryError:
            known = "not listed"
        return Verdict(False, f"{where} has no repository '{repo}' (repositories: {known})")
    if ref.digest:
        return Verdict(False, f"{where} has no manifest {short_digest(ref.digest)} in {repo}")
    return Verdict(False, f"{where} has no tag '{ref.tag}' in {repo} (tags: {listed(tags)})")


@dataclass(frozen=True)
class HttpAnswer:
    """What a GET got."""

    url: str
    """The URL as shown (credentials hidden)."""
    status: int | None
    """The HTTP status; None when nothing answered."""
    said: str
    """In words: `answered 200 OK`, `answered 302 Found → /next`, `got no answer (why)`."""

    @property
    def message(self) -> str:
        """`GET URL answered 200 OK`, or `GET URL got no answer (why)`."""
        return f"GET {self.url} {self.said}"

    def verdict(self, expected: int) -> Verdict:
        """Whether it answered with the expected status."""
        if self.status is None:
            return Verdict(False, self.message)
        return Verdict(self.status == expected, f"{self.message} (expected {expected})")


def http_get(
    url: str,
    *,
    ca: str | Path | None = None,
    user: str | None = None,
    password: str | None = None,
) -> HttpAnswer:
    """GET url (redirects not followed): its status, or why nothing answered."""
    shown = safe_url(url)
    if urlsplit(url).scheme not in ("http", "https"):
        raise UsageError(f"'{shown}' is not an http(s) URL", "write it as http://HOST:PORT/PATH")
    auth = (user, password or "") if user else None
    try:
        with new_session() as session:
            response = session.get(
                url, auth=auth, verify=tls_verify(ca), timeout=TIMEOUT, allow_redirects=False
            )
    except requests.RequestException as exc:
        return HttpAnswer(shown, None, f"got no answer ({describe_error(exc)})")
    got = f"{response.status_code} {response.reason}".strip()
    if 300 <= response.status_code < 400 and "Location" in response.headers:
        got += f" → {response.headers['Location']}"
    return HttpAnswer(shown, response.status_code, f"answered {got}")


def http_status(
    url: str,
    status: int = 200,
    *,
    ca: str | Path | None = None,
    user: str | None = None,
    password: str | None = None,
) -> Verdict:
    """GET url (redirects not followed) answers with that status."""
    answer = http_get(url, ca=ca, user=user, password=password)
    return redacted(answer.verdict(status), password)
