"""Make the collection importable as ``ansible_collections.xmpp.encryption``.

Ansible finds the collection through ``.build/collections`` (the Makefile links it there);
the unit tests import it through the same link, so there is one layout for both.

The tests mirror the source tree: ``plugins/module_utils/<package>/test_<file>.py``,
``plugins/modules/test_<module>.py``, ``plugins/filter/test_<filter>.py``; tests of files
outside plugins/ sit under the folder that mirrors theirs (``docs/``, ``integration/``).
What tests share is the package ``tests/unit/support``, imported through the same link as
``ansible_collections.xmpp.encryption.tests.unit.support``:

- ``pki``: the test PKI (keys, certificates, chains, their files)
- ``tls_server``: the real TLS server, its context and certificate files
- ``modules``: ``run_module``, a module's ``main()`` run as AnsibleModule runs it
- ``fakes``: hostile fake XMPP and TLS servers, the fake DNS server and lab, the fleet fakes
- ``builders``: probe results and report inputs for the grading and report tests
- ``chromium``: a headless Chromium driven over the DevTools protocol
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
