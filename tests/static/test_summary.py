"""The closing line adds pytest's and Odoo's counts, and a failed static check."""

import importlib.util
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("summary", ROOT / "tools" / "summary.py")
summary = importlib.util.module_from_spec(spec)
spec.loader.exec_module(summary)

JUNIT = (
    '<testsuites><testsuite name="pytest" tests="10" failures="1" errors="1" skipped="2">'
    "</testsuite></testsuites>"
)


def test_counts_are_added(tmp_path, capsys):
    """10 pytest tests (1 failure, 1 error, 2 skips) + 5 Odoo tests + a static failure."""
    (tmp_path / "p.xml").write_text(JUNIT)
    (tmp_path / "o.json").write_text(json.dumps({"passed": 5, "failed": 0, "skipped": 0}))
    summary.main(str(tmp_path / "p.xml"), str(tmp_path / "o.json"), "1")
    assert capsys.readouterr().out.strip() == "total: 11 passed, 3 failed, 2 skipped"


def test_missing_files_count_nothing(tmp_path, capsys):
    """Without reports (e.g. Odoo skipped) the line still prints, with zeros."""
    summary.main(str(tmp_path / "none.xml"), str(tmp_path / "none.json"))
    assert capsys.readouterr().out.strip() == "total: 0 passed, 0 failed, 0 skipped"
