"""Name planning: normalisation, components, IDN, dedupe, grouping, errors, comparison."""

from __future__ import annotations

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._certificate.names import (
    CertNameError,
    NameSet,
    compare_names,
    dns_id_covers,
    normalize_name,
    normalize_srv_id,
    normalize_xmpp_addr,
    plan_certificates,
    required_names,
    to_unicode,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Example.ORG", "example.org"),
        ("example.org.", "example.org"),
        ("  example.org ", "example.org"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("XN--BCHER-KVA.example", "xn--bcher-kva.example"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("localhost", "localhost"),
    ],
)
def test_normalize(raw, expected):
    assert normalize_name(raw, "domains[0]") == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "is empty"),
        (".", "is empty"),
        ("a..example", "empty label"),
        ("*.example.org", "wildcard"),
        ("ex_ample.org", "invalid label"),
        ("-bad.example.org", "invalid label"),
        ("bad-.example.org", "invalid label"),
        ("exa mple.org", "invalid label"),
        ("user@example.org", "invalid label"),
        ("192.0.2.1", "IP address"),
        ("::1", "IP address"),
        ("example.123", "all-numeric"),
        ("a" * 64 + ".org", "at most 63"),
        (".".join(["a" * 63] * 4) + ".org", "at most 253"),
        ("xn--zz.example", "invalid A-label"),
        (42, "must be a string"),
    ],
)
def test_invalid_names_say_what_and_where(raw, reason):
    with pytest.raises(CertNameError, match=reason) as caught:
        normalize_name(raw, "domains[3]")
    assert str(caught.value).startswith("domains[3]: ")
    assert caught.value.source == "domains[3]"
    assert caught.value.entry == raw


def test_name_of_exactly_253_characters_is_accepted():
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    assert len(name) == 253
    assert normalize_name(name, "x") == name


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ("*.example.org", True),
        ("*.org", False),
        ("a.*.example.org", False),
        ("x*.example.org", False),
    ],
)
def test_wildcards_only_when_allowed_and_whole_first_label(raw, ok):
    if ok:
        assert normalize_name(raw, "x", allow_wildcard=True) == raw
    else:
        with pytest.raises(CertNameError):
            normalize_name(raw, "x", allow_wildcard=True)


def test_srv_id_and_xmpp_addr_normalisation():
    assert (
        normalize_srv_id("_XMPP-Client.Bücher.example.", "s")
        == "_xmpp-client.xn--bcher-kva.example"
    )
    with pytest.raises(CertNameError, match="service label"):
        normalize_srv_id("xmpp-client.example.org", "srv_ids[0]")
    assert normalize_xmpp_addr("Bücher.example", "x") == "xn--bcher-kva.example"
    with pytest.raises(CertNameError, match="bare domain JID"):
        normalize_xmpp_addr("admin@example.org", "xmpp_addrs[0]")
    assert to_unicode("xn--bcher-kva.example") == "bücher.example"


def test_plan_for_one_host_with_components_both_ways():
    (plan,) = plan_certificates(
        [
            "example.org",
            {"name": "Example.NET", "components": ["pubsub.example.net"], "subdomains": ["upload"]},
        ],
        components=["proxy.example.org"],
        subdomains=["conference"],
        host="xmpp1",
    )
    assert plan.name == "xmpp1"
    assert plan.domains == ("example.org", "example.net")
    assert set(plan.components) == {
        "conference.example.org",
        "conference.example.net",
        "upload.example.net",
        "pubsub.example.net",
        "proxy.example.org",
    }
    names = plan.names("internal")
    assert names.dns_ids == plan.domains + plan.components
    assert "_xmpp-client.example.org" in names.srv_ids
    assert "_xmpp-server.example.org" in names.srv_ids
    assert "_xmpp-server.conference.example.org" in names.srv_ids
    # Components federate (s2s) but serve no clients.
    assert "_xmpp-client.conference.example.org" not in names.srv_ids
    assert len(names.srv_ids) == 2 * 2 + 5
    assert names.xmpp_addrs == ("example.org", "example.net")
    public = plan.names("public")
    assert public.srv_ids == ()
    assert public.xmpp_addrs == ()


def test_duplicates_are_removed_and_domains_win_over_components():
    (plan,) = plan_certificates(
        ["example.org", "EXAMPLE.org.", "chat.example.org"],
        components=["conference.example.org", "Conference.Example.org", "chat.example.org"],
        subdomains=["conference"],
    )
    assert plan.domains == ("example.org", "chat.example.org")
    assert plan.components == ("conference.example.org", "conference.chat.example.org")


