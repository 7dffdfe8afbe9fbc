"""The project check for Odoo 18 breakages flags each removed syntax and passes clean code."""

import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("check_odoo18", ROOT / "tools" / "check_odoo18.py")
check_odoo18 = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_odoo18)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("views.xml", '<tree string="x"><field name="a"/></tree>'),
        ("views.xml", '<field name="a" attrs="{\'invisible\': 1}"/>'),
        ("views.xml", '<button name="x" states="draft"/>'),
        ("cron.xml", '<field name="numbercall">-1</field>'),
        ("views.xml", '<div class="oe_chatter"/>'),
        ("model.py", "    name = fields.Char(states={'done': [('readonly', True)]})"),
        ("model.py", "    def name_get(self):"),
        ("model.py", "        self.check_access_rights('read')"),
        ("model.py", "    amount = fields.Float(group_operator='sum')"),
    ],
)
def test_flags_removed_syntax(tmp_path, name, text):
    """Each pre-18 construct in an add-on is reported with its file and line."""
    module = tmp_path / "addons" / "zm_x"
    module.mkdir(parents=True)
    (module / name).write_text("first line\n" + text + "\n")
    problems = check_odoo18.find_problems(tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith(f"addons/zm_x/{name}:2:")


def test_clean_module_passes(tmp_path):
    """Odoo 18 syntax (<list>, invisible=, <chatter/>) is not reported."""
    module = tmp_path / "addons" / "zm_x"
    module.mkdir(parents=True)
    (module / "views.xml").write_text(
        '<list><field name="a" invisible="state != \'draft\'"/></list>\n<chatter/>\n'
    )
    (module / "model.py").write_text(
        "    def _compute_display_name(self):\n        states = dict(rows)\n"
    )
    assert check_odoo18.find_problems(tmp_path) == []
