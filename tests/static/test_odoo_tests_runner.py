"""The Odoo test runner reads Odoo 18's log lines the way CI needs."""

import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("odoo_tests", ROOT / "tools" / "odoo_tests.py")
odoo_tests = importlib.util.module_from_spec(spec)
spec.loader.exec_module(odoo_tests)

PREFIX = "2026-11-25 20:03:01,583 8893"


def test_summary_line_is_parsed():
    """Odoo's closing report gives failed, errors and tests run."""
    line = f"{PREFIX} INFO db odoo.tests.result: 1 failed, 2 error(s) of 37 tests when loading database 'db'"
    match = odoo_tests.SUMMARY.search(line)
    assert tuple(int(x) for x in match.groups()) == (1, 2, 37)


def test_skipped_test_is_seen():
    """A browser test skipped for want of websocket-client is caught."""
    line = (
        f"{PREFIX} INFO db odoo.addons.zm_selfservice.tests.test_tour: skipped "
        "test_portal (odoo.addons.zm_selfservice.tests.test_tour.TestTour.test_portal) : "
        "websocket-client module is not installed"
    )
    match = odoo_tests.SKIPPED.search(line)
    assert match and "websocket-client" in match.group(2)


def test_install_warning_about_our_code_is_a_complaint():
    """A field warning about one of our models fails the run; our runtime warnings do not."""
    line = f"{PREFIX} WARNING db odoo.fields: Field zm.subscriber.x: unknown parameter 'foo'"
    assert odoo_tests.is_complaint("WARNING", "odoo.fields", line)
    runtime = f"{PREFIX} WARNING db odoo.addons.zm_payment_alipay.controllers.main: forged zm"
    assert not odoo_tests.is_complaint(
        "WARNING", "odoo.addons.zm_payment_alipay.controllers.main", runtime
    )
    other = f"{PREFIX} WARNING db odoo.addons.base.models.ir_cron: unrelated"
    assert not odoo_tests.is_complaint("WARNING", "odoo.addons.base.models.ir_cron", other)


def test_errors_outside_tests_are_complaints():
    """An ERROR logged while installing fails the run; test failures are left to the summary."""
    assert odoo_tests.is_complaint("ERROR", "odoo.modules.loading", "x")
    assert not odoo_tests.is_complaint("ERROR", "odoo.addons.zm_broadband.tests.test_area", "x")


def _fake_odoo(tmp_path, odoo_bin):
    """An 'Odoo 18' whose odoo-bin is the given script, for the runner's own checks."""
    src = tmp_path / "odoo-src"
    (src / "odoo").mkdir(parents=True)
    (src / "odoo" / "__init__.py").write_text("")
    (src / "odoo" / "release.py").write_text("version_info = (18, 0, 0, 'final', 0, '')\n")
    (src / "addons").mkdir()
    (src / "odoo-bin").write_text(odoo_bin)
    return src


def test_odoo_that_stops_before_any_test_counts_a_failure(tmp_path):
    """An Odoo that dies while loading (e.g. an add-on's dependency is missing) writes a
    report with one failure, so the closing line cannot say '0 failed'."""
    import json
    import os
    import subprocess
    import sys

    src = _fake_odoo(
        tmp_path,
        "import sys\nprint('Traceback (most recent call last):')\n"
        "print('Exception: Package `packaging` is required')\nsys.exit(255)\n",
    )
    report = tmp_path / "odoo.json"
    env = dict(os.environ, ZM_ODOO_SRC=str(src), ZM_ODOO_PYTHON=sys.executable)
    run = subprocess.run(
        [
            sys.executable,
            ROOT / "tools" / "odoo_tests.py",
            "--summary",
            report,
            "--db",
            "zm_never_made",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=src,
    )
    assert run.returncode == 1
    assert "before reporting any test" in run.stdout
    assert json.loads(report.read_text()) == {"passed": 0, "failed": 1, "skipped": 0}
