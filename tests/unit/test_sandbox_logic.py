"""Sandbox logic without an engine: paths inside a node, mirrors, node modes, owners, app links."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lab.errors import UsageError
from lab.lesson.load import load_lesson
from lab.lesson.model import AppLink
from lab.runner.applinks import app_link, resolve_app_link
from lab.sandbox import mode as modes
from lab.sandbox.nodes import inner_mirrors, node_image
from lab.sandbox.owner import OWNER, STARTED, Owner, boot_id, start_time
from lab.sandbox.paths import resolve_in
from tests.conftest import fixture


def test_paths_resolve_inside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "run").mkdir(parents=True)
    (root / "var").mkdir()
    (root / "var" / "run").symlink_to("/run")  # absolute: must stay inside root
    (root / "etc").mkdir()
    (root / "etc" / "alt").symlink_to("../run")
    assert resolve_in(root, "/var/run/docker.sock") == root / "run" / "docker.sock"
    assert resolve_in(root, "/etc/alt/x") == root / "run" / "x"
    assert resolve_in(root, "/../../etc/passwd") == root / "etc" / "passwd"
    assert resolve_in(root, "/no/such/file") == root / "no" / "such" / "file"
    (root / "loop").symlink_to("/loop")
    with pytest.raises(OSError, match="too many levels"):
        resolve_in(root, "/loop/x")


def test_a_mirror_on_the_host_loopback_is_reached_through_the_gateway() -> None:
    info = {
        "RegistryConfig": {
            "Mirrors": [
                "http://127.0.0.1:5001/",
                "https://mirror.example:443/",
                "http://localhost/",
            ]
        }
    }
    assert inner_mirrors(info) == [
        "http://{gateway}:5001",
        "https://mirror.example:443",
        "http://{gateway}",
    ]
    assert inner_mirrors({}) == []


def test_node_image_option_then_environment_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAB_NODE_IMAGE", raising=False)
    assert node_image() == "docker:dind"
    monkeypatch.setenv("LAB_NODE_IMAGE", "example/dind:1")
    assert node_image() == "example/dind:1"
    assert node_image("mine:2") == "mine:2"


def test_caps_mode_when_the_bounding_set_lacks_a_capability(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    full = (1 << 41) - 1
    monkeypatch.delenv("LAB_NODE_MODE", raising=False)
    monkeypatch.setattr(modes, "engine_bounding_set", lambda: (full, "the engine's"))
    assert modes.detect_mode().name == "privileged"
    assert modes.detect_mode().host_config() == {"privileged": True}
    missing = full & ~(1 << 24)  # CAP_SYS_RESOURCE, as on the test machines
    monkeypatch.setattr(modes, "engine_bounding_set", lambda: (missing, "the engine's"))
    mode = modes.detect_mode()
    assert mode.name == "caps" and mode.dropped == ("SYS_RESOURCE",)
    assert "lacks CAP_SYS_RESOURCE" in mode.describe()
    config = mode.host_config()
    assert config["cap_add"] == ["ALL"] and config["cap_drop"] == ["SYS_RESOURCE"]
    assert "seccomp=unconfined" in config["security_opt"]
    assert config["device_cgroup_rules"] == ["a *:* rwm"]
    assert mode.host_config_extra() == {"MaskedPaths": [], "ReadonlyPaths": []}
    monkeypatch.setenv("LAB_NODE_MODE", "privileged")
    assert modes.detect_mode().name == "privileged"
    monkeypatch.setenv("LAB_NODE_MODE", "sideways")
    with pytest.raises(UsageError, match="unknown node mode"):
        modes.detect_mode()


def test_refused_privileged_is_recognised() -> None:
    assert modes.refused_privileged(
        "OCI runtime create failed: runc create failed: unable to start container process: "
        "unable to apply caps: operation not permitted: unknown"
    )
    assert not modes.refused_privileged("No such image: docker:dind")


def test_owner_labels_and_liveness() -> None:
    me = Owner.current()
    assert me.label == f"{os.getpid()}@{boot_id()}"
    assert me.started == start_time(os.getpid())
    again = Owner.from_labels(me.labels())
    assert again == me and again.alive()
    assert not Owner(me.pid, "another-boot", me.started).alive()
    assert not Owner(me.pid, me.boot, "1").alive()  # same pid, another process
    assert not Owner(2**22 + 1, me.boot, None).alive()
    assert Owner.from_labels({}) is None
    assert Owner.from_labels({OWNER: "x@y", STARTED: ""}) is None


def test_app_links_resolve_to_the_node_or_this_host() -> None:
    link = AppLink("web", terminal=2, port=8080, line=3, href="/index.html")
    assert resolve_app_link(link) == "http://127.0.0.1:8080/index.html"
    assert resolve_app_link(link, {2: "10.1.2.3"}) == "http://10.1.2.3:8080/index.html"
    assert resolve_app_link(link, {1: "10.1.2.2"}) == "http://127.0.0.1:8080/index.html"
    lesson = load_lesson(fixture("sandbox-basic.md"))
    assert app_link(lesson, 1).href == "/v2/" and app_link(lesson, 1).port == 5000
    with pytest.raises(UsageError, match="has no app link 2"):
        app_link(lesson, 2)
