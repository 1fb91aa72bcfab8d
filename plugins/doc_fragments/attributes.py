# Copyright: xmpp.encryption developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The check mode and diff mode attributes every module declares.

``DOCUMENTATION`` says what each attribute means; a module then states its own support, or
takes ``READ_ONLY`` when it changes nothing at all.
"""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode, changing nothing and returning what it would change.
  diff_mode:
    description: Returns the changes it makes, or would make in check mode, as a diff.
"""

    READ_ONLY = r"""
options: {}
attributes:
  check_mode:
    support: full
    details: The module only reads, so it runs the same in check mode.
  diff_mode:
    support: N/A
    details: The module changes nothing.
"""
