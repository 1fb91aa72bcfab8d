"""Offline stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test runs ``get-pip.py`` inside each fresh virtual environment it makes. Machines
without access to the host it downloads from use this instead: pip comes from ``ensurepip``
and the requested packages from the configured package index.
"""

import subprocess
import sys

# Only the real get-pip knows these two flags.
UNKNOWN_FLAGS = {"--no-setuptools", "--no-wheel"}

subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], check=True)
args = [arg for arg in sys.argv[1:] if arg not in UNKNOWN_FLAGS]
subprocess.run([sys.executable, "-m", "pip", "install", *args], check=True)
