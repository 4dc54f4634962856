"""Files laid out as RAUC bundles begin, for the update tests (tests/test_updates.py, tests/test_office_updates.py).

A RAUC bundle is a squashfs holding ``manifest.raucm`` and the images, followed by its signature; the kiosk
(``unsquashfs -cat``) and the office server read only the manifest, and RAUC's install checks the signature (made
and checked for real by ``make update-test``, images/README.md).
"""

import shutil
import subprocess

import pytest


def squashfs_bundle(tmp_path, version, compatible="erlin-kiosk-rpi-arm64"):
    """A file laid out as a RAUC bundle begins (a squashfs holding manifest.raucm); unsigned: RAUC's install checks
    the signature, the kiosk and the office only read the manifest."""
    if shutil.which("mksquashfs") is None:
        pytest.skip("squashfs-tools is not installed (.ci/debian-packages lists it)")
    content = tmp_path / f"content-{version}"
    content.mkdir()
    (content / "manifest.raucm").write_text(f"[update]\ncompatible={compatible}\nversion={version}\n\n"
                                            "[bundle]\nformat=verity\n\n[image.rootfs]\nfilename=rootfs.ext4\n")
    (content / "rootfs.ext4").write_bytes(b"\0" * 4096)
    out = tmp_path / f"kiosk-{version}-arm64.raucb"
    subprocess.run(["mksquashfs", str(content), str(out), "-quiet", "-noappend", "-all-root"], check=True)
    return out
