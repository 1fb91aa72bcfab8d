"""Offline stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test runs ``get-pip.py`` inside each fresh virtual environment it makes. Machines
without access to the host it downloads from use this instead: pip comes from ``ensurepip``
and the requested packages from the configured package index.
"""

import subprocess
import sys

# Only the real get-pip knows these two flags.
UNKNOWN_FLAGS = {"--no-setuptools", "--no-wheel"}

# pip runs in a child process of its own: run in-process right after ensurepip, it does not
# pick up the machine's pip configuration and certificate settings.
python = sys.executable
subprocess.run([python, "-m", "ensurepip", "--upgrade", "--default-pip"], check=True)  # noqa: S603
args = [arg for arg in sys.argv[1:] if arg not in UNKNOWN_FLAGS]
subprocess.run([python, "-m", "pip", "install", *args], check=True)  # noqa: S603
