"""The modules drive the same sample configs and fake DNS zones as their module_utils' tests."""

from ..module_utils._dns.conftest import lab, tlsa_zones
from ..module_utils._prosody.conftest import fixture_copy

__all__ = ["fixture_copy", "lab", "tlsa_zones"]
