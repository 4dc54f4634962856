"""The image checks run against a built root file system: KIOSK_IMAGE_ROOT (images/build-image.sh sets it)."""

import os
import subprocess
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def root() -> Path:
    path = os.environ.get("KIOSK_IMAGE_ROOT")
    if not path:
        pytest.skip("KIOSK_IMAGE_ROOT is not set: images/build-image.sh runs these checks on the root it built")
    return Path(path)


@pytest.fixture(scope="session")
def in_root(root):
    """Run a command inside the arm64 root (QEMU binfmt), with a clean environment; return the result."""
    def run(*argv, env=(), timeout=600):
        # root's PATH on Debian: /usr/local/bin is where the image puts the technician's `kiosk`
        clean = ["/usr/bin/env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/tmp",
                 "LANG=C.UTF-8", *env]
        return subprocess.run(["chroot", str(root), *clean, *argv], capture_output=True, text=True,
                              timeout=timeout)
    return run
