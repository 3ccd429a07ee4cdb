"""The room's pure parts: codes, signatures, seats, node limits, the handoff to an app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.sandbox.owner import ROOM, SEAT, Owner
from lab.sandbox.seat import NodeLimits, Seat, format_bytes, parse_bytes
from lab.serve.handoff import Handoff
from lab.serve.identity import CODE_ALPHABET, Signer, new_code, normal_code
from lab.serve.room import JoinRefused, Room, RoomConfig


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_STATE_DIR", str(tmp_path))


def test_codes_are_easy_to_read_and_typed_any_way() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 9 and code[4] == "-"
        assert set(code.replace("-", "")) <= set(CODE_ALPHABET)
        assert not set(code) & set("0O1I")
    assert normal_code("7k3m q9tx") == normal_code("7K3MQ9TX") == "7K3M-Q9TX"
    assert normal_code("7K3M-Q9T") == "7K3MQ9T"  # too short: never equal to a code


def test_a_signature_holds_only_for_its_value_purpose_and_secret() -> None:
    signer = Signer(b"k" * 32)
    signed = signer.sign("attendee", "s01ab12")
    assert signer.unsign("attendee", signed) == "s01ab12"
    assert signer.unsign("instructor", signed) is None
    assert Signer(b"j" * 32).unsign("attendee", signed) is None
    value, _, mac = signed.rpartition(".")
    assert signer.unsign("attendee", f"s02ab12.{mac}") is None
    assert signer.unsign("attendee", value) is None
    assert signer.unsign("attendee", None) is None
    assert signer.unsign("attendee", "") is None


def test_seats_are_numbered_and_ids_unguessable_apart() -> None:
    room = Room(RoomConfig(lessons=(), seats=2))
    ana = room.join(room.code, "  Ana   Lopez ")
    ben = room.join(room.code.lower(), "x" * 100)
    assert (ana.seat, ana.name) == (1, "Ana Lopez")
    assert ben.seat == 2 and len(ben.name) == 40
    assert ana.id.startswith("s01") and ben.id.startswith("s02") and len(ana.id) == 7
    assert ana.state_dir.is_dir() and ana.state_dir != ben.state_dir
    assert room.attendee_of(room.cookie_of(ana)) is ana
    with pytest.raises(JoinRefused) as full:
        room.join(room.code, "Cleo")
    assert full.value.kind == "full"
    roster = (room.state_dir / "room.json").read_text()
    assert "Ana Lopez" in roster and room.code not in roster and room.key not in roster


def test_a_wrong_code_is_checked_before_anything_else() -> None:
    room = Room(RoomConfig(lessons=(), seats=1))
    room.join(room.code, "Ana")
    with pytest.raises(JoinRefused) as refused:
        room.join("nope", "")
    assert refused.value.kind == "code"  # not "full" nor "name": nothing about the room leaks


def test_node_limits_become_engine_settings() -> None:
    assert NodeLimits().host_config() == {}
    limits = NodeLimits(parse_bytes("768m"), 512)
    assert limits.host_config() == {
        "mem_limit": 768 << 20,
        "memswap_limit": 768 << 20,
        "pids_limit": 512,
    }
    assert limits.describe() == "memory 768 MiB, 512 pids"
    assert parse_bytes("1g") == parse_bytes("1GiB") == 1 << 30
    assert parse_bytes("1.5G") == 3 << 29
    assert format_bytes(3 << 29) == "1.5 GiB"
    for bad in ("", "lots", "-1g", "0"):
        with pytest.raises(ValueError):
            parse_bytes(bad)


def test_a_seat_names_the_same_nodes_for_every_session_of_a_lesson(tmp_path: Path) -> None:
    keeper = Owner(4242, "boot", "77")
    seat = Seat(keeper, "a1b2c3", "s01ab12", NodeLimits(1 << 30, 1024))
    lesson = tmp_path / "part1.md"
    assert seat.run_id(lesson) == seat.run_id(Path(str(lesson)))
    assert seat.run_id(lesson) != seat.run_id(tmp_path / "part2.md")
    assert seat.run_id(lesson).startswith("a1b2c3-s01ab12-")
    assert seat.labels()[ROOM] == "a1b2c3" and seat.labels()[SEAT] == "s01ab12"
    assert Owner.from_labels(seat.labels()) == keeper


def test_the_handoff_carries_ids_and_paths_and_comes_back_whole(tmp_path: Path) -> None:
    room = Room(RoomConfig(lessons=(tmp_path / "a.md",), limits=NodeLimits(1 << 30, 512)))
    ana = room.join(room.code, "Ana")
    handoff = room.handoff_of(ana)
    env = handoff.environment()
    assert Handoff.from_environment(env) == handoff
    everything = " ".join(env.values())
    assert room.code not in everything and room.key not in everything
    assert room.cookie_of(ana) not in everything
    assert env["LAB_STATE_DIR"] == str(ana.state_dir)


def test_a_rooms_nodes_get_narrower_rights_whatever_the_mode() -> None:
    from lab.sandbox.harden import DROPPED_CAPABILITIES, hardened, seccomp_profile
    from lab.sandbox.mode import NodeMode

    for mode in (NodeMode("privileged", "test"), NodeMode("caps", "test", ("SYS_RESOURCE",))):
        config = hardened(mode.host_config(), mode.dropped)
        assert "privileged" not in config
        assert set(DROPPED_CAPABILITIES) <= set(config["cap_drop"])
        assert set(mode.dropped) <= set(config["cap_drop"])
        assert config["device_cgroup_rules"] == ["c *:* rwm"]
        assert "seccomp=unconfined" not in config["security_opt"]
    profile = json.loads(seccomp_profile())
    assert profile["defaultAction"] == "SCMP_ACT_ALLOW"
    denied = profile["syscalls"][0]["names"]
    assert "init_module" in denied and "mount" not in denied and "keyctl" not in denied
