"""Engine objects a session made, by ID: what appeared between two listings, other sessions'
claims taken out, kept as JSON; and which lab session made a clashing container."""

from __future__ import annotations

import time
from pathlib import Path

from lab.hoststate.clashes import owner_of
from lab.hoststate.owned import Listing, OwnedObjects, appeared
from lab.hoststate.snapshot import HostState
from lab.hoststate.store import SessionRecord

BEFORE = Listing(
    {"c1": "theirs"},
    {"i1": ("hello-world:latest",)},
    frozenset({"v1"}),
    {"n1": "bridge"},
)


def test_what_appeared_is_claimed_by_id_and_new_tags_too() -> None:
    after = Listing(
        {"c1": "theirs", "c2": "registry"},
        {"i1": ("hello-world:latest", "127.0.0.1:5000/hello-world:latest"), "i2": ()},
        frozenset({"v1", "v2"}),
        {"n1": "bridge", "n2": "lab-net"},
    )
    new = appeared(BEFORE, after)
    assert new.containers == {"c2": "registry"}
    assert new.images == {"i2": "i2"}
    assert new.tags == {"127.0.0.1:5000/hello-world:latest": "i1"}
    assert new.volumes == {"v2"} and new.networks == {"n2": "lab-net"}
    assert not appeared(after, after)


def test_other_sessions_claims_are_taken_out_and_json_round_trips() -> None:
    mine = OwnedObjects({"c2": "registry", "c3": "web"}, {}, {"t:1": "i1", "t:2": "i2"}, {"v2"})
    theirs = OwnedObjects({"c3": "web"}, {}, {"t:2": "i2"}, {"v2"})
    left = mine.without(theirs)
    assert left.containers == {"c2": "registry"} and left.tags == {"t:1": "i1"}
    assert not left.volumes
    assert OwnedObjects.from_json(mine.to_json()) == mine
    assert OwnedObjects.from_json("nonsense") == OwnedObjects()
    merged = OwnedObjects()
    merged.merge(left)
    merged.merge(theirs)
    assert set(merged.containers) == {"c2", "c3"}


def record(**kwargs: object) -> SessionRecord:
    base: dict[str, object] = {"lesson": "/l/part1.md", "before": HostState(), "pid": 0}
    return SessionRecord(**{**base, **kwargs})  # type: ignore[arg-type]


def test_a_clashing_container_is_named_with_the_session_that_made_it() -> None:
    now = time.time()
    learner = record(owned=OwnedObjects({"abc": "registry"}), interactive=True)
    assert owner_of("abc", now, [learner]) is learner
    killed = record(lesson="/l/seed.md", started=now - 60)  # a `lab run` whose lab is gone
    assert owner_of("def", now, [learner, killed]) is killed
    assert owner_of("def", now - 120, [killed]) is None, "made before that run started"
    had = record(started=now - 60, before=HostState(containers=frozenset({"def"})))
    assert owner_of("def", now, [had]) is None, "it was there before that run"
    alive = record(started=now - 60, pid=__import__("os").getpid())
    assert owner_of("def", now, [alive]) is None, "a run still going is not a leftover"
    assert "interrupted run of /l/seed.md" in _describe(killed)
    assert "your session of /l/part1.md" in _describe(learner)


def _describe(owner: SessionRecord) -> str:
    from lab.hoststate.clashes import Clash

    return Clash("registry", "abc", "named 'registry'", owner).describe()


def test_paths_are_strings_in_records(tmp_path: Path) -> None:
    assert record(lesson=str(tmp_path)).lesson == str(tmp_path)
