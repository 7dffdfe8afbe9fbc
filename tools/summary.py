"""Print one closing line for the whole test run: pytest and Odoo tests together.

    summary.py PYTEST_XML[,PYTEST_XML...] ODOO_JSON [FAILED_STAGE ...]

A stage named as failed (static checks, pytest, Odoo tests) counts at least one
failure even when it left no counts behind (a crash before its report, a run that
could not start), so the line never says "0 failed" for a red run.
"""

import json
import pathlib
import sys
import xml.etree.ElementTree as ET


def pytest_counts(path):
    if not path.is_file():
        return {"passed": 0, "failed": 0, "skipped": 0}
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    total = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return {"passed": total - failed - skipped, "failed": failed, "skipped": skipped}


def odoo_counts(path):
    if not path.is_file():
        return {"passed": 0, "failed": 0, "skipped": 0}
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    counts.update(json.loads(path.read_text()))
    return counts


def closing_line(pytest_xml, odoo_json, failed_stages=()):
    reports = [pytest_counts(pathlib.Path(x)) for x in str(pytest_xml).split(",") if x]
    parts = {
        "pytest": {k: sum(r[k] for r in reports) for k in ("passed", "failed", "skipped")},
        "Odoo tests": odoo_counts(pathlib.Path(odoo_json)),
    }
    for stage in failed_stages:
        counts = parts.setdefault(stage, {"passed": 0, "failed": 0, "skipped": 0})
        counts["failed"] = max(counts["failed"], 1)
    total = {
        key: sum(counts[key] for counts in parts.values())
        for key in ("passed", "failed", "skipped")
    }
    return f"total: {total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped"


if __name__ == "__main__":
    print(closing_line(sys.argv[1], sys.argv[2], sys.argv[3:]))
