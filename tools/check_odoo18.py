"""Odoo 18 breakages that no linter catches: old view syntax and removed APIs."""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PATTERNS = [
    (re.compile(r"<tree\b"), "<tree> is <list> in Odoo 18", {".xml"}),
    (
        re.compile(r"\battrs\s*="),
        "attrs= was removed: use invisible= / readonly= / required=",
        {".xml"},
    ),
    (re.compile(r'\bstates\s*=\s*"'), "states= was removed: use invisible=", {".xml"}),
    (re.compile(r"\bstates\s*=\s*\{"), "field states= was removed: use readonly=", {".py"}),
    (re.compile(r"numbercall"), "crons have no numbercall in Odoo 18", {".xml", ".py", ".csv"}),
    (re.compile(r"oe_chatter"), "use <chatter/> in Odoo 18", {".xml"}),
    (
        re.compile(r"\bdef name_get\b|\.name_get\("),
        "name_get is gone: _compute_display_name",
        {".py"},
    ),
    (re.compile(r"check_access_rights\("), "use has_access() / check_access() in Odoo 18", {".py"}),
    (re.compile(r"group_operator\s*="), "group_operator= is aggregator= in Odoo 18", {".py"}),
]


def find_problems(root=ROOT):
    """Lines of the add-ons under ``root`` that use syntax or APIs Odoo 18 removed."""
    problems = []
    for path in sorted((root / "addons").rglob("*")):
        if not path.is_file():
            continue
        for pattern, message, suffixes in PATTERNS:
            if path.suffix not in suffixes:
                continue
            for lineno, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if pattern.search(line):
                    problems.append(f"{path.relative_to(root)}:{lineno}: {message}")
    return problems


def main():
    problems = find_problems()
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
