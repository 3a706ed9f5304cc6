"""Where a report goes: missing parent directories are created, as pytest's --junitxml does;
a path that cannot take a report is named, never raised."""

from __future__ import annotations

from pathlib import Path

from apikeys_contract.report import prepare_report_path


def test_missing_parent_directories_are_created(tmp_path: Path) -> None:
    path = tmp_path / "reports" / "ci" / "conformance.xml"
    assert prepare_report_path(path) is None
    assert path.parent.is_dir()
    assert not path.exists()


def test_an_existing_directory_or_file_is_reused(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    assert prepare_report_path(path) is None
    path.write_text("{}")
    assert prepare_report_path(str(path)) is None


def test_a_directory_is_not_a_report_path(tmp_path: Path) -> None:
    assert prepare_report_path(tmp_path) == f"{tmp_path} is a directory"


def test_a_file_in_the_way_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("")
    assert prepare_report_path(blocker / "x.xml") == f"{blocker} is not a directory"
    path = blocker / "a" / "b" / "x.xml"
    assert prepare_report_path(path) == (
        f"cannot create directory {path.parent}: {blocker} is not a directory"
    )
