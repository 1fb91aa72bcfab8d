"""The ACME account key on a fresh controller: the role's default path, through ansible-playbook."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[4]

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: xmpp.encryption.certificate
        tasks_from: acme_account_key.yml
"""


def play(home: Path, *extra: str) -> tuple[int, str]:
    playbook = home / "play.yml"
    playbook.write_text(PLAYBOOK)
    env = {
        **os.environ,
        "HOME": str(home),  # a controller where nothing of the collection exists yet
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".build" / "collections"),
        "ANSIBLE_STDOUT_CALLBACK": "json",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
    }
    run = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    return run.returncode, run.stdout + run.stderr


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_default_path_on_a_fresh_controller_is_made_private(tmp_path):
    rc, out = play(tmp_path)
    assert rc == 0, out
    key_dir = tmp_path / ".ansible" / "xmpp-encryption"
    key = key_dir / "acme-account.key"
    assert mode(key_dir) == 0o700
    assert mode(key) == 0o600
    assert key.read_text().startswith("-----BEGIN")
    assert "PRIVATE KEY" not in out
    # A second run finds the key made and changes nothing.
    rc, out = play(tmp_path)
    assert rc == 0, out
    stats = json.loads(out[out.index("{") :])["stats"]["localhost"]
    assert stats["changed"] == 0


def test_a_new_key_in_a_directory_others_can_enter_is_refused(tmp_path):
    open_dir = tmp_path / "shared"
    open_dir.mkdir(mode=0o755)
    open_dir.chmod(0o755)
    rc, out = play(tmp_path, "-e", f"certificate_acme_account_key_path={open_dir}/acme.key")
    assert rc != 0
    assert f"{open_dir} (mode 0755) can be entered by other users" in out
    assert not (open_dir / "acme.key").exists()
