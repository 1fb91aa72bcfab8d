"""The filters through their FilterModule, and once through a real ansible-playbook run."""

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.xmpp.encryption.plugins.filter.grade import FilterModule
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.grade import grade_endpoint
from ansible_collections.xmpp.encryption.tests.unit.support.builders.grading import (
    SECURE_DNS,
    clean_result,
    result_with,
)
from ansible_collections.xmpp.encryption.tests.unit.support.modules import run_playbook

FILTERS = FilterModule().filters()


def test_filter_names():
    assert set(FILTERS) == {"grade", "grade_domain", "policy_breaches"}


def test_grade_filter_matches_the_function():
    r = result_with({"tls.versions.SSLv3": True})
    assert FILTERS["grade"](r) == grade_endpoint(r).as_dict()
    assert FILTERS["grade"](r)["grade"] == "B"


def test_grade_filter_arguments():
    assert FILTERS["grade"](clean_result(), dns=SECURE_DNS)["grade"] == "A+"
    r = result_with({"certificate.days_left": 20})
    assert FILTERS["grade"](r)["grade"] == "A-"
    # Jinja may hand numbers over as strings
    assert FILTERS["grade"](r, renew_days="10")["grade"] == "A"


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda: FILTERS["grade"]("not a dict"), "expects a probe result"),
        (lambda: FILTERS["grade"](clean_result(), dns="yes"), "dns must be a dict"),
        (lambda: FILTERS["grade"](clean_result(), renew_days="soon"), "renew_days"),
        (lambda: FILTERS["policy_breaches"](clean_result(), {"nope": 1}), "nope"),
        (lambda: FILTERS["policy_breaches"](clean_result(), ["min_grade"]), "policy must be"),
        (lambda: FILTERS["policy_breaches"](42), "expects a probe result"),
        (lambda: FILTERS["grade_domain"]([1, 2]), "expects a probe result"),
    ],
)
def test_bad_input_is_a_filter_error(call, needle):
    with pytest.raises(AnsibleFilterError, match=needle):
        call()


def test_policy_breaches_single_and_list():
    bad = result_with({"tls.versions.TLSv1.0": True})
    assert FILTERS["policy_breaches"](clean_result()) == []
    one = FILTERS["policy_breaches"](bad)
    assert [b["code"] for b in one] == ["tls-version"]
    many = FILTERS["policy_breaches"]([clean_result(), bad], {"min_tls_version": "TLSv1.0"})
    assert many == []
    dane = FILTERS["policy_breaches"]([clean_result()], {"require_dane": True}, dns=SECURE_DNS)
    assert dane == []


def test_grade_domain_from_probes_and_from_grades():
    probes = [clean_result("c2s"), result_with({"tls.compression": True}, stream="s2s")]
    from_probes = FILTERS["grade_domain"](probes, domain="example.test")
    grades = [FILTERS["grade"](p) for p in probes]
    from_grades = FILTERS["grade_domain"](grades, domain="example.test")
    assert from_probes == from_grades
    assert from_probes["grade"] == "C"
    assert from_probes["caps"][0]["endpoint"].startswith("example.test s2s")


def test_through_ansible_playbook(tmp_path):
    """The filters as a playbook sees them: FQCN lookup, keyword arguments, Jinja types."""
    probe = tmp_path / "probe.json"
    probe.write_text(json.dumps(result_with({"certificate.days_left": 20})))
    run = run_playbook(
        """
- hosts: localhost
  gather_facts: false
  vars:
    probe: "{{ lookup('file', probe_file) | from_json }}"
  tasks:
    - ansible.builtin.debug:
        msg:
          plain: "{{ (probe | xmpp.encryption.grade).grade }}"
          relaxed: "{{ (probe | xmpp.encryption.grade(renew_days=10)).grade }}"
          plus: "{{ (probe | xmpp.encryption.grade(dns=dns, renew_days=10)).grade }}"
          breaches: "{{ probe | xmpp.encryption.policy_breaches({'min_days_left': 30}) }}"
          domain: "{{ ([probe] | xmpp.encryption.grade_domain).grade }}"
      vars:
        dns: {srv_secure: true, tlsa_matched: true}
""",
        tmp_path,
        "-e",
        f"probe_file={probe}",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    out = json.loads(run.stdout)
    msg = out["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"]
    assert msg["plain"] == "A-"
    assert msg["relaxed"] == "A"
    assert msg["plus"] == "A+"
    assert msg["domain"] == "A-"
    assert [b["code"] for b in msg["breaches"]] == ["certificate-days"]
