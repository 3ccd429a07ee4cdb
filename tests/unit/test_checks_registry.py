"""The registry client's pure logic: references, headers, challenges, and auth flows on fakes."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from lab.checks.registry import (
    ACCEPT,
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    OCI_INDEX,
    OCI_MANIFEST,
    RegistryClient,
    RegistryError,
)
from lab.checks.remote import registry_has
from lab.checks.verdict import short_digest
from lab.checks.wwwauth import find_challenge, parse_challenges
from lab.errors import UsageError
from lab.lesson.reference import is_insecure_host, is_registry_host, parse_reference

DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32
SECRET = "hunter2-secret"

# --- references -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "digest"),
    [
        ("hello-world", "docker.io", "library/hello-world", "latest", None),
        ("hello-world:v2", "docker.io", "library/hello-world", "v2", None),
        ("someone/app", "docker.io", "someone/app", "latest", None),
        ("docker.io/library/nginx:1.25", "docker.io", "library/nginx", "1.25", None),
        ("index.docker.io/nginx", "docker.io", "library/nginx", "latest", None),
        ("127.0.0.1:5000/hello-world:latest", "127.0.0.1:5000", "hello-world", "latest", None),
        ("localhost/team/app:1", "localhost", "team/app", "1", None),
        ("localhost:5000/app", "localhost:5000", "app", "latest", None),
        ("ghcr.io/org/app:sha-1", "ghcr.io", "org/app", "sha-1", None),
        ("127.0.0.1:5000/hello-world@" + DIGEST, "127.0.0.1:5000", "hello-world", None, DIGEST),
        ("reg.example:443/a/b:t@" + DIGEST, "reg.example:443", "a/b", "t", DIGEST),
    ],
)
def test_parse_reference(
    text: str, registry: str, repository: str, tag: str | None, digest: str | None
) -> None:
    ref = parse_reference(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        registry,
        repository,
        tag,
        digest,
    )


def test_reference_views() -> None:
    hub = parse_reference("hello-world")
    assert hub.is_docker_hub and hub.api_host == "registry-1.docker.io"
    assert hub.short == "hello-world:latest"
    local = parse_reference("127.0.0.1:5000/hello-world@" + DIGEST)
    assert not local.is_docker_hub and local.api_host == "127.0.0.1:5000"
    assert local.manifest_reference == DIGEST
    assert local.short == f"hello-world@{DIGEST}"
    assert str(parse_reference("127.0.0.1:5000/a:b")) == "127.0.0.1:5000/a:b"


@pytest.mark.parametrize(
    "text",
    ["Hello-World", "127.0.0.1:5000/app:bad tag", "app@sha256:xyz", "app@nodigest", "a//b"],
)
def test_invalid_references_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_reference(text)
    assert f"invalid image reference '{text}'" in info.value.message
    assert info.value.hint


@pytest.mark.parametrize(
    ("component", "expected"),
    [("localhost", True), ("127.0.0.1:5000", True), ("ghcr.io", True), ("library", False)],
)
def test_registry_host_detection(component: str, expected: bool) -> None:
    assert is_registry_host(component) is expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1:5000", True),
        ("127.1.2.3", True),
        ("localhost:5000", True),
        ("[::1]:5000", True),
        ("10.0.0.5:5000", False),
        ("registry.example:5000", False),
    ],
)
def test_insecure_hosts_are_loopback(host: str, expected: bool) -> None:
    assert is_insecure_host(host) is expected


# --- headers and challenges -----------------------------------------------------------------


def test_accept_names_all_four_manifest_types() -> None:
    accepted = [t.strip() for t in ACCEPT.split(",")]
    assert accepted == [DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX]
    assert DOCKER_MANIFEST == "application/vnd.docker.distribution.manifest.v2+json"
    assert OCI_INDEX == "application/vnd.oci.image.index.v1+json"


def test_parse_bearer_challenge() -> None:
    header = (
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/hello-world:pull,push"'
    )
    [challenge] = parse_challenges(header)
    assert challenge.scheme == "bearer"
    assert challenge.params == {
        "realm": "https://auth.docker.io/token",
        "service": "registry.docker.io",
        "scope": "repository:library/hello-world:pull,push",
    }


def test_parse_several_challenges_and_odd_spacing() -> None:
    header = 'Basic realm="a, \\"quoted\\" realm" ,  BEARER  realm=https://t/x ,error=invalid_token'
    basic, bearer = parse_challenges(header)
    assert (basic.scheme, basic.params) == ("basic", {"realm": 'a, "quoted" realm'})
    assert bearer.params == {"realm": "https://t/x", "error": "invalid_token"}
    assert find_challenge(header, "Bearer") == bearer
    assert find_challenge(header, "digest") is None
    assert parse_challenges("") == []


# --- a fake registry behind requests --------------------------------------------------------

Handler = Callable[[requests.PreparedRequest], tuple[int, Mapping[str, str], bytes]]


class Fake(BaseAdapter):
    """A requests transport answering from a handler function; remembers what it was sent."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        self.sent.append(request)
        status, headers, body = self.handler(request)
        response = requests.Response()
        response.status_code = status
        response.reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized"}.get(status, "")
        response.headers = CaseInsensitiveDict(headers)
        response._content = b"" if request.method == "HEAD" else body
        response.url = str(request.url)
        response.request = request
        return response

    def close(self) -> None:
        pass


