#!/usr/bin/python
# Copyright: xmpp.encryption developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the verify stage's fleet reports (JSON, JUnit XML, HTML, Markdown) into a folder."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: verify_report
short_description: Write the fleet reports of the verify stage
version_added: "0.1.0"
description:
  - Turns a fleet scan (every domain with its grade, policy breaches and probed endpoints)
    into reports for people and pipelines, written into one folder as
    C(NAME.json) (one document per run, see C(docs/report.schema.json)),
    C(NAME.junit.xml) (one test suite per domain, one test case per check),
    C(NAME.html) (one self-contained page) and C(NAME.md) (a short summary for a
    pull-request comment).
  - Each file is written to a temporary name and renamed, so a reader never sees half a
    report. A file whose content would not change is not touched.
  - "Run it where the reports should land, usually the controller
    (C(delegate_to: localhost) and C(run_once: true))."
author:
  - xmpp.encryption developers (@xmpp-encryption)
extends_documentation_fragment:
  - xmpp.encryption.attributes
options:
  results:
    description:
      - The fleet scan, one entry per domain with the keys C(domain), C(grade) (from the
        P(xmpp.encryption.grade_domain#filter) filter), C(breaches) (from the
        P(xmpp.encryption.policy_breaches#filter) filter) and C(endpoints) (the
        M(xmpp.encryption.tls_info) results of the domain, each with its own C(grade)).
    type: list
    elements: dict
    required: true
  dest:
    description:
      - The folder to write into; it is created when missing.
    type: path
    required: true
  name:
    description:
      - The reports' file name without its suffix.
    type: str
    default: report
  formats:
    description:
      - Which reports to write.
    type: list
    elements: str
    choices: [json, junit, html, markdown]
    default: [json, junit, html, markdown]
  policy:
    description:
      - The policy the fleet was held against, recorded in the reports. Its C(min_grade),
        C(require_plaintext_refused), C(require_forward_secrecy), C(require_s2s_cert_auth)
        and C(require_dane) also decide which JUnit checks apply.
    type: dict
    default: {}
  verdict:
    description:
      - The run's verdict. When not given, the run fails if any domain has a breach.
    type: str
    choices: [pass, fail]
  started:
    description:
      - When the scan started (ISO 8601). Defaults to the time this module runs.
    type: str
  finished:
    description:
      - When the scan finished (ISO 8601). Defaults to the time this module runs.
    type: str
  collection_version:
    description:
      - The version of this collection that made the scan, recorded in the reports.
    type: str
    default: unknown
seealso:
  - module: xmpp.encryption.tls_info
attributes:
  check_mode:
    support: full
    details: Every report is rendered and the files that would change are returned; nothing is
      written.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Write the fleet reports on the controller
  xmpp.encryption.verify_report:
    results: "{{ fleet_results }}"
    dest: "{{ playbook_dir }}/reports"
    policy: "{{ verify_policy }}"
    started: "{{ scan_started }}"
    finished: "{{ now(utc=true).isoformat() }}"
  delegate_to: localhost
  run_once: true
  register: report

- name: Show where the HTML report is
  ansible.builtin.debug:
    msg: "{{ report.paths.html }} ({{ report.verdict }})"
"""

RETURN = r"""
paths:
  description: Each format and the path of its report (the path it would have in check mode).
  returned: success
  type: dict
  sample:
    json: /srv/ci/reports/report.json
    junit: /srv/ci/reports/report.junit.xml
    html: /srv/ci/reports/report.html
    markdown: /srv/ci/reports/report.md
changed_formats:
  description: The formats whose file was written because it was new or different.
  returned: success
  type: list
  elements: str
  sample: [json, html]
verdict:
  description: The run's verdict as the reports state it.
  returned: success
  type: str
  sample: fail
counts:
  description: The counts the reports state (domains, passed, failed, endpoints, breaches, grades).
  returned: success
  type: dict
  sample:
    domains: 4
    domains_passed: 1
    domains_failed: 3
    endpoints: 6
    endpoints_unreachable: 1
    breaches: 13
    grades: {"A+": 1, "T": 1, "F": 2}
"""

from datetime import UTC, datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xmpp.encryption.plugins.module_utils._report.document import (
    ReportError,
    build_document,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._report.write import (
    FORMATS,
    write_reports,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "results": {"type": "list", "elements": "dict", "required": True},
            "dest": {"type": "path", "required": True},
            "name": {"type": "str", "default": "report"},
            "formats": {
                "type": "list",
                "elements": "str",
                "choices": list(FORMATS),
                "default": list(FORMATS),
            },
            "policy": {"type": "dict", "default": {}},
            "verdict": {"type": "str", "choices": ["pass", "fail"]},
            "started": {"type": "str"},
            "finished": {"type": "str"},
            "collection_version": {"type": "str", "default": "unknown"},
        },
        supports_check_mode=True,
    )
    p = module.params
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    try:
        document = build_document(
            p["results"],
            started=p["started"] or now,
            finished=p["finished"] or now,
            policy=p["policy"],
            collection_version=p["collection_version"],
            verdict=p["verdict"],
        )
        written = write_reports(
            document, p["dest"], p["formats"], name=p["name"], check_mode=module.check_mode
        )
    except ReportError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(
        changed=bool(written.changed),
        paths=written.paths,
        changed_formats=list(written.changed),
        verdict=document["verdict"],
        counts=document["counts"],
    )


if __name__ == "__main__":
    main()