def test_idn_domain_and_its_components():
    (plan,) = plan_certificates(["bücher.example"], subdomains=["konferenz"])
    assert plan.dns_names == ("xn--bcher-kva.example", "konferenz.xn--bcher-kva.example")
    # XmppAddr carries the JID in U-labels; SRV-IDs and DNS-IDs use A-labels.
    assert "otherName:1.3.6.1.5.5.7.8.5;UTF8:bücher.example" in plan.subject_alt_name("internal")


def test_group_by_domain():
    plans = plan_certificates(
        ["example.org", {"name": "example.net", "subdomains": ["upload"]}],
        components=["muc.example.org", "muc.elsewhere.test"],
        subdomains=["conference"],
        group_by="domain",
    )
    by_name = {p.name: p for p in plans}
    assert list(by_name) == ["example.org", "example.net", "muc.elsewhere.test"]
    assert by_name["example.org"].components == ("conference.example.org", "muc.example.org")
    assert by_name["example.net"].components == ("upload.example.net", "conference.example.net")
    assert by_name["muc.elsewhere.test"].domains == ()
    assert by_name["muc.elsewhere.test"].srv_ids == ("_xmpp-server.muc.elsewhere.test",)


def test_component_goes_to_its_longest_parent_domain():
    plans = plan_certificates(
        ["example.org", "chat.example.org"], components=["muc.chat.example.org"], group_by="domain"
    )
    assert {p.name: p.components for p in plans}["chat.example.org"] == ("muc.chat.example.org",)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"domains": []}, r"^domains: \[\] is empty"),
        ({"domains": "example.org"}, "must be a list"),
        ({"domains": ["example.org", "bad_name.org"]}, r"^domains\[1\]: 'bad_name.org'"),
        (
            {"domains": [{"name": "example.org", "component": ["x"]}]},
            r"unknown keys \['component'\]",
        ),
        ({"domains": [{"components": ["x.example.org"]}]}, "has no 'name'"),
        (
            {"domains": [{"name": "e.org", "components": ["a..e.org"]}]},
            r"^domains\[0\]\.components\[0\]",
        ),
        (
            {"domains": ["example.org"], "components": ["*.example.org"]},
            r"^components\[0\]: .* wildcard",
        ),
        ({"domains": ["example.org"], "subdomains": ["muc."]}, r"^subdomains\[0\]: .*relative"),
        ({"domains": ["example.org"], "subdomains": ["m u c"]}, r"^subdomains\[0\] on example.org"),
        ({"domains": [{"name": "e.org", "subdomains": [""]}]}, r"^domains\[0\]\.subdomains\[0\]"),
        ({"domains": ["example.org"], "group_by": "service"}, "group_by"),
    ],
)
def test_plan_errors_name_the_entry_and_its_place(kwargs, message):
    with pytest.raises(CertNameError, match=message):
        plan_certificates(**kwargs)


def test_too_long_component_from_a_prefix_is_reported_on_its_domain():
    domain = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 55])
    with pytest.raises(CertNameError, match=r"subdomains\[0\] on .*at most 253"):
        plan_certificates([domain], subdomains=["conference"])


@pytest.mark.parametrize(
    ("presented", "required", "covers"),
    [
        ("example.org", "example.org", True),
        ("*.example.org", "muc.example.org", True),
        ("*.example.org", "example.org", False),
        ("*.example.org", "a.muc.example.org", False),
        ("*.example.org", "muc.example.net", False),
        ("m*.example.org", "muc.example.org", False),
        ("*.org", "example.org", False),
    ],
)
def test_dns_id_coverage(presented, required, covers):
    assert dns_id_covers(presented, required) is covers


def test_compare_plan_with_existing_certificate_names():
    (plan,) = plan_certificates(["example.org"], subdomains=["conference", "upload"])
    existing = NameSet(
        dns_ids=("example.org", "conference.example.org", "old.example.org"),
        srv_ids=("_xmpp-client.example.org",),
        xmpp_addrs=("example.org",),
    )
    diff = compare_names(plan.names("internal"), existing)
    assert diff.missing == (
        "DNS-ID:upload.example.org",
        "SRV-ID:_xmpp-server.example.org",
        "SRV-ID:_xmpp-server.conference.example.org",
        "SRV-ID:_xmpp-server.upload.example.org",
    )
    assert diff.extra == ("DNS-ID:old.example.org",)
    same = compare_names(plan.names("internal"), plan.names("internal"))
    assert same.missing == ()
    assert same.extra == ()


def test_required_names_are_validated_with_their_option_name():
    names = required_names(dns_ids=["Example.org", "example.org"], xmpp_addrs=["example.org"])
    assert names.dns_ids == ("example.org",)
    with pytest.raises(CertNameError, match=r"^dns_names\[1\]"):
        required_names(dns_ids=["example.org", "*.example.org"])
