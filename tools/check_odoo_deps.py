"""Prove that Odoo can install every add-on of this repository, before any test runs.

Run with Odoo's Python and Odoo's source on ``sys.path`` (tools/setup.sh does). For
each add-on it checks, with Odoo's own functions, what Odoo checks when installing
it: the manifest's external dependencies (Python distributions and binaries, read
the way ``odoo.modules.module.check_manifest_dependencies`` reads them) and that every
add-on it depends on exists in Odoo's add-ons or ours. Prints one line per problem
and exits 1 when there is any.
"""

import ast
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main(odoo_src, addons_dir=ROOT / "addons"):
    sys.path.insert(0, str(odoo_src))
    try:
        from odoo.modules.module import check_manifest_dependencies
    except Exception as exc:  # noqa: BLE001 - any failure here is the answer
        print(f"setup: Odoo at {odoo_src} cannot be imported: {exc}")
        return 1
    ours = {p.parent.name: p for p in sorted(pathlib.Path(addons_dir).glob("*/__manifest__.py"))}
    available = set(ours)
    for manifest in (pathlib.Path(odoo_src) / "addons").glob("*/__manifest__.py"):
        available.add(manifest.parent.name)
    available |= {"base", "web"}
    problems = []
    for name, path in ours.items():
        manifest = ast.literal_eval(path.read_text())
        if not manifest.get("installable", True):
            continue
        try:
            check_manifest_dependencies(manifest)
        except Exception as exc:  # noqa: BLE001 - Odoo raises bare Exception
            problems.append(f"{name}: {exc}")
        for dep in manifest.get("depends", []):
            if dep not in available:
                problems.append(f"{name}: depends on the add-on {dep!r}, which is not there")
    for problem in problems:
        print(f"setup: Odoo cannot install {problem}")
    if not problems:
        print(f"setup: Odoo can install {', '.join(ours)} (external dependencies resolve)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
