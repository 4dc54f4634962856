"""The shape of the code, as the next engineer meets it (issue 18).

The kiosk and the office server are two programs sharing only ``protocol/``: the office server runs where the
kiosk's libraries (Kivy, gpiozero, pyserial, qrcode) cannot even be imported, as it does when installed with
``pip install .[office]``.  Which package may import which is written in ``.importlinter`` and checked by
``lint-imports`` in ``make test``; the sizes below keep every module readable in one sitting.
"""

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("protocol", "kiosk", "hardware", "office", "provisioning")
#: Folders of Python whose size is kept readable: the packages, and the tests that read like them.
SIZED = PACKAGES + ("tests", "images")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80

#: Python that makes the kiosk's libraries unimportable, as on an office server installed with [office] only.
WITHOUT_KIOSK_LIBRARIES = textwrap.dedent("""
    import sys
    for name in ("kivy", "gpiozero", "serial", "qrcode", "lgpio", "kiosk", "hardware"):
        sys.modules[name] = None  # `import kivy` now raises ImportError, as where it is not installed
""")


def run_without_kiosk_libraries(code, tmp_path):
    return subprocess.run([sys.executable, "-c", WITHOUT_KIOSK_LIBRARIES + textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)


def test_the_office_server_serves_without_the_kiosks_libraries(tmp_path):
    """Install the office server alone: it starts, answers a kiosk's upload and a staff page, and says why not."""
    ran = run_without_kiosk_libraries(f"""
        import office.app, office.cli
        from office.app import create_app
        from office.db import Database

        db = Database("sqlite:///{tmp_path / 'office.db'}")
        token = db.add_kiosk("ERLIN-01")
        client = create_app(db).test_client()
        upload = client.post("/api/v1/events", headers={{"Authorization": "Bearer " + token}}, json={{
            "kiosk_id": "ERLIN-01", "events": [{{"id": "6f1c0a9e-2b6f-4d7e-9a51-0c3f2b1d7e10", "type": "rating",
            "seq": 1, "at": "2026-11-27T09:30:00.000+08:00", "clock_synced": True,
            "data": {{"choice": "smile", "score": 3, "scale": 3, "source": "button", "misuse": False}}}}]}})
        print(upload.status_code, client.get("/login").status_code, len(db.events()))
        print(sorted(name for name in sys.modules if name.split(".")[0] in ("kivy", "gpiozero", "serial", "qrcode")
                     and sys.modules[name] is not None))
    """, tmp_path)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert ran.stdout.split("\n")[:2] == ["200 200 1", "[]"]


def test_the_office_command_runs_without_the_kiosks_libraries(tmp_path):
    ran = run_without_kiosk_libraries("""
        from office.cli import main
        sys.exit(main(["--help"]))
    """, tmp_path)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert "serve" in ran.stdout and "report" in ran.stdout


def _python_files():
    for folder in SIZED:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _long_functions(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                yield f"{path.relative_to(ROOT)}:{node.lineno} {node.name}() is {length} lines"


def test_no_module_is_over_500_lines():
    long = [f"{path.relative_to(ROOT)} is {lines} lines" for path in _python_files()
            if (lines := path.read_text(encoding="utf-8").count("\n")) > MAX_MODULE_LINES]
    assert long == [], f"split by concern (at most {MAX_MODULE_LINES} lines a module): " + "; ".join(long)


def test_no_function_is_over_80_lines():
    long = [problem for path in _python_files() for problem in _long_functions(path)]
    assert long == [], f"split into named steps (at most {MAX_FUNCTION_LINES} lines a function): " + "; ".join(long)


@pytest.mark.parametrize("package", PACKAGES + ("tests",))
def test_every_module_is_listed_in_its_folders_readme(package):
    """Each top-level folder's README names each of its modules (path from the folder), one line each."""
    readme = (ROOT / package / "README.md").read_text(encoding="utf-8")
    missing = [str(path.relative_to(ROOT / package)) for path in sorted((ROOT / package).rglob("*.py"))
               if path.name != "__init__.py" or path.parent != ROOT / package
               if f"`{path.relative_to(ROOT / package)}`" not in readme
               and not (path.name == "__init__.py" and f"`{path.parent.relative_to(ROOT / package)}/`" in readme)]
    assert missing == [], f"{package}/README.md does not list: {', '.join(missing)}"


def test_the_kiosks_settings_load_without_gpiozero_or_pyserial(tmp_path):
    """`kiosk-provision validate` runs under the system's Python, which has no gpiozero: the app's checks still run.

    The settings take their default pins from hardware/wiring_defaults.py; importing it must not load the drivers.
    """
    config = tmp_path / "kiosk.toml"
    config.write_text("[printer]\nbaudrate = 7\n", encoding="utf-8")
    ran = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        for name in ("kivy", "gpiozero", "serial", "lgpio"):
            sys.modules[name] = None
        from kiosk.config import load_config
        from kiosk.errors import ConfigError
        try:
            load_config({str(config)!r})
        except ConfigError as exc:
            print(exc)
    """)], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert "printer.baudrate" in ran.stdout
