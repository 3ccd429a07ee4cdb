"""`lab assert` glue without Docker: parsing, credentials, rendering, exit codes."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from lab.checks import Verdict
from lab.cli.assertcmd import add_parser, render, run
from lab.errors import UsageError
from tests.conftest import ROOT


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lab")
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_render_on_a_terminal_and_in_a_pipe() -> None:
    ok = Verdict(True, "image hello-world:latest is present (sha256:21dae3c24f8b…)")
    bad = Verdict(False, "container 'registry' is not running", "hint: docker start registry")
    assert render(ok, fancy=True) == "✓ image hello-world:latest is present (sha256:21dae3c24f8b…)"
    assert render(bad, fancy=True).startswith("✗ container 'registry'")
    assert render(ok, fancy=False).startswith("ok: image")
    assert render(bad, fancy=False) == (
        "FAIL: container 'registry' is not running\n  hint: docker start registry"
    )


def test_run_prints_and_exits_0_or_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("registry:2\n")
    assert run(parse("assert", "file-contains", str(tmp_path / "notes.txt"), "registry")) == 0
    assert run(parse("assert", "file-exists", str(tmp_path / "nope.txt"))) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"ok: file {tmp_path / 'notes.txt'} contains 'registry'"
    assert out[1].startswith(f"FAIL: file {tmp_path / 'nope.txt'} does not exist")


def test_arguments_land_where_the_assertions_want_them() -> None:
    args = parse("assert", "http-status", "http://x/", "401", "--user", "u", "--password-env", "V")
    assert (args.url, args.status, args.user, args.password_env) == ("http://x/", 401, "u", "V")
    assert parse("assert", "http-status", "http://x/").status == 200
    args = parse("assert", "port-published", "web", "80/tcp", "--no-answer")
    assert (args.container, args.port, args.no_answer) == ("web", "80/tcp", True)
    assert parse("assert", "registry-has", "h:5000/a:b", "--digest", "sha256:ab").digest


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--user", "u", "--password-env", "LAB_UNSET_VAR"], {}, "LAB_UNSET_VAR is not set"),
        (["--user", "u"], {}, "--user u needs a password"),
        (["--password-env", "LAB_PW"], {"LAB_PW": "x"}, "a password was given without --user"),
    ],
)
def test_credential_mistakes_are_usage_errors(
    argv: list[str], env: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAB_UNSET_VAR", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(UsageError) as info:
        run(parse("assert", "registry-has", "127.0.0.1:1/a:b", *argv))
    assert message in info.value.message


def test_bad_ports_and_digests_are_usage_errors() -> None:
    with pytest.raises(SystemExit):
        parse("assert", "port-answering", "127.0.0.1", "http")
    with pytest.raises(UsageError) as info:
        run(parse("assert", "registry-has", "127.0.0.1:1/a:b", "--digest", "nope"))
    assert "'nope' is not a digest" in info.value.message


def test_checks_import_no_textual() -> None:
    code = (
        "import sys, lab.checks, lab.cli.assertcmd\n"
        "sys.exit(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True)
    assert proc.returncode == 0, proc.stderr