def client(handler: Handler, host: str = "127.0.0.1:5000", **kwargs: Any) -> tuple[Any, Fake]:
    fake = Fake(handler)
    session = requests.Session()
    session.mount("https://", fake)
    session.mount("http://", fake)
    return RegistryClient(host, session=session, **kwargs), fake


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_manifest_head_sends_accept_and_reads_the_digest() -> None:
    def handler(req: requests.PreparedRequest) -> tuple[int, Mapping[str, str], bytes]:
        assert req.method == "HEAD"
        assert req.headers["Accept"] == ACCEPT
        return 200, {"Docker-Content-Digest": DIGEST, "Content-Type": DOCKER_MANIFEST}, b""

    registry, fake = client(handler, host="registry.example")
    manifest = registry.manifest("hello-world", "latest")
    assert manifest is not None and manifest.digest == DIGEST and not manifest.is_index
    assert fake.sent[0].url == "https://registry.example/v2/hello-world/manifests/latest"


def test_manifest_without_digest_header_is_hashed_from_a_get() -> None:
    body = b'{"schemaVersion": 2}'

    def handler(req: requests.PreparedRequest) -> tuple[int, Mapping[str, str], bytes]:
        return 200, {"Content-Type": OCI_MANIFEST}, body

    registry, fake = client(handler)
    manifest = registry.manifest("app", "v1")
    assert manifest is not None
    assert manifest.digest == "sha256:" + hashlib.sha256(body).hexdigest()
    assert [r.method for r in fake.sent] == ["HEAD", "GET"]


def test_index_children_are_read() -> None:
    index = {"manifests": [{"digest": DIGEST}, {"digest": OTHER}]}

    def handler(req: requests.PreparedRequest) -> tuple[int, Mapping[str, str], bytes]:
        headers = {"Content-Type": OCI_INDEX, "Docker-Content-Digest": "sha256:" + "ee" * 32}
        return 200, headers, json.dumps(index).encode()

    registry, _ = client(handler)
    manifest = registry.manifest("app", "v1", read=True)
    assert manifest is not None and manifest.is_index
    assert manifest.children == (DIGEST, OTHER)


def test_https_falls_back_to_http_for_loopback() -> None:
    def handler(req: requests.PreparedRequest) -> tuple[int, Mapping[str, str], bytes]:
        if str(req.url).startswith("https://"):
            raise requests.exceptions.SSLError("[SSL: WRONG_VERSION_NUMBER] wrong version number")
        return 200, {}, b"{}"

    registry, fake = client(handler)
    registry.ping()
    registry.ping()
    assert registry.scheme == "http"
    assert [str(r.url).split(":")[0] for r in fake.sent] == ["https", "http", "http"]


def test_no_http_fallback_for_other_hosts() -> None:
    def handler(req: requests.PreparedRequest) -> tuple[int, Mapping[str, str], bytes]:
        raise requests.exceptions.SSLError(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
            " (_ssl.c:1006)')"
        )

    registry, fake = client(handler, host="10.0.0.5:5000")
    with pytest.raises(RegistryError) as info:
        registry.ping()
    assert info.value.message == (
        "cannot reach registry 10.0.0.5:5000 (certificate verify failed: self-signed certificate)"
    )
    assert len(fake.sent) == 1


def test_tls_server_reached_over_http_names_the_certificate_problem() -> None:
    def handler(req: requests.PreparedRequest) -> tuple[int, Mapping[str, str], bytes]:
        if str(req.url).startswith("https://"):
            raise requests.exceptions.SSLError(
                "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed"
                " certificate (_ssl.c:1006)')"
            )
        return 400, {}, b"Client sent an HTTP request to an HTTPS server.\n"

    registry, _ = client(handler)
    with pytest.raises(RegistryError) as info:
        registry.manifest("app", "latest")
    assert "speaks TLS but its certificate was not accepted" in info.value.message
    assert "self-signed certificate" in info.value.message
    assert info.value.hint is not None and "--ca" in info.value.hint


