"""A data folder on a real, full filesystem, for the kiosk's commands to run against.

A 512 KB tmpfs is mounted over the data folder in a private user and mount namespace (``unshare -Urm``: no root
needed on Debian 12, nothing mounted outside the child), the seeded store is copied in, a filler file takes all
the room and then gives back 40 KB: enough for SQLite to open the database (its -shm), too little for any write —
exactly what a full SD card does.  Each command runs there; then the filler is removed and the folder copied out,
so the test reads what was really kept.  Without user namespaces the tests skip.

Why not ``PRAGMA max_page_count``: it holds for one connection only, and these are separate processes (the CLI).
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DRIVER = r"""
import json, os, subprocess, sys
spec = json.load(open(sys.argv[1]))
data = spec["data"]
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", data], check=True)
subprocess.run(["cp", "-a", spec["seed"] + "/.", data], check=True)
filler = os.path.join(data, "filler")
with open(filler, "wb", buffering=0) as f:
    try:
        while True:
            f.write(b"\0" * 4096)
    except OSError:
        pass
os.truncate(filler, max(0, os.path.getsize(filler) - spec["free_kb"] * 1024))
results = []
for command in spec["commands"]:
    done = subprocess.run(command, capture_output=True, text=True, env=spec["env"], cwd=spec["cwd"], timeout=120)
    results.append({"rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr})
os.remove(filler)
subprocess.run(["cp", "-a", data + "/.", spec["out"]], check=True)
json.dump(results, open(spec["results"], "w"))
"""


def run_on_full_disk(tmp_path, seed, commands, env, cwd, free_kb=40):
    """Run ``commands`` (argument lists) with ``<tmp_path>/full`` a full tmpfs holding a copy of ``seed``.

    Returns the results (rc, stdout, stderr each) and the folder as it was left (copied to ``<tmp_path>/after``).
    """
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux) for a private tmpfs")
    probe = subprocess.run(["unshare", "-Urm", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"no user namespaces here for a private tmpfs: {probe.stderr.strip()}")
    data, after = tmp_path / "full", tmp_path / "after"
    data.mkdir()
    after.mkdir()
    spec = tmp_path / "spec.json"
    results = tmp_path / "results.json"
    spec.write_text(json.dumps({"data": str(data), "seed": str(seed), "out": str(after), "results": str(results),
                                "commands": [[str(a) for a in c] for c in commands], "env": env, "cwd": str(cwd),
                                "free_kb": free_kb}))
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    done = subprocess.run(["unshare", "-Urm", sys.executable, str(driver), str(spec)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(results.read_text()), Path(after)
