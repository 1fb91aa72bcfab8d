"""Integration tests run against the live lab (``lab/lab.sh up``) and the peers' tools.

The collection is imported through ``.build/collections`` as in the unit tests; the repo
root is put on the path too, for ``benchmarks.peers`` (the sslyze and testssl.sh runners
shared with ``make bench``).
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / ".build" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "xmpp" / "encryption"

if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(REPO, target_is_directory=True)
sys.path.insert(0, str(COLLECTIONS))
sys.path.insert(0, str(REPO))
