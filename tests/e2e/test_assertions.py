"""lab.checks against the real Docker engine: throw-away registries (plain, TLS + auth), pushes.

Nothing here is mocked. Every container and tag a test makes has a unique name and is
removed by the fixture that made it; images pulled through the mirror (hello-world,
registry:2) are shared with other test runs and left in place.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from docker.errors import APIError, NotFound

from lab.checks import (
    Verdict,
    connect,
    container_absent,
    container_exists,
    container_running,
    http_status,
    image_absent,
    image_present,
    port_answering,
    port_published,
    registry_has,
)
from lab.checks.verdict import short_digest
from tests.conftest import ROOT, Result

USER = "lab-user"
PASSWORD = f"pw-{secrets.token_hex(8)}"
"""Unique, so finding it in any message is certainly a leak."""
READY_WAIT = 20.0
"""Seconds a fresh registry:2 container may take to answer /v2/ (it takes < 1 s here)."""


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Made:
    """What the tests created, so the finalizer removes exactly that."""

    engine: Any
    containers: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def container(self, image: str, command: list[str] | None = None, **kwargs: Any) -> Any:
        """Run a container (detached) under a fresh unique name, remembered for removal with
        its anonymous volumes (registry:2 declares one)."""
        name = kwargs.pop("name")
        with pytest.raises(NotFound):
            self.engine.containers.get(name)  # never adopt something that was already there
        self.containers.append(name)
        return self.engine.containers.run(image, command, name=name, detach=True, **kwargs)

    def tag(self, image: Any, repository: str, tag: str) -> str:
        ref = f"{repository}:{tag}"
        with pytest.raises(NotFound):
            self.engine.images.get(ref)
        assert image.tag(repository, tag)
        self.tags.append(ref)
        return ref

    def clean(self) -> None:
        for name in reversed(self.containers):
            with contextlib.suppress(NotFound):
                self.engine.containers.get(name).remove(force=True, v=True)
        for ref in self.tags:
            with contextlib.suppress(NotFound):
                self.engine.images.remove(ref, noprune=True)


@dataclass(frozen=True)
class Registry:
    """A throw-away registry:2 with hello-world pushed to it."""

    host: str
    container: str
    port: int
    repository: str
    """`hello-world-<random>`: unique, so its local tag is ours alone."""
    digest: str
    """What the engine's push reported."""

    @property
    def ref(self) -> str:
        return f"{self.host}/{self.repository}:latest"


@pytest.fixture(scope="module")
def engine() -> Any:
    return connect()


@pytest.fixture(scope="module")
def made(engine: Any) -> Iterator[Made]:
    created = Made(engine)
    try:
        yield created
    finally:
        created.clean()


@pytest.fixture(scope="module")
def hello(engine: Any) -> Any:
    """hello-world:latest, pulled through the mirror (a pull never removes anything)."""
    return engine.images.pull("hello-world", tag="latest")


@pytest.fixture(scope="module")
def registry_image(engine: Any) -> str:
    engine.images.pull("registry", tag="2")
    return "registry:2"


def start_registry(made: Made, image: str, **kwargs: Any) -> tuple[str, int, str]:
    """Run registry:2 on a free loopback port; returns (container name, port, scheme)."""
    scheme = "https" if "environment" in kwargs else "http"
    for _ in range(3):  # a free port can be taken between asking and binding
        port, name = free_port(), unique("lab-test-reg")
        try:
            made.container(image, name=name, ports={"5000/tcp": ("127.0.0.1", port)}, **kwargs)
        except APIError as exc:
            if "address already in use" in str(exc):
                continue
            raise
        wait_ready(f"{scheme}://127.0.0.1:{port}/v2/")
        return name, port, scheme
    raise AssertionError("no free port for a registry after 3 tries")


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + READY_WAIT
    while True:
        try:
            with warnings.catch_warnings():  # not verifying the certificate is the point here
                warnings.simplefilter("ignore")
                requests.get(url, timeout=2, verify=False)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def push(made: Made, image: Any, host: str, auth: dict[str, str] | None = None) -> tuple[str, str]:
    """Tag image as HOST/hello-world-<random>:latest and push it; returns (repository, digest)."""
    repository = unique("hello-world")
    made.tag(image, f"{host}/{repository}", "latest")
    digest = ""
    for line in made.engine.images.push(
        f"{host}/{repository}", tag="latest", stream=True, decode=True, auth_config=auth
    ):
        assert "error" not in line, line
        digest = line.get("aux", {}).get("Digest", digest)
    assert digest.startswith("sha256:"), "the push reported no digest"
    return repository, digest