def test_bearer_token_flow_with_credentials() -> None:
    def handler(req: requests.PreparedRequest) -> tuple[int, Mapping[str, str], bytes]:
        url = str(req.url)
        if url.startswith("https://auth.example/token"):
            assert "service=reg" in url and "scope=repository%3Aapp%3Apull" in url
            assert req.headers["Authorization"] == basic("alice", SECRET)
            return 200, {}, b'{"token": "T0K"}'
        if req.headers.get("Authorization") == "Bearer T0K":
            return 200, {"Docker-Content-Digest": DIGEST, "Content-Type": DOCKER_MANIFEST}, b""
        challenge = 'Bearer realm="https://auth.example/token",service="reg"'
        return 401, {"WWW-Authenticate": challenge}, b""

    registry, fake = client(handler, host="reg.example", user="alice", password=SECRET)
    manifest = registry.manifest("app", "latest")
    assert manifest is not None and manifest.digest == DIGEST
    assert len(fake.sent) == 3  # challenged, token, retried
    registry.manifest("app", "latest")
    assert len(fake.sent) == 4  # the token is reused for the same scope


def test_basic_auth_answers_a_basic_challenge() -> None:
    def handler(req: requests.PreparedRequest) -> tuple[int, Mapping[str, str], bytes]:
        if req.headers.get("Authorization") == basic("alice", SECRET):
            return 200, {}, b'{"tags": ["latest", "v2"]}'
        return 401, {"WWW-Authenticate": 'Basic realm="Registry Realm"'}, b""

    registry, fake = client(handler, user="alice", password=SECRET)
    assert registry.tags("app") == ["latest", "v2"]
    assert registry.tags("app") == ["latest", "v2"]
    assert len(fake.sent) == 3  # after the first challenge, credentials go along at once


def basic_only(req: requests.PreparedRequest) -> tuple[int, Mapping[str, str], bytes]:
    return 401, {"WWW-Authenticate": 'Basic realm="Registry Realm"'}, b""


def test_401_without_credentials_says_so() -> None:
    registry, _ = client(basic_only)
    with pytest.raises(RegistryError) as info:
        registry.ping()
    assert info.value.status == 401
    assert info.value.message == (
        "registry 127.0.0.1:5000 answered 401 unauthorized to GET /v2/ (no credentials given)"
    )
    assert info.value.hint is not None and "--password-env" in info.value.hint


def test_refused_credentials_never_show_the_password() -> None:
    registry, _ = client(basic_only, user="alice", password=SECRET)
    with pytest.raises(RegistryError) as info:
        registry.ping()
    assert "the credentials of user 'alice' were refused" in info.value.message
    assert SECRET not in str(info.value)


def test_missing_repository_and_pagination() -> None:
    pages = {
        "/v2/_catalog": ({"Link": '</v2/_catalog?last=b&n=2>; rel="next"'}, ["a", "b"]),
        "/v2/_catalog?last=b&n=2": ({}, ["c"]),
    }

    def handler(req: requests.PreparedRequest) -> tuple[int, Mapping[str, str], bytes]:
        path = str(req.path_url)
        if path in pages:
            headers, names = pages[path]
            return 200, headers, json.dumps({"repositories": names}).encode()
        return 404, {}, b'{"errors": [{"code": "NAME_UNKNOWN"}]}'

    registry, _ = client(handler)
    assert registry.tags("nope") is None
    assert registry.manifest("nope", "latest") is None
    assert registry.catalog() == ["a", "b", "c"]


def test_registry_has_wording_on_a_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    """registry_has builds its own client: hand it one on the fake transport."""

    def handler(req: requests.PreparedRequest) -> tuple[int, Mapping[str, str], bytes]:
        if str(req.path_url).endswith("/manifests/latest"):
            return 200, {"Docker-Content-Digest": DIGEST, "Content-Type": DOCKER_MANIFEST}, b""
        if str(req.path_url).endswith("/tags/list"):
            return 200, {}, b'{"name": "app", "tags": ["latest"]}'
        return 404, {}, b""

    session = requests.Session()
    session.mount("http://", Fake(handler))
    session.mount("https://", Fake(handler))
    monkeypatch.setattr(
        "lab.checks.remote.RegistryClient", functools.partial(RegistryClient, session=session)
    )
    ok = registry_has("127.0.0.1:5000/app:latest", DIGEST)
    assert ok.passed
    assert ok.message == (
        f"registry 127.0.0.1:5000 serves app:latest as {short_digest(DIGEST)} (as expected)"
    )
    wrong = registry_has("127.0.0.1:5000/app:latest", OTHER)
    assert not wrong.passed
    assert wrong.message == (
        f"registry 127.0.0.1:5000 serves app:latest as {short_digest(DIGEST)}, "
        f"not the expected {short_digest(OTHER)}"
    )
    missing = registry_has("127.0.0.1:5000/app:v2")
    assert missing.message == "registry 127.0.0.1:5000 has no tag 'v2' in app (tags: latest)"
    with pytest.raises(UsageError):
        registry_has("127.0.0.1:5000/app:latest", "sha256:nothex")
