"""App links (`[text](/){:data-term=".termN"}{:data-port="P"}`): the URL where this machine
reaches the app, and whether it answers."""

from __future__ import annotations

from collections.abc import Mapping

from lab.checks.verdict import Verdict
from lab.engine import EngineFactory, default_engine
from lab.errors import UsageError
from lab.lesson.model import AppLink, Lesson
from lab.lesson.needs import sandboxed

LOCAL = "127.0.0.1"
"""Where a lesson that runs on this host serves its apps."""


def resolve_app_link(link: AppLink, nodes: Mapping[int, str] | None = None) -> str:
    """The URL to open for an app link. nodes: terminal -> address of its sandbox node (the
    node's address is reachable from this machine; an app published with `-p P:...` in the
    node answers there). Without a node, the terminal is this host."""
    host = (nodes or {}).get(link.terminal) or LOCAL
    return f"http://{host}:{link.port}{link.href}"


def app_link(lesson: Lesson, number: int) -> AppLink:
    """The lesson's app link number `number` (1-based, in document order)."""
    links = lesson.app_links
    if not 1 <= number <= len(links):
        listed = "; ".join(f"{i}: {a.text!r} (line {a.line})" for i, a in enumerate(links, 1))
        raise UsageError(
            f"{lesson.path} has no app link {number}",
            f"its app links: {listed}" if links else "the lesson has no app links",
        )
    return links[number - 1]


def check_app_link(
    lesson: Lesson,
    number: int,
    status: int | None = None,
    *,
    engine: EngineFactory | None = None,
) -> Verdict:
    """The app behind a lesson's app link answers (with `status`, or any status below 500).
    A sandboxed lesson's app is looked for on its running nodes (a TUI session, or a
    `lab run --keep`); engine gives the host's docker client."""
    from lab.checks.remote import http_get
    from lab.sandbox import find_nodes

    link = app_link(lesson, number)
    nodes: dict[int, str] = {}
    if sandboxed(lesson):
        nodes = find_nodes((engine or default_engine)(), lesson.path)
        if link.terminal not in nodes:
            return Verdict(
                False,
                f"app link {number} ({link.text!r}) is served by term{link.terminal}'s sandbox "
                "node, and no node of this lesson runs",
                f"start the lesson first: lab open --sandbox {lesson.path} "
                f"(or lab run --keep {lesson.path})",
            )
    answer = http_get(resolve_app_link(link, nodes))
    if status is None:  # any answer short of a server error will do
        passed = answer.status is not None and answer.status < 500
        verdict = Verdict(passed, answer.message)
    else:
        verdict = answer.verdict(status)
    where = f"app link {number} ({link.text!r}, term{link.terminal} port {link.port})"
    return Verdict(verdict.passed, f"{where}: {verdict.message}", verdict.details)