@pytest.fixture(scope="module")
def plain(made: Made, hello: Any, registry_image: str) -> Registry:
    name, port, _ = start_registry(made, registry_image)
    host = f"127.0.0.1:{port}"
    return Registry(host, name, port, *push(made, hello, host))


@dataclass(frozen=True)
class Secured:
    registry: Registry
    ca: Path


@pytest.fixture(scope="module")
def secured(
    made: Made, hello: Any, registry_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Secured:
    """registry:2 with a self-signed certificate and htpasswd auth."""
    certs = tmp_path_factory.mktemp("certs")
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(certs / "domain.key"), "-out", str(certs / "domain.crt")),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    maker = made.container(
        registry_image,
        ["-Bbn", USER, PASSWORD],
        name=unique("lab-test-htpasswd"),
        entrypoint="htpasswd",
    )
    assert maker.wait(timeout=30)["StatusCode"] == 0
    (certs / "htpasswd").write_bytes(maker.logs(stdout=True, stderr=False))
    name, port, _ = start_registry(
        made,
        registry_image,
        volumes={str(certs): {"bind": "/certs", "mode": "ro"}},
        environment={
            "REGISTRY_HTTP_TLS_CERTIFICATE": "/certs/domain.crt",
            "REGISTRY_HTTP_TLS_KEY": "/certs/domain.key",
            "REGISTRY_AUTH": "htpasswd",
            "REGISTRY_AUTH_HTPASSWD_REALM": "lab test realm",
            "REGISTRY_AUTH_HTPASSWD_PATH": "/certs/htpasswd",
        },
    )
    host, auth = f"127.0.0.1:{port}", {"username": USER, "password": PASSWORD}
    registry = Registry(host, name, port, *push(made, hello, host, auth))
    return Secured(registry, certs / "domain.crt")


def no_secret(*verdicts: Verdict) -> None:
    for verdict in verdicts:
        assert PASSWORD not in verdict.message + verdict.details, verdict


# --- registry_has ---------------------------------------------------------------------------


@pytest.mark.docker
def test_registry_has_the_pushed_digest(plain: Registry) -> None:
    verdict = registry_has(plain.ref, plain.digest)
    assert verdict.passed, verdict
    assert verdict.message == (
        f"registry {plain.host} serves {plain.repository}:latest as "
        f"{short_digest(plain.digest)} (as expected)"
    )
    assert registry_has(plain.ref).passed
    assert registry_has(f"{plain.host}/{plain.repository}@{plain.digest}").passed


@pytest.mark.docker
def test_registry_has_fails_naming_both_digests(plain: Registry) -> None:
    wrong = "sha256:" + ("0" if plain.digest[7] != "0" else "1") * 64
    verdict = registry_has(plain.ref, wrong)
    assert not verdict.passed
    assert short_digest(plain.digest) in verdict.message
    assert short_digest(wrong) in verdict.message
    assert plain.digest in verdict.details and wrong in verdict.details


@pytest.mark.docker
def test_registry_has_fails_naming_the_missing_tag(plain: Registry) -> None:
    verdict = registry_has(f"{plain.host}/{plain.repository}:v2")
    assert not verdict.passed
    assert verdict.message == (
        f"registry {plain.host} has no tag 'v2' in {plain.repository} (tags: latest)"
    )
    missing = registry_has(f"{plain.host}/no-such-repo:latest")
    assert not missing.passed
    assert "has no repository 'no-such-repo'" in missing.message
    assert plain.repository in missing.message


@pytest.mark.docker
def test_registry_has_fails_when_nothing_listens() -> None:
    verdict = registry_has(f"127.0.0.1:{free_port()}/hello-world:latest")
    assert not verdict.passed
    assert "cannot reach registry 127.0.0.1:" in verdict.message
    assert "connection refused" in verdict.message


# --- TLS and basic auth ---------------------------------------------------------------------


@pytest.mark.docker
def test_registry_has_with_ca_and_credentials(secured: Secured) -> None:
    reg = secured.registry
    verdict = registry_has(reg.ref, reg.digest, ca=secured.ca, user=USER, password=PASSWORD)
    assert verdict.passed, verdict
    no_secret(verdict)


@pytest.mark.docker
def test_registry_without_credentials_is_401(secured: Secured) -> None:
    reg = secured.registry
    verdict = registry_has(reg.ref, reg.digest, ca=secured.ca)
    assert not verdict.passed
    assert "401 unauthorized" in verdict.message
    assert "no credentials given" in verdict.message


