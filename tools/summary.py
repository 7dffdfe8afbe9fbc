"""Print one closing line for the whole test run: pytest and Odoo tests together."""

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


def main(pytest_xml, odoo_json, static_failed="0"):
    counts = pytest_counts(pathlib.Path(pytest_xml))
    counts["failed"] += int(static_failed)
    odoo = pathlib.Path(odoo_json)
    if odoo.is_file():
        for key, value in json.loads(odoo.read_text()).items():
            counts[key] += value
    print(
        f"total: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
