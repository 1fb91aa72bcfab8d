"""The scan tests reuse the DNS tests' fake server (a plain module there, not a package)."""

import sys
from pathlib import Path

DNS_TESTS = Path(__file__).resolve().parents[1] / "dns"
if str(DNS_TESTS) not in sys.path:
    sys.path.insert(0, str(DNS_TESTS))