@pytest.mark.docker
def test_registry_wrong_password_is_401_and_never_shown(secured: Secured) -> None:
    reg = secured.registry
    wrong = PASSWORD + "-wrong"
    verdict = registry_has(reg.ref, ca=secured.ca, user=USER, password=wrong)
    assert not verdict.passed
    assert "401 unauthorized" in verdict.message
    assert f"user '{USER}' were refused" in verdict.message
    no_secret(verdict)


@pytest.mark.docker
def test_registry_tls_without_ca_says_so(secured: Secured) -> None:
    reg = secured.registry
    verdict = registry_has(reg.ref, user=USER, password=PASSWORD)
    assert not verdict.passed
    assert "speaks TLS but its certificate was not accepted" in verdict.message
    assert "--ca" in verdict.details
    no_secret(verdict)


@pytest.mark.docker
def test_http_status_over_tls_with_basic_auth(secured: Secured) -> None:
    url = f"https://{secured.registry.host}/v2/"
    ok = http_status(url, 200, ca=secured.ca, user=USER, password=PASSWORD)
    assert ok.passed, ok
    refused = http_status(url, 200, ca=secured.ca)
    assert not refused.passed
    assert refused.message == f"GET {url} answered 401 Unauthorized (expected 200)"
    no_secret(ok, refused)


@pytest.mark.docker
def test_shared_tls_context_still_checks_the_host_name(secured: Secured) -> None:
    """The CA file is loaded once and shared (lab.checks.httputil.tls_context); each
    connection still verifies the certificate against the name asked for: the certificate
    is for IP 127.0.0.1, so `localhost` is refused, before and after a good request."""
    good = f"https://{secured.registry.host}/v2/"
    wrong = f"https://localhost:{secured.registry.port}/v2/"
    for url, passes in ((wrong, False), (good, True), (wrong, False)):
        verdict = http_status(url, 200, ca=secured.ca, user=USER, password=PASSWORD)
        assert verdict.passed is passes, verdict
        if not passes:
            assert "got no answer" in verdict.message
            assert "localhost" in verdict.message and "mismatch" in verdict.message, verdict


# --- images ---------------------------------------------------------------------------------


@pytest.mark.docker
def test_image_present_and_absent(engine: Any, plain: Registry) -> None:
    ref = plain.ref  # our own tag: nobody else removes or retags it
    present = image_present(ref, engine=engine)
    assert present.passed, present
    assert present.message.startswith(f"image {ref} is present (sha256:")
    assert image_present(ref, plain.digest, engine=engine).passed
    wrong = "sha256:" + "f" * 64
    mismatch = image_present(ref, wrong, engine=engine)
    assert not mismatch.passed
    assert short_digest(wrong) in mismatch.message
    assert short_digest(plain.digest) in mismatch.message

    absent = unique("lab-test-absent") + ":nope"
    assert image_absent(absent, engine=engine).passed
    missing = image_present(absent, engine=engine)
    assert not missing.passed
    assert missing.message.startswith(f"image {absent} is not present")
    still = image_absent(ref, engine=engine)
    assert not still.passed
    assert "expected none" in still.message


# --- containers and ports -------------------------------------------------------------------


@pytest.mark.docker
def test_container_running_exists_absent(made: Made, plain: Registry) -> None:
    assert container_running(plain.container).passed
    assert container_exists(plain.container).passed
    present = container_absent(plain.container)
    assert not present.passed
    assert (
        present.message == f"container '{plain.container}' exists (status: running), expected none"
    )

    done = unique("lab-test-hello")
    made.container("hello-world:latest", name=done).wait(timeout=30)
    stopped = container_running(done)
    assert not stopped.passed
    assert stopped.message == f"container '{done}' is not running (status: exited, exit code 0)"
    assert container_exists(done).passed

    ghost = unique("lab-test-ghost")
    assert container_absent(ghost).passed
    missing = container_running(ghost)
    assert not missing.passed
    assert missing.message.startswith(f"container '{ghost}' does not exist (containers: ")


@pytest.mark.docker
def test_port_published_and_answering(plain: Registry) -> None:
    verdict = port_published(plain.container, 5000)
    assert verdict.passed, verdict
    assert verdict.message == (
        f"container '{plain.container}' publishes 5000/tcp on 127.0.0.1:{plain.port}, "
        "and it answers"
    )
    other = port_published(plain.container, "6000/tcp")
    assert not other.passed
    assert f"does not publish port 6000/tcp (published: 5000/tcp → 127.0.0.1:{plain.port})" in (
        other.message
    )
    assert port_answering("127.0.0.1", plain.port).passed


