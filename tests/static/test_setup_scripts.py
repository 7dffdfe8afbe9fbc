"""The set-up scripts prove the install and leave other people's processes alone."""

import os
import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ODOO_SRC = pathlib.Path(os.environ.get("ZM_ODOO_SRC") or "/opt/odoo18/src")
ODOO_PYTHON = pathlib.Path(os.environ.get("ZM_ODOO_PYTHON") or "/opt/odoo18/venv/bin/python")
HAVE_ODOO = (ODOO_SRC / "odoo-bin").is_file() and ODOO_PYTHON.exists()


def test_no_script_kills_processes_by_name():
    """`make setup` stops Debian's freeradius service only, never every freeradius process."""
    for script in (ROOT / "tools").glob("*.sh"):
        text = script.read_text()
        assert not re.search(r"\b(pkill|killall)\b", text), f"{script.name} kills by name"


def _check(addons_dir):
    return subprocess.run(
        [ODOO_PYTHON, ROOT / "tools" / "check_odoo_deps.py", ODOO_SRC, addons_dir],
        capture_output=True,
        text=True,
    )


@pytest.mark.skipif(not HAVE_ODOO, reason="no Odoo 18 at the fixed place")
def test_odoo_can_install_our_addons():
    """Odoo's own dependency check passes for every add-on of the repository."""
    run = _check(ROOT / "addons")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Odoo can install" in run.stdout


@pytest.mark.skipif(not HAVE_ODOO, reason="no Odoo 18 at the fixed place")
def test_missing_dependency_is_named(tmp_path):
    """A Python distribution or add-on that does not resolve fails set-up with its name."""
    addon = tmp_path / "zm_probe"
    addon.mkdir()
    shutil.copy(ROOT / "addons" / "zm_broadband" / "__manifest__.py", addon)
    manifest = addon / "__manifest__.py"
    text = manifest.read_text().replace(
        '"python": ["zm-broadband"]', '"python": ["zm-broadband", "no-such-distribution-zm"]'
    )
    manifest.write_text(text.replace('"depends": [', '"depends": ["no_such_addon_zm", '))
    run = _check(tmp_path)
    assert run.returncode == 1
    assert "no-such-distribution-zm" in run.stdout
    assert "no_such_addon_zm" in run.stdout


def test_install_never_deletes_what_it_did_not_make(tmp_path):
    """A mistyped ZM_ODOO_PYTHON must not make set-up wipe the directory it points into."""
    src = tmp_path / "odoo-src"
    src.mkdir()
    (src / "odoo-bin").write_text("")
    victim = tmp_path / "victim"
    (victim / "bin").mkdir(parents=True)
    (victim / "IMPORTANT.txt").write_text("keep me")
    env = dict(
        os.environ,
        ZM_ODOO_SRC=str(src),
        ZM_ODOO_PYTHON=str(victim / "bin" / "pyhton3"),
        ZM_ODOO_HOME=str(tmp_path),
    )
    run = subprocess.run(
        ["bash", ROOT / "tools" / "install_odoo.sh"], env=env, capture_output=True, text=True
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "not a Python" in run.stderr
    assert (victim / "IMPORTANT.txt").read_text() == "keep me"
