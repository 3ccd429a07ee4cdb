"""file_exists / file_contains on real temporary files."""

from __future__ import annotations

from pathlib import Path

from lab.checks import file_contains, file_exists


def test_file_exists(tmp_path: Path) -> None:
    (tmp_path / "config.yml").write_text("version: 0.1\n")
    assert file_exists(tmp_path / "config.yml").message == (
        f"file {tmp_path / 'config.yml'} exists (13 bytes)"
    )
    assert file_exists(tmp_path).message == f"directory {tmp_path} exists"


def test_missing_file_suggests_close_names(tmp_path: Path) -> None:
    (tmp_path / "config.yml").write_text("")
    verdict = file_exists(tmp_path / "config.yaml")
    assert not verdict.passed
    assert verdict.message == (
        f"file {tmp_path / 'config.yaml'} does not exist (did you mean {tmp_path / 'config.yml'}?)"
    )
    lost = file_exists(tmp_path / "nowhere" / "x")
    assert lost.message.endswith(f"(directory {tmp_path / 'nowhere'} does not exist either)")


def test_file_contains(tmp_path: Path) -> None:
    path = tmp_path / "htpasswd"
    path.write_text("user:$2y$05$abc\nother:$2y$05$def\n")
    assert file_contains(path, "user:$2y$").passed
    verdict = file_contains(path, "admin:")
    assert not verdict.passed
    assert verdict.message == f"file {path} does not contain 'admin:' (2 lines)"
    assert not file_contains(tmp_path, "x").passed
    assert "does not exist" in file_contains(tmp_path / "nope", "x").message
