"""Every add-on ships zh_CN for every string of its template (operators read Chinese)."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ADDONS = sorted(p.parent for p in ROOT.glob("addons/*/__manifest__.py"))


def _entries(path):
    """(msgid, msgstr) pairs of a .po/.pot file (enough of the format for this check)."""
    text = path.read_text(encoding="utf-8")
    entries = []
    for block in re.split(r"\n\s*\n", text):
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        msgstr = re.search(r'^msgstr ((?:".*"\n?)+)', block, re.M)
        if msgid and msgstr:
            join = lambda part: "".join(re.findall(r'"(.*)"', part))  # noqa: E731
            entries.append((join(msgid.group(1)), join(msgstr.group(1))))
    return [(i, s) for i, s in entries if i]


@pytest.mark.parametrize("addon", ADDONS, ids=lambda p: p.name)
def test_every_string_has_chinese(addon):
    pot, po = addon / "i18n" / f"{addon.name}.pot", addon / "i18n" / "zh_CN.po"
    assert pot.is_file() and po.is_file(), f"{addon.name} ships no template or no zh_CN"
    template = {msgid for msgid, __ in _entries(pot)}
    chinese = dict(_entries(po))
    missing = sorted(msgid for msgid in template if not chinese.get(msgid))
    assert not missing, f"{len(missing)} untranslated: {missing[:5]}"
