"""Wording of failed ACME steps: results as ansible.builtin.uri and community.crypto 3 give them."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.xmpp.encryption.plugins.filter.acme_failure import FilterModule
from ansible_collections.xmpp.encryption.plugins.module_utils._certificate.acme_failure import (
    KEPT,
    RATE_LIMITED,
    explain_acme_failure,
    network_reason,
    retry_after_of,
)

DIRECTORY = "https://127.0.0.15:14001/dir"
LE_DETAIL = (
    "too many certificates (5) already issued for this exact set of identifiers in the last "
    "168h0m0s, retry after 2024-02-05 19:54:53 UTC: see https://letsencrypt.org/docs/"
    "rate-limits/#new-certificates-per-exact-set-of-hostnames"
)
FRONT_DETAIL = (
    "too many new orders recently (xmpp-lab rate-limit front): retry after 2026-11-25 15:54:21 UTC"
)

# acme_certificate against the lab's rate-limit front (seen on the lab, trimmed).
RATE_LIMITED_RESULT = {
    "changed": False,
    "failed": True,
    "msg": (
        "Giving up after 20 retries for https://127.0.0.15:14001/new-order with status 429 Too "
        f'Many Requests. Error {RATE_LIMITED}: "{FRONT_DETAIL}".'
    ),
    "other": {
        "http_status": 429,
        "http_url": "https://127.0.0.15:14001/new-order",
        "problem": {"detail": FRONT_DETAIL, "status": 429, "type": RATE_LIMITED},
        "subproblems": [],
    },
}

# acme_certificate, second step, when Pebble found no answer on port 80.
CHALLENGE_DETAIL = (
    "Non-200 status code from HTTP: "
    "http://a.lab.test:80/.well-known/acme-challenge/Ia8q returned 404"
)
CHALLENGE_RESULT = {
    "failed": True,
    "msg": (
        'Failed to validate challenge for dns:a.lab.test: Status is not "valid". Challenge '
        'http-01: Error urn:ietf:params:acme:error:unauthorized: "' + CHALLENGE_DETAIL + '".'
    ),
    "other": {
        "identifier": "dns:a.lab.test",
        "authorization": {
            "status": "invalid",
            "identifier": {"type": "dns", "value": "a.lab.test"},
            "challenges": [
                {
                    "type": "http-01",
                    "status": "invalid",
                    "token": "Ia8q",
                    "error": {
                        "type": "urn:ietf:params:acme:error:unauthorized",
                        "detail": CHALLENGE_DETAIL,
                        "status": 403,
                    },
                },
                {"type": "dns-01", "status": "pending", "token": "x"},
            ],
        },
    },
}

# ansible.builtin.uri (the role's directory check) and acme_account without it.
URI_REFUSED = {
    "failed": True,
    "msg": (
        "Status code was -1 and not [200]: Request failed: "
        "<urlopen error [Errno 111] Connection refused>"
    ),
    "status": -1,
    "url": "https://127.0.0.15:1/dir",
}
ACCOUNT_REFUSED = {
    "failed": True,
    "msg": (
        "Giving up after 20 retries for https://127.0.0.15:1/dir with error: Request failed: "
        "<urlopen error [Errno 111] Connection refused>."
    ),
    "other": {"http_status": -1, "http_url": "https://127.0.0.15:1/dir"},
}
URI_404 = {
    "failed": True,
    "msg": "Status code was 404 and not [200]: HTTP Error 404: Not Found",
    "status": 404,
    "url": "https://127.0.0.15:15000/nothere",
}


def explain(result, **kw):
    return explain_acme_failure(result, name="a.lab.test", directory=DIRECTORY, **kw)


def test_rate_limited_names_the_domain_the_limit_the_time_and_what_stays():
    f = explain(RATE_LIMITED_RESULT)
    assert f.kind == "rate_limited"
    assert f.detail == FRONT_DETAIL
    assert f.retry_after == "2026-11-25 15:54:21 UTC"
    assert f.message.startswith("a.lab.test: the ACME CA refused the order with a rate limit")
    assert "HTTP 429" in f.message
    assert "https://127.0.0.15:14001/new-order" in f.message
    assert FRONT_DETAIL in f.message
    assert f.message.count("retry after") == 1  # not repeated when the detail says it
    assert f.message.endswith(KEPT)
    assert f.message == (
        "a.lab.test: the ACME CA refused the order with a rate limit (rateLimited, HTTP 429) "
        f"from https://127.0.0.15:14001/new-order: {FRONT_DETAIL}. {KEPT}"
    )


def test_rate_limited_in_a_subproblem():
    result = {
        "msg": "Error urn:ietf:params:acme:error:malformed",
        "other": {
            "http_status": 400,
            "problem": {"type": "urn:ietf:params:acme:error:malformed"},
            "subproblems": [{"type": RATE_LIMITED, "detail": LE_DETAIL}],
        },
    }
    f = explain(result)
    assert f.kind == "rate_limited"
    assert f.retry_after == "2024-02-05 19:54:53 UTC"


def test_rate_limited_from_the_message_only():
    f = explain({"msg": f"Error {RATE_LIMITED}: slow down"})
    assert f.kind == "rate_limited"
    assert f.retry_after == ""
    assert f.detail == f"Error {RATE_LIMITED}: slow down"
    assert "slow down" in f.message
    assert f.message.endswith(KEPT)
    # Worded as from a problem document, without the status and URL the result lacks.
    assert f.message == (
        "a.lab.test: the ACME CA refused the order with a rate limit (rateLimited): "
        f"Error {RATE_LIMITED}: slow down. {KEPT}"
    )


def test_rate_limited_from_the_message_with_status_url_and_retry_after():
    result = {
        "msg": f"Error {RATE_LIMITED}: slow down.",
        "other": {"http_status": 429, "http_url": "https://127.0.0.15:14001/new-order"},
        "retry_after": "60",
    }
    f = explain(result)
    assert f.kind == "rate_limited"
    assert f.retry_after == "60"
    assert f.message == (
        "a.lab.test: the ACME CA refused the order with a rate limit (rateLimited, HTTP 429) "
        f"from https://127.0.0.15:14001/new-order: Error {RATE_LIMITED}: slow down. "
        f"Retry after 60. {KEPT}"
    )


def test_rate_limited_detail_ending_in_a_full_stop_is_not_doubled():
    result = {"msg": "x", "other": {"problem": {"type": RATE_LIMITED, "detail": "too many."}}}
    f = explain(result)
    assert f.detail == "too many."
    assert f.message == (
        "a.lab.test: the ACME CA refused the order with a rate limit (rateLimited, HTTP 429) "
        f"from {DIRECTORY}: too many. {KEPT}"
    )


def test_retry_after_header_wins_and_is_added_to_the_message():
    result = {
        "msg": "x",
        "other": {"problem": {"type": RATE_LIMITED, "detail": "too many orders"}},
        "retry_after": "3600",
    }
    f = explain(result)
    assert f.retry_after == "3600"
    assert "Retry after 3600." in f.message


@pytest.mark.parametrize(
    ("result", "detail", "expected"),
    [
        ({}, LE_DETAIL, "2024-02-05 19:54:53 UTC"),
        ({}, "Retry After 2024-02-05T19:54:53Z", "2024-02-05T19:54:53Z"),
        ({}, "retry after 2024-02-05 19:54", "2024-02-05 19:54"),
        ({}, "too many orders", ""),
        ({}, "retry after a while", ""),
        ({"retry-after": "120"}, LE_DETAIL, "120"),
        ({"other": {"retryAfter": "2030-01-01T00:00:00Z"}}, "", "2030-01-01T00:00:00Z"),
        ({"retry_after": ""}, "", ""),
    ],
)
def test_retry_after_of(result, detail, expected):
    assert retry_after_of(result, detail) == expected


def test_failed_challenge_names_type_identifier_and_reason():
    f = explain(CHALLENGE_RESULT)
    assert f.kind == "challenge_failed"
    assert f.message.startswith(
        "a.lab.test: the ACME CA could not validate the http-01 challenge for dns:a.lab.test: "
    )
    assert CHALLENGE_DETAIL in f.message
    assert "(unauthorized)" in f.message
    assert "dns-01" not in f.message  # only the invalid challenge counts
    assert f.message.endswith(KEPT)


def test_failed_challenges_of_two_types_are_each_named():
    result = {
        "msg": "Failed to validate challenge for dns:a.lab.test",
        "other": {
            "authorization": {
                "challenges": [
                    {"type": "http-01", "status": "invalid", "error": {"detail": "404"}},
                    {"type": "dns-01", "status": "invalid", "error": {"type": "x:dns"}},
                ]
            }
        },
    }
    f = explain(result)
    assert "the dns-01 and http-01 challenge" in f.message
    assert f.detail == "http-01: 404; dns-01: x:dns (dns)"


def test_failed_challenge_without_authorization_data():
    f = explain({"msg": 'Failed to validate challenge for dns:a.lab.test: Status is "invalid".'})
    assert f.kind == "challenge_failed"
    assert "could not validate the ACME challenge for a.lab.test" in f.message


@pytest.mark.parametrize("result", [URI_REFUSED, ACCOUNT_REFUSED])
def test_unreachable_directory(result):
    f = explain(result)
    assert f.kind == "unreachable"
    assert f.detail == "Connection refused"
    assert f.message == (
        f"a.lab.test: the ACME directory {DIRECTORY} cannot be reached (Connection refused); "
        f"nothing was ordered. {KEPT}"
    )


@pytest.mark.parametrize(
    ("msg", "reason"),
    [
        (
            "Status code was -1 and not [200]: Request failed: <urlopen error timed out>",
            "timed out",
        ),
        (
            "Request failed: <urlopen error [Errno -2] Name or service not known>",
            "Name or service not known",
        ),
        (
            "Failure downloading https://x/dir, Connection reset",
            "Failure downloading https://x/dir, Connection reset",
        ),
        ("Status code was -1 and not [200]: Request failed: ", "no answer"),
    ],
)
def test_network_reason(msg, reason):
    assert network_reason(msg) == reason


def test_not_a_directory():
    f = explain(URI_404)
    assert f.kind == "not_a_directory"
    assert "does not answer as an ACME directory (HTTP 404)" in f.message
    assert f.message.endswith(KEPT)


def test_anything_else_keeps_the_raw_message_and_the_step():
    f = explain({"msg": "port 80 is already in use."}, step="Refuse to start a responder")
    assert f.kind == "other"
    assert f.message == (
        f"a.lab.test: the ACME exchange with {DIRECTORY} failed (Refuse to start a responder): "
        f"port 80 is already in use. {KEPT}"
    )
    assert explain({}).message.endswith(f"failed: no message. {KEPT}")


def test_odd_shapes_do_not_break_it():
    assert explain({"msg": None, "other": "text", "status": True}).kind == "other"
    assert explain({"other": {"problem": "x", "subproblems": ["y", None]}}).kind == "other"
    assert explain({"other": {"http_status": "-1"}, "msg": "x"}).kind == "unreachable"


def test_filter():
    filters = FilterModule().filters()
    assert set(filters) == {"acme_failure"}
    out = filters["acme_failure"](RATE_LIMITED_RESULT, name="a.lab.test", directory=DIRECTORY)
    assert out == explain(RATE_LIMITED_RESULT).as_dict()
    assert set(out) == {"kind", "message", "detail", "retry_after"}
    with pytest.raises(AnsibleFilterError, match="expects a task result"):
        filters["acme_failure"]("text")
