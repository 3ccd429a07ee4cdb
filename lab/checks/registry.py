"""A small client of the registry HTTP API v2: ping, manifests, tags, catalog, auth like Docker."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import urllib3

from lab.checks.httputil import (
    TIMEOUT,
    describe_error,
    is_tls_refusal,
    new_session,
    tls_verify,
)
from lab.checks.wwwauth import Challenge, find_challenge
from lab.errors import LabError
from lab.lesson.reference import is_insecure_host

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST_TYPES = (DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX)
"""What we accept; without these a registry may answer with an old schema1 manifest."""
INDEX_TYPES = frozenset({DOCKER_MANIFEST_LIST, OCI_INDEX})
ACCEPT = ", ".join(MANIFEST_TYPES)
MAX_PAGES = 50
"""Pages of a paginated tag list or catalog followed at most."""
CREDENTIALS_HINT = "pass --user USER --password-env VAR (the variable holds the password)"


class RegistryError(LabError):
    """The registry could not be asked, or refused to answer."""

    def __init__(self, message: str, hint: str | None = None, *, status: int | None = None):
        super().__init__(message, hint)
        self.status = status
        """The HTTP status the registry answered, None when it was not reached."""


@dataclass(frozen=True)
class Manifest:
    """What a registry serves for a tag or digest."""

    digest: str
    """The `Docker-Content-Digest` (or the sha256 of the body when the header is missing)."""
    media_type: str
    """Its Content-Type: one of MANIFEST_TYPES."""
    children: tuple[str, ...] = ()
    """Digests of the manifests an index (manifest list) names; empty otherwise or unread."""

    @property
    def is_index(self) -> bool:
        """True for a manifest list or OCI index."""
        return self.media_type in INDEX_TYPES


class RegistryClient:
    """Talks to one registry (`host[:port]`), https first and http for loopback hosts."""

    def __init__(
        self,
        host: str,
        *,
        ca: str | Path | None = None,
        user: str | None = None,
        password: str | None = None,
        session: requests.Session | None = None,
        insecure: bool = False,
    ) -> None:
        self.host = host
        self.user = user
        self._password = password or ""
        self._verify: str | bool = False if insecure else tls_verify(ca)
        if insecure:  # as Docker talks to an insecure registry: TLS, unverified
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self._session = session or new_session()
        self._scheme: str | None = None
        self._basic = False
        self._tokens: dict[str, str] = {}

    @property
    def scheme(self) -> str | None:
        """`https` or `http` once a request got through, None before."""
        return self._scheme

    def ping(self) -> None:
        """GET /v2/: returns when the registry answers (and accepts our credentials)."""
        self._checked(self._request("GET", "/v2/", scope=""), "GET /v2/")

    def manifest(self, repository: str, reference: str, *, read: bool = False) -> Manifest | None:
        """The manifest a tag or digest names, None when there is none.

        With read, GET it (to learn an index's children) instead of HEAD.
        """
        path = f"/v2/{repository}/manifests/{reference}"
        method = "GET" if read else "HEAD"
        response = self._request(method, path, scope=_pull(repository), headers={"Accept": ACCEPT})
        if response.status_code == 404:
            return None
        self._checked(response, f"{method} {path}")
        digest = response.headers.get("Docker-Content-Digest", "")
        if not digest and not read:
            return self.manifest(repository, reference, read=True)
        if not digest:
            digest = "sha256:" + hashlib.sha256(response.content).hexdigest()
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        children: tuple[str, ...] = ()
        if read and media_type in INDEX_TYPES:
            entries = _json(response).get("manifests", [])
            children = tuple(str(m.get("digest", "")) for m in entries if isinstance(m, dict))
        return Manifest(digest, media_type, children)

    def tags(self, repository: str) -> list[str] | None:
        """The repository's tags, None when the registry has no such repository."""
        return self._listing(f"/v2/{repository}/tags/list", _pull(repository), "tags")

    def catalog(self) -> list[str]:
        """The repositories the registry lists (registries may refuse or truncate this)."""
        return self._listing("/v2/_catalog", "registry:catalog:*", "repositories") or []

    def _listing(self, path: str, scope: str, key: str) -> list[str] | None:
        items: list[str] = []
        url: str | None = path
        for _ in range(MAX_PAGES):
            if url is None:
                break
            response = self._request("GET", url, scope=scope)
            if response.status_code == 404:
                return None
            self._checked(response, f"GET {path}")
            items.extend(str(item) for item in _json(response).get(key) or [])
            next_link = response.links.get("next", {}).get("url")
            url = next_link if next_link and next_link.startswith("/") else None
        return items

    def _checked(self, response: requests.Response, what: str) -> None:
        if response.ok:
            return
        codes = [str(e.get("code")) for e in _json(response).get("errors") or [] if e.get("code")]
        detail = f" ({', '.join(codes)})" if codes else ""
        raise RegistryError(
            f"registry {self.host} answered {response.status_code} {response.reason} "
            f"to {what}{detail}",
            status=response.status_code,
        )

    def _request(
        self, method: str, path: str, *, scope: str, headers: dict[str, str] | None = None
    ) -> requests.Response:
        """Send, answering a 401 challenge (Bearer token or Basic) once."""
        headers = dict(headers or {})
        response = self._send(method, path, {**headers, **self._authorization(scope)})
        if response.status_code != 401:
            return response
        header = response.headers.get("WWW-Authenticate", "")
        bearer = find_challenge(header, "bearer")
        if bearer is not None:
            self._tokens[scope] = self._token(bearer, scope)
        elif find_challenge(header, "basic") is not None and self.user and not self._basic:
            self._basic = True
        else:
            raise self._unauthorized(f"{method} {path}")
        response = self._send(method, path, {**headers, **self._authorization(scope)})
        if response.status_code == 401:
            raise self._unauthorized(f"{method} {path}")
        return response

    def _authorization(self, scope: str) -> dict[str, str]:
        if scope in self._tokens:
            return {"Authorization": f"Bearer {self._tokens[scope]}"}
        if self._basic and self.user:
            pair = f"{self.user}:{self._password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        return {}

    def _token(self, challenge: Challenge, scope: str) -> str:
        """Get a Bearer token from the challenge's realm (with our credentials, if any)."""
        realm = challenge.params.get("realm", "")
        if not realm.startswith(("https://", "http://")):
            raise RegistryError(f"registry {self.host} sent a Bearer challenge without a realm")
        params = {"service": challenge.params.get("service", "")}
        params["scope"] = challenge.params.get("scope", scope)
        auth = (self.user, self._password) if self.user else None
        try:
            response = self._session.get(
                realm,
                params={k: v for k, v in params.items() if v},
                auth=auth,
                timeout=TIMEOUT,
                verify=self._verify,
            )
        except requests.RequestException as exc:
            raise RegistryError(
                f"cannot reach the token service {realm} of registry {self.host} "
                f"({describe_error(exc)})"
            ) from exc
        if response.status_code == 401:
            raise self._unauthorized(f"GET {realm}")
        data = _json(response)
        token = data.get("token") or data.get("access_token")
        if not response.ok or not isinstance(token, str):
            raise RegistryError(
                f"the token service {realm} of registry {self.host} answered "
                f"{response.status_code} {response.reason} without a token",
                status=response.status_code,
            )
        return token

    def _unauthorized(self, what: str) -> RegistryError:
        if self.user:
            why, hint = f"the credentials of user '{self.user}' were refused", None
        else:
            why, hint = "no credentials given", CREDENTIALS_HINT
        return RegistryError(
            f"registry {self.host} answered 401 unauthorized to {what} ({why})", hint, status=401
        )

    def _tls_refusal(self, response: requests.Response) -> bool:
        """True when a plain-HTTP answer says the server wants TLS (a HEAD answer has no
        body to say it in: ask again with GET)."""
        if response.status_code != 400:
            return False
        if response.request.method == "HEAD":
            try:
                response = self._session.get(response.url, timeout=TIMEOUT, verify=self._verify)
            except requests.RequestException:
                return False
        return is_tls_refusal(response)

    def _send(self, method: str, path: str, headers: dict[str, str]) -> requests.Response:
        """One request, choosing the scheme on first use like Docker does."""
        if self._scheme:
            schemes = [self._scheme]
        else:
            schemes = ["https", "http"] if is_insecure_host(self.host) else ["https"]
        tls_error: requests.exceptions.SSLError | None = None
        errors: list[tuple[str, str]] = []
        for scheme in schemes:
            url = f"{scheme}://{self.host}{path}"
            try:
                response = self._session.request(
                    method, url, headers=headers, timeout=TIMEOUT, verify=self._verify
                )
            except requests.RequestException as exc:
                if isinstance(exc, requests.exceptions.SSLError):
                    tls_error = exc
                errors.append((scheme, describe_error(exc)))
                continue
            if tls_error is not None and self._tls_refusal(response):
                raise RegistryError(
                    f"registry {self.host} speaks TLS but its certificate was not accepted "
                    f"({describe_error(tls_error)})",
                    "pass --ca FILE: the CA certificate (or the self-signed one) it uses",
                )
            self._scheme = scheme
            return response
        if len({why for _, why in errors}) == 1:
            reasons = errors[0][1]
        else:
            reasons = "; ".join(f"{scheme}: {why}" for scheme, why in errors)
        raise RegistryError(f"cannot reach registry {self.host} ({reasons})")


def _pull(repository: str) -> str:
    return f"repository:{repository}:pull"


def _json(response: requests.Response) -> dict[str, Any]:
    """The body as a JSON object, {} when it is not one."""
    try:
        data = json.loads(response.content or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
