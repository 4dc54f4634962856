"""The kiosk's commands when its data folder is full (issue 17): one line saying which folder and what to do,
exit 1, nothing claimed that was not stored, and everything stored before kept.  The folder is a real full
filesystem (``full_disk.py``); the office server is the real one (kiosk/local_office.py)."""

import os
import re
import sys
from datetime import datetime
from pathlib import Path

import pytest

from hardware.printer import PrinterLink
from protocol import officetime
from kiosk.config import Config, defaults
from office_process import LocalOfficeAndDatabase
from kiosk.store import Store
from kiosk.tickets import TicketService

from full_disk import run_on_full_disk

REPO = Path(__file__).resolve().parent.parent
KIOSK = "ERLIN-01"

pytestmark = pytest.mark.usefixtures("fresh_simulated_printers")


def write_config(path, data_dir, office):
    path.write_text(f'[kiosk]\nid = "{KIOSK}"\ndata_dir = "{data_dir}"\nheartbeat_minutes = 0\n'
                    f'[server]\nurl = "{office.url}"\ntoken = "{office.token}"\n', encoding="utf-8")
    path.chmod(0o600)  # it holds the token
    return path


def kiosk_cmd(config, *args):
    return [sys.executable, "-m", "kiosk.cli", *args, "--config", str(config)]


def env():
    return {k: v for k, v in os.environ.items() if k not in ("KIOSK_CONFIG", "DISPLAY", "WAYLAND_DISPLAY")}


def seed(folder):
    """A kiosk store that has just handed out A001 (its event not uploaded yet)."""
    values = defaults()
    values["kiosk"]["id"], values["kiosk"]["data_dir"] = KIOSK, str(folder)
    link = PrinterLink("sim://seed", timeout=0.2)
    moment = datetime.now(officetime.TAIPEI)  # the commands after it run on the real clock: this office day
    with Store.open(folder) as store:
        service = TicketService(store, Config(values), lambda: link, now=lambda: moment)
        assert service.issue("A").label == "A001"
        return [e.id for e in store.events()]


#: What the admin screen's storage row says (kiosk.admin_status.status_rows draws it), for the folder given.
STORAGE_ROW = ("import sys; from pathlib import Path; from kiosk.admin_status import storage_row; "
               "row = storage_row(Path(sys.argv[1])); print(row.key, row.value, row.level)")

LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (ERROR|WARNING) kiosk")


def one_clear_line(result, folder):
    """Exit 1; the command's own line says which folder is full and what to do; the rest is the log, no traceback."""
    assert result["rc"] == 1, result
    assert "Traceback" not in result["stderr"], result["stderr"]
    lines = result["stderr"].strip().splitlines()
    own = [line for line in lines if not LOG_LINE.match(line)]
    assert len(own) == 1 and own[0].startswith("kiosk"), result["stderr"]
    assert f"the data folder {folder} is full" in own[0] and "Hint: free space there" in own[0]
    return own[0]


@pytest.fixture
def office(tmp_path):
    office = LocalOfficeAndDatabase(tmp_path / "office", KIOSK)
    yield office
    office.close()


def test_on_a_full_data_folder_ticket_simulate_and_upload_say_so_exit_1_and_keep_everything(tmp_path, office):
    seeded = seed(tmp_path / "seed")
    config = write_config(tmp_path / "kiosk.toml", tmp_path / "full", office)
    results, after = run_on_full_disk(tmp_path, tmp_path / "seed", [
        kiosk_cmd(config, "ticket", "print", "A"),
        kiosk_cmd(config, "simulate", "press", "smile", "--count", "2", "--gap", "0.5"),
        kiosk_cmd(config, "upload", "--once"),
        [sys.executable, "-c", STORAGE_ROW, tmp_path / "full"],
    ], env=env(), cwd=REPO)
    ticket, press, upload, storage = results

    assert "no number taken" in one_clear_line(ticket, tmp_path / "full") and ticket["stdout"] == ""
    line = one_clear_line(press, tmp_path / "full")
    assert "2 of 2 presses not stored" in line and "stored in" not in press["stdout"]  # no "0 ratings stored"
    one_clear_line(upload, tmp_path / "full")
    # The admin screen's status rows say it to the staff in red.
    assert storage["rc"] == 0 and storage["stdout"].startswith("storage FULL: ") and storage["stdout"].endswith(
        " KB free fail\n"), storage

    # What was stored before is all there; nothing half-written; no second number was consumed.
    with Store.open(after) as store:
        assert [e.id for e in store.events()][:len(seeded)] == seeded
        assert store.read(lambda c: c.execute("SELECT label FROM tickets").fetchall()) == [("A001",)]
        assert store.read(lambda c: c.execute("SELECT count(*) FROM ratings").fetchone()[0]) == 0
    # The upload reached the office before the kiosk could note it: once there is room, it is sent again
    # and the office keeps one copy.
    assert {e["id"] for e in office.db.events()} >= set(seeded)
    again = write_config(tmp_path / "again.toml", after, office)
    from kiosk.cli import main
    assert main(["upload", "--once", "--config", str(again)]) == 0
    assert sorted(e["id"] for e in office.db.events() if e["id"] in seeded) == sorted(seeded)
    # With room again, numbering goes on where it was.
    assert main(["ticket", "print", "A", "--config", str(again)]) == 0
    with Store.open(after) as store:
        assert [r[0] for r in store.read(lambda c: c.execute("SELECT label FROM tickets ORDER BY seq").fetchall())] \
            == ["A001", "A002"]


def test_a_data_folder_with_no_room_at_all_is_named_when_the_store_cannot_open(tmp_path, office):
    seed(tmp_path / "seed")
    config = write_config(tmp_path / "kiosk.toml", tmp_path / "full", office)
    [result], _after = run_on_full_disk(tmp_path, tmp_path / "seed", [kiosk_cmd(config, "ticket", "print", "A")],
                                        env=env(), cwd=REPO, free_kb=0)
    line = one_clear_line(result, tmp_path / "full")
    assert line.startswith("kiosk: cannot open ")
