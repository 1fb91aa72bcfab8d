"""The enforce role, run for real by ansible-playbook at -vvv --diff against a local copy of a
configuration that holds secrets: none of them may appear in what Ansible prints.

Only prosodyctl is a stand-in (a script that answers as a running Prosody 0.12 does); the
role's tasks, the modules, the certificate check and the validator (luac) are the real ones.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

REPO = Path(__file__).resolve().parents[4]
SECRETS = ("compsecret-1", "sqlpass-2", "ldappass-3", "turnsecret-4", "keypass-5")
CONFIG = """\
admins = { "admin@example.org" }
certificates = "certs"
c2s_require_encryption = false
sql = { driver = "PostgreSQL", database = "prosody", password = "sqlpass-2" }
ldap_password = "ldappass-3"
turn_external_secret = "turnsecret-4"
ssl = { protocol = "tlsv1+", password = "keypass-5" }

VirtualHost "example.org"

Component "gateway.example.org"
\tcomponent_secret = "compsecret-1"
"""
PROSODYCTL = """\
#!/bin/sh
# Answers as a running Prosody 0.12 does, for the commands the role runs.
case "$*" in
  about) echo "Prosody 0.12.4" ;;
  status) echo "Prosody is running with PID 42" ;;
  *"check config"*) echo "Checking config..."; echo "Done." ;;
  reload) echo "Prosody log files re-opened and config file reloaded." ;;
  shell*) echo "OK: done" ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
"""


def certificate(directory: Path, names: list[str]) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True)
    (directory / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def run_role(tmp_path: Path, **extra: object) -> subprocess.CompletedProcess[str]:
    variables = {
        "enforce_config_path": str(tmp_path / "etc" / "prosody.cfg.lua"),
        "enforce_prosodyctl": str(tmp_path / "prosodyctl"),
        "enforce_runas": [],
        "enforce_validate_command": "luac5.4 -p %s",
        "enforce_state_dir": str(tmp_path / "state"),
        "enforce_certificate_ca_path": "",
        **extra,
    }
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  roles:\n"
        f"    - role: xmpp.encryption.enforce\n      vars: {json.dumps(variables)}\n"
    )
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".build" / "collections"),
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
        "ANSIBLE_REMOTE_TEMP": str(tmp_path / "tmp"),
        "ANSIBLE_NOCOLOR": "true",
    }
    return subprocess.run(
        [str(Path(sys.executable).with_name("ansible-playbook")), "-vvv", "--diff", str(playbook)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


def prepare(tmp_path: Path) -> Path:
    etc = tmp_path / "etc"
    etc.mkdir()
    config = etc / "prosody.cfg.lua"
    config.write_text(CONFIG)
    certificate(etc / "certs" / "example.org", ["example.org", "gateway.example.org"])
    prosodyctl = tmp_path / "prosodyctl"
    prosodyctl.write_text(PROSODYCTL)
    prosodyctl.chmod(0o755)
    return config


def test_enforce_at_vvv_diff_prints_no_secret(tmp_path: Path) -> None:
    config = prepare(tmp_path)
    done = run_role(tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    written = config.read_text()
    assert "c2s_require_encryption = true" in written
    assert 'ssl = { password = "keypass-5" }' in written  # the protocol override is gone
    assert "--- before" in output  # the diff was shown, with the secrets hidden
    assert [s for s in SECRETS if s in output] == []


def test_undo_refuses_a_file_changed_since_enforcement_unless_forced(tmp_path: Path) -> None:
    config = prepare(tmp_path)
    assert run_role(tmp_path).returncode == 0
    edited = config.read_text() + "-- an operator's later edit\n"
    config.write_text(edited)
    refused = run_role(tmp_path, enforce_undo=True)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "changed since it was written" in output
    assert "enforce_undo_force=true" in output
    assert config.read_text() == edited  # nothing restored, no reload
    assert "config file reloaded" not in output
    forced = run_role(tmp_path, enforce_undo=True, enforce_undo_force=True)
    output = forced.stdout + forced.stderr
    assert forced.returncode == 0, output[-3000:]
    assert config.read_text() == CONFIG
    assert [s for s in SECRETS if s in output] == []


OVERRIDES_CONFIG = """\
admins = { }
certificates = "certs"
daemonize = true

VirtualHost "example.org"
\tc2s_require_encryption = false
\tallow_unencrypted_plain_auth = true
Include "conf.d/*.cfg.lua"
"""
OVERRIDES_INCLUDED = """\
Component "gateway.example.org"
\tcomponent_secret = "compsecret-1"
\ts2s_ssl = { ciphers = "ALL:@SECLEVEL=0"; protocol = "tlsv1+" }
"""
# prosodyctl check config as 0.12 answers for a deprecated option: exit 2, a warning only.
CHECK_WARNS = (
    '  *"check config"*) printf \'%s\\n\' "Checking config..." ""'
    ' "    You have some deprecated options in the global section:" "    [daemonize]"'
    ' "Done." "" "Problems found, see above."; exit 2 ;;'
)


def test_per_host_overrides_are_listed_and_fixed_and_check_warnings_do_not_stop(
    tmp_path: Path,
) -> None:
    config = prepare(tmp_path)
    config.write_text(OVERRIDES_CONFIG)
    (config.parent / "conf.d").mkdir()
    included = config.parent / "conf.d" / "gateway.cfg.lua"
    included.write_text(OVERRIDES_INCLUDED)
    prosodyctl = tmp_path / "prosodyctl"
    lines = PROSODYCTL.splitlines()
    prosodyctl.write_text(
        "\n".join(CHECK_WARNS if '"check config"' in line else line for line in lines) + "\n"
    )
    done = run_role(tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    # The preflight lists each override with its file and line, and the checker's warning.
    assert f"{config}:6: VirtualHost example.org sets c2s_require_encryption = false" in output
    assert f"{config}:7: VirtualHost example.org sets allow_unencrypted_plain_auth = true" in output
    assert f"{included}:3: Component gateway.example.org sets s2s_ssl.ciphers" in output
    assert "prosodyctl check config warned (not an error)" in output
    assert "daemonize" in output
    written = config.read_text()
    assert "\tc2s_require_encryption = true\n" in written
    assert "\tallow_unencrypted_plain_auth = false\n" in written
    assert "s2s_ssl" not in included.read_text()
    assert 'component_secret = "compsecret-1"' in included.read_text()
    assert [s for s in SECRETS if s in output] == []
