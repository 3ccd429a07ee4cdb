"""`lab assert ASSERTION ...`: one assertion from the command line, for lesson check blocks."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from lab.checks.verdict import Verdict
from lab.errors import ExitStatus, LabError, UsageError
from lab.sandbox import place

Check = Callable[[argparse.Namespace], Verdict]

EPILOG = (
    "Exit codes: 0 the assertion holds, 1 it does not, 2 usage error, "
    "3 the Docker engine cannot be reached."
)


HELP = "check images, containers, ports, registries, URLs or files (exit 0 holds, 1 not)"


def add_parser(sub: Any, *, listed_only: bool = False) -> None:
    """Add `assert` and its assertions to the sub-parsers of `lab`; `func=run`. listed_only:
    just its name and help (another command runs: building every assertion takes a while)."""
    if listed_only:
        sub.add_parser("assert", help=HELP)
        return
    parser = sub.add_parser(
        "assert",
        help=HELP,
        description="Check one thing and say what was found; for lesson check blocks.",
        epilog=EPILOG,
    )
    parser.set_defaults(func=run)
    checks = parser.add_subparsers(dest="assertion", metavar="ASSERTION", required=True)

    def add(name: str, help_text: str, check: Check) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = checks.add_parser(name, help=help_text, epilog=EPILOG)
        p.set_defaults(check=check)
        return p

    p = add("image-present", "the image is in the local store", _image_present)
    p.add_argument("ref", metavar="REF", help="image reference, e.g. hello-world:latest")
    p.add_argument("--digest", metavar="D", help="one of its repo digests (or its id) must be D")
    p = add("image-absent", "no such image in the local store", _image_absent)
    p.add_argument("ref", metavar="REF")

    for name, help_text, check in [
        ("container-running", "the container exists and runs", _container_running),
        ("container-exists", "the container exists (any status)", _container_exists),
        ("container-absent", "no container has that name", _container_absent),
    ]:
        add(name, help_text, check).add_argument("name", metavar="NAME")

    p = add("port-published", "the container publishes the port (and it answers)", _published)
    p.add_argument("container", metavar="CONTAINER")
    p.add_argument("port", metavar="PORT", help="container port: 80, 80/tcp or 53/udp")
    p.add_argument("--no-answer", action="store_true", help="do not require a server to answer")
    p = add("port-answering", "a TCP server answers at HOST PORT", _answering)
    p.add_argument("host", metavar="HOST")
    p.add_argument("port", metavar="PORT", type=_port_number)

    p = add("registry-has", "the registry serves the tag (or digest)", _registry_has)
    p.add_argument("ref", metavar="REF", help="e.g. 127.0.0.1:5000/hello-world:latest")
    p.add_argument("--digest", metavar="D", help="the digest it must serve for REF")
    _add_connection_options(p)
    p = add("http-status", "GET URL answers STATUS (redirects not followed)", _http_status)
    p.add_argument("url", metavar="URL")
    p.add_argument("status", metavar="STATUS", nargs="?", type=int, default=200)
    _add_connection_options(p)

    p = add("app", "a lesson's app link answers (on its sandbox node, or this host)", _app)
    p.add_argument("lesson", metavar="LESSON", help="the lesson file")
    p.add_argument("number", metavar="N", type=int, help="which app link (1 = the first)")
    p.add_argument("--status", metavar="S", type=int, help="the HTTP status it must answer")

    p = add("file-exists", "the path exists", _file_exists)
    p.add_argument("path", metavar="PATH")
    p = add("file-contains", "the file holds TEXT", _file_contains)
    p.add_argument("path", metavar="PATH")
    p.add_argument("text", metavar="TEXT")


def run(args: argparse.Namespace) -> int:
    """Run the assertion args name, print its verdict; 0 when it holds, 1 when not."""
    check: Check = args.check
    try:
        verdict = check(args)
    except LabError as exc:  # paths in a sandbox node as the node knows them
        exc.message = place.shown(exc.message)
        raise
    verdict = Verdict(verdict.passed, place.shown(verdict.message), place.shown(verdict.details))
    sys.stdout.write(render(verdict, fancy=place.to_terminal(sys.stdout.isatty())) + "\n")
    sys.stdout.flush()
    return int(ExitStatus.OK if verdict.passed else ExitStatus.FAILED)


def render(verdict: Verdict, *, fancy: bool) -> str:
    """`✓ message` / `✗ message` on a terminal, `ok: ` / `FAIL: ` otherwise; details indented."""
    marks = ("✓", "✗") if fancy else ("ok:", "FAIL:")
    mark = marks[0] if verdict.passed else marks[1]
    lines = [f"{mark} {verdict.message}"]
    lines += [f"  {line}" for line in verdict.details.splitlines()]
    return "\n".join(lines)


def _add_connection_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ca", metavar="FILE", help="CA certificate (PEM) to verify TLS with")
    p.add_argument("--user", metavar="U", help="user name for basic or token auth")
    secret = p.add_mutually_exclusive_group()
    secret.add_argument(
        "--password-env", metavar="VAR", help="environment variable with the password"
    )
    secret.add_argument(
        "--password", metavar="P", help="the password (visible in `ps`: prefer --password-env)"
    )


def _credentials(args: argparse.Namespace) -> tuple[str | None, str | None]:
    password: str | None = args.password
    if args.password_env:
        password = os.environ.get(args.password_env)
        if password is None:
            raise UsageError(
                f"environment variable {args.password_env} is not set",
                f"export {args.password_env}=... before `lab assert`, or name another variable",
            )
    if password is not None and not args.user:
        raise UsageError("a password was given without --user", "add --user USER")
    if args.user and password is None:
        raise UsageError(
            f"--user {args.user} needs a password", "add --password-env VAR (VAR holds it)"
        )
    return args.user, password


def _port_number(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number (1-65535)")
    return int(text)


def _image_present(args: argparse.Namespace) -> Verdict:
    from lab.checks.images import image_present

    return image_present(args.ref, args.digest)


def _image_absent(args: argparse.Namespace) -> Verdict:
    from lab.checks.images import image_absent

    return image_absent(args.ref)


def _container_running(args: argparse.Namespace) -> Verdict:
    from lab.checks.containers import container_running

    return container_running(args.name)


def _container_exists(args: argparse.Namespace) -> Verdict:
    from lab.checks.containers import container_exists

    return container_exists(args.name)


def _container_absent(args: argparse.Namespace) -> Verdict:
    from lab.checks.containers import container_absent

    return container_absent(args.name)


def _published(args: argparse.Namespace) -> Verdict:
    from lab.checks.ports import port_published

    return port_published(args.container, args.port, answering=not args.no_answer)


def _answering(args: argparse.Namespace) -> Verdict:
    from lab.checks.ports import port_answering

    return port_answering(args.host, args.port)


def _registry_has(args: argparse.Namespace) -> Verdict:
    from lab.checks.remote import registry_has

    user, password = _credentials(args)
    return registry_has(args.ref, args.digest, ca=_ca(args), user=user, password=password)


def _http_status(args: argparse.Namespace) -> Verdict:
    from lab.checks.remote import http_status

    user, password = _credentials(args)
    return http_status(args.url, args.status, ca=_ca(args), user=user, password=password)


def _file_exists(args: argparse.Namespace) -> Verdict:
    from lab.checks.files import file_exists

    return file_exists(place.locate(args.path))


def _file_contains(args: argparse.Namespace) -> Verdict:
    from lab.checks.files import file_contains

    return file_contains(place.locate(args.path), args.text)


def _ca(args: argparse.Namespace) -> str | None:
    return place.locate(args.ca) if args.ca else None


def _app(args: argparse.Namespace) -> Verdict:
    from lab.lesson.load import load_lesson
    from lab.runner.applinks import check_app_link

    host = place.host_engine()  # in a node, its lesson's nodes are found on the host's engine
    engine = None
    if host is not None:
        import docker

        def engine() -> Any:
            return docker.DockerClient(base_url=host)

    return check_app_link(load_lesson(args.lesson), args.number, args.status, engine=engine)
