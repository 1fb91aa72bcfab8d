"""The modules drive the same sample configs and fake DNS lab as their module_utils' tests."""

from ..module_utils._dns.conftest import lab
from ..module_utils._prosody.conftest import fixture_copy

__all__ = ["fixture_copy", "lab"]