@pytest.mark.docker
def test_published_port_with_nothing_listening_does_not_answer(
    made: Made, registry_image: str
) -> None:
    """docker-proxy accepts on a published port even when nothing listens inside."""
    name, port = unique("lab-test-silent"), free_port()
    made.container(
        registry_image,
        name=name,
        entrypoint=["sleep", "60"],
        ports={"5000/tcp": ("127.0.0.1", port)},
    )
    assert port_published(name, 5000, answering=False).passed
    verdict = port_published(name, 5000, wait=1.0)
    assert not verdict.passed
    # Asked directly, the container refuses: nothing listens behind docker-proxy.
    assert "but nothing listens on 5000/tcp inside it" in verdict.message
    assert "connection refused" in verdict.message


# --- http_status ----------------------------------------------------------------------------


@pytest.mark.docker
def test_http_status_of_v2(plain: Registry) -> None:
    url = f"http://{plain.host}/v2/"
    ok = http_status(url)
    assert ok.passed, ok
    assert ok.message == f"GET {url} answered 200 OK (expected 200)"
    wrong = http_status(url, 404)
    assert not wrong.passed
    assert wrong.message == f"GET {url} answered 200 OK (expected 404)"


# --- the `lab assert` command ---------------------------------------------------------------

HARNESS = """\
import argparse, sys
from lab.cli import assertcmd as cli
from lab.errors import EnvironmentNotReady, UsageError
parser = argparse.ArgumentParser(prog="lab")
cli.add_parser(parser.add_subparsers(dest="command"))
args = parser.parse_args(sys.argv[1:])
try:
    sys.exit(args.func(args))
except EnvironmentNotReady as exc:
    sys.stderr.write(f"lab: {exc}\\n")
    sys.exit(3)
except UsageError as exc:
    sys.stderr.write(f"lab: {exc}\\n")
    sys.exit(2)
"""
"""Stands in for `python -m lab` while `assert` is not wired into lab/cli/main.py."""


def assert_is_wired() -> bool:
    proc = subprocess.run(
        [sys.executable, "-m", "lab", "assert", "--help"], cwd=ROOT, capture_output=True
    )
    return proc.returncode == 0


WIRED = assert_is_wired()


def lab_assert(*args: str, env: dict[str, str] | None = None) -> Result:
    command = ["-m", "lab"] if WIRED else ["-c", HARNESS]
    proc = subprocess.run(
        [sys.executable, *command, "assert", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.mark.docker
def test_cli_exit_codes(plain: Registry, secured: Secured) -> None:
    passed = lab_assert("registry-has", plain.ref, "--digest", plain.digest)
    assert (passed.status, passed.stdout.split(" ")[0]) == (0, "ok:"), passed
    failed = lab_assert("registry-has", f"{plain.host}/{plain.repository}:v2")
    assert failed.status == 1, failed
    assert failed.stdout.startswith(f"FAIL: registry {plain.host} has no tag 'v2'")

    reg, env = secured.registry, {"LAB_TEST_PW": PASSWORD}
    auth = ["--ca", str(secured.ca), "--user", USER, "--password-env", "LAB_TEST_PW"]
    tls = lab_assert("registry-has", reg.ref, "--digest", reg.digest, *auth, env=env)
    assert tls.status == 0, tls
    anonymous = lab_assert("registry-has", reg.ref, "--ca", str(secured.ca))
    assert anonymous.status == 1
    assert "401 unauthorized" in anonymous.stdout
    for result in (tls, anonymous):
        assert PASSWORD not in result.stdout + result.stderr

    assert lab_assert("container-running", plain.container).status == 0
    assert lab_assert("port-published", plain.container, "5000").status == 0
    assert lab_assert("http-status", f"http://{plain.host}/v2/", "200").status == 0

    unset = lab_assert("registry-has", plain.ref, "--user", USER, "--password-env", "LAB_NO_VAR")
    assert unset.status == 2
    assert "environment variable LAB_NO_VAR is not set" in unset.stderr

    no_engine = lab_assert(
        "container-running", "x", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    )
    assert no_engine.status == 3, no_engine
    assert "cannot reach the Docker engine at unix:///nonexistent/docker.sock" in no_engine.stderr
