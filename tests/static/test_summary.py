"""The closing line adds pytest's and Odoo's counts, and counts every failed stage."""

import importlib.util
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("summary", ROOT / "tools" / "summary.py")
summary = importlib.util.module_from_spec(spec)
spec.loader.exec_module(summary)

JUNIT = (
    '<testsuites><testsuite name="pytest" tests="10" failures="1" errors="1" skipped="2">'
    "</testsuite></testsuites>"
)


def test_counts_are_added(tmp_path):
    """10 pytest tests (1 failure, 1 error, 2 skips) + 5 Odoo tests + a static failure."""
    (tmp_path / "p.xml").write_text(JUNIT)
    (tmp_path / "o.json").write_text(json.dumps({"passed": 5, "failed": 0, "skipped": 0}))
    line = summary.closing_line(
        tmp_path / "p.xml", tmp_path / "o.json", ["static checks", "pytest"]
    )
    assert line == "total: 11 passed, 3 failed, 2 skipped"


def test_missing_files_count_nothing(tmp_path):
    """Without reports and without a failed stage the line prints zeros."""
    line = summary.closing_line(tmp_path / "none.xml", tmp_path / "none.json")
    assert line == "total: 0 passed, 0 failed, 0 skipped"


def test_failed_stage_without_report_counts_a_failure(tmp_path):
    """Odoo stopping before any test (no report at all) is never '0 failed'."""
    (tmp_path / "p.xml").write_text(
        JUNIT.replace('failures="1" errors="1"', 'failures="0" errors="0"')
    )
    line = summary.closing_line(tmp_path / "p.xml", tmp_path / "none.json", ["Odoo tests"])
    assert line == "total: 8 passed, 1 failed, 2 skipped"


def test_command_line(tmp_path):
    """tools/test.sh passes the failed stages after the two report paths."""
    out = subprocess.run(
        [sys.executable, ROOT / "tools" / "summary.py", tmp_path / "x", tmp_path / "y", "pytest"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "total: 0 passed, 1 failed, 0 skipped"
