"""Make the collection importable as ``ansible_collections.xmpp.encryption``.

Ansible finds the collection through ``.build/collections`` (the Makefile links it there);
the unit tests import it through the same link, so there is one layout for both.
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
