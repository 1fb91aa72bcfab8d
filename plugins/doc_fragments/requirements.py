# Copyright: xmpp.encryption developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The libraries a module needs on the host it runs on.

The versions are the minimums ``module_utils/_common/dependencies.py`` checks
(``MIN_CRYPTOGRAPHY``, ``MIN_DNSPYTHON``); a unit test keeps the two in step.
"""

from __future__ import annotations


class ModuleDocFragment:
    CRYPTOGRAPHY = r"""
options: {}
requirements:
  - cryptography >= 42.0
"""

    DNSPYTHON = r"""
options: {}
requirements:
  - dnspython >= 2.6
"""
