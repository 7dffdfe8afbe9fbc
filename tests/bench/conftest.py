import sys
from pathlib import Path

# bench/ is run from a checkout, not installed: make it importable for its tests.
_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)
