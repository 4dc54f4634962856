"""`kiosk simulate press`, `kiosk ratings stats|export` and `kiosk bench ratings` as a technician runs them.

Real processes with the built-in defaults: no KIOSK_CONFIG, data in
$XDG_DATA_HOME/kiosk (a temporary folder per test or module).
"""

import csv
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from protocol import officetime
from kiosk.config import SYSTEM_CONFIG

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(SYSTEM_CONFIG.exists(), reason=f"{SYSTEM_CONFIG} would replace the built-in defaults")


def kiosk(data_home, *args, timeout=120, **env):
    base = {k: v for k, v in os.environ.items()
            if k not in ("KIOSK_CONFIG", "DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=timeout, env={**base, "XDG_DATA_HOME": str(data_home), **env})


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr
    return result.stdout.splitlines()


def line_starting(lines, prefix):
    found = [line for line in lines if line.startswith(prefix)]
    assert len(found) == 1, f"expected one line starting {prefix!r} in:\n" + "\n".join(lines)
    return found[0]


def roc_day(day):
    return officetime.roc_short(day)


def roc_month(day):
    return f"{officetime.roc_year(day)}/{day.month:02d}"


# -- the done-when ------------------------------------------------------------------------


def test_three_presses_four_seconds_apart_are_three_satisfied_and_no_misuse(tmp_path):
    out = ok(kiosk(tmp_path, "simulate", "press", "smile", "--count", "3", "--gap", "4"))
    db = tmp_path / "kiosk" / "kiosk.db"
    assert out == [f"pressed smile (滿意) 3 times, 4 s apart: 3 ratings stored in {db}, 0 marked misuse"]
    lines = ok(kiosk(tmp_path, "ratings", "stats"))
    assert "ratings: 3 (misuse excluded)" in lines
    assert "satisfied: 3 of 3 (100.0 %)" in lines
    assert line_starting(lines, "misuse: ").startswith("misuse: 0 ")
    smile = next(line for line in lines if " smile " in line)
    assert smile.split()[-3:] == ["3", "100.0", "%"]


@pytest.fixture(scope="module")
def hammered(tmp_path_factory):
    """A data folder after `kiosk simulate press smile --count 3 --gap 0.5`: one rating and two misuse."""
    home = tmp_path_factory.mktemp("xdg")
    out = ok(kiosk(home, "simulate", "press", "smile", "--count", "3", "--gap", "0.5"))
    assert out[0].endswith("3 ratings stored in " + str(home / "kiosk" / "kiosk.db") + ", 2 marked misuse"), out
    return home


def test_presses_half_a_second_apart_are_misuse_and_left_out_of_the_share(hammered):
    lines = ok(kiosk(hammered, "ratings", "stats"))
    assert "ratings: 1 (misuse excluded)" in lines
    assert "satisfied: 1 of 1 (100.0 %)" in lines
    misuse = line_starting(lines, "misuse: ")
    assert misuse.startswith("misuse: 2 ") and "not counted above" in misuse


def test_include_misuse_counts_them(hammered):
    lines = ok(kiosk(hammered, "ratings", "stats", "--include-misuse"))
    assert "ratings: 3 (misuse included)" in lines
    assert "satisfied: 3 of 3 (100.0 %)" in lines
    assert line_starting(lines, "misuse: ").startswith("misuse: 2 ")


def test_stats_for_an_roc_day_and_month(hammered):
    today = officetime.office_day()
    lines = ok(kiosk(hammered, "ratings", "stats", "--day", roc_day(today)))
    assert f"民國{officetime.roc_year(today)}年{today.month}月{today.day}日" in lines[0]
    assert "satisfied: 1 of 1 (100.0 %)" in lines
    assert line_starting(lines, "misuse: ").startswith("misuse: 2 ")
    hours = [line for line in lines if re.fullmatch(r"  \d\d:00 +\d+  █+", line)]
    assert sum(int(line.split()[1]) for line in hours) == 1

    month = ok(kiosk(hammered, "ratings", "stats", "--month", roc_month(today)))
    assert "satisfied: 1 of 1 (100.0 %)" in month

    yesterday = ok(kiosk(hammered, "ratings", "stats", "--day", roc_day(today - timedelta(days=1))))
    assert "satisfied: no ratings in this period" in yesterday
    assert line_starting(yesterday, "misuse: ").startswith("misuse: 0 ")


@pytest.mark.parametrize("args, message", [
    (["--month", "13/2026"], "expected a month such as 115/11 (ROC year), got '13/2026'"),
    (["--month", "november"], "expected a month such as 115/11"),
    (["--month", "115/13"], "'115/13' is not a real date"),
    (["--day", "115/11"], "expected a day such as 115/11/27 (ROC year), got '115/11'"),
    (["--day", "115/02/30"], "'115/02/30' is not a real date"),
])
def test_a_bad_period_exits_2_and_says_what_it_expects(tmp_path, args, message):
    result = kiosk(tmp_path, "ratings", "stats", *args)
    assert result.returncode == 2
    assert f"kiosk ratings: {message}" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_month_and_day_together_are_a_usage_error(tmp_path):
    result = kiosk(tmp_path, "ratings", "stats", "--month", "115/11", "--day", "115/11/27")
    assert result.returncode == 2
    assert "not allowed with" in result.stderr


def test_export_writes_every_rating_with_a_misuse_column(hammered, tmp_path):
    target = tmp_path / "評價.csv"
    today = officetime.office_day()
    out = ok(kiosk(hammered, "ratings", "export", "--csv", str(target)))
    assert out == [f"wrote 3 ratings of 民國{officetime.roc_year(today)}年{today.month}月 to {target}"]
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(target, newline="", encoding="utf-8-sig") as fh:
        records = list(csv.DictReader(fh))
    assert [(r["choice"], r["label"], r["source"], r["misuse"]) for r in records] == [
        ("smile", "滿意", "button", "0"), ("smile", "滿意", "button", "1"), ("smile", "滿意", "button", "1")]
    assert {r["roc_date"] for r in records} == {roc_day(today)}
    assert all(r["at"].endswith("+08:00") for r in records)
    assert len({r["id"] for r in records}) == 3


def test_export_needs_a_file(tmp_path):
    result = kiosk(tmp_path, "ratings", "export")
    assert result.returncode == 2 and "--csv" in result.stderr


# -- simulate: bad input --------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["nope", "4", "0"])
def test_simulate_press_with_an_unknown_key_exits_2_naming_the_valid_keys(tmp_path, key):
    result = kiosk(tmp_path, "simulate", "press", key)
    assert result.returncode == 2
    said = result.stdout + result.stderr
    assert f"no choice '{key}' on a scale of 3" in said
    assert "smile, neutral, frown" in said and "1-3" in said
    assert "Traceback" not in said
    assert not (tmp_path / "kiosk" / "kiosk.db").exists()  # nothing was pressed, nothing written


def test_simulate_press_usage_errors_go_to_stderr(tmp_path):
    result = kiosk(tmp_path, "simulate", "press", "nope")
    assert result.returncode == 2
    assert "no choice 'nope'" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("args", [["--count", "0"], ["--gap", "-1"], ["--hold", "-0.1"]])
def test_simulate_press_with_bad_numbers_exits_2(tmp_path, args):
    result = kiosk(tmp_path, "simulate", "press", "smile", *args)
    assert result.returncode == 2
    assert args[0] in result.stderr and "at least" in result.stderr
    assert not (tmp_path / "kiosk" / "kiosk.db").exists()


def test_simulate_press_by_number_and_by_name(tmp_path):
    ok(kiosk(tmp_path, "simulate", "press", "3", "--hold", "0.06"))
    ok(kiosk(tmp_path, "simulate", "press", "neutral", "--hold", "0.06"))
    lines = ok(kiosk(tmp_path, "ratings", "stats", "--include-misuse"))
    counts = {line.split()[1]: int(line.split()[2])
              for line in lines if re.match(r"  \S+\s+(smile|neutral|frown) ", line)}
    assert counts == {"smile": 0, "neutral": 1, "frown": 1}
    assert "satisfied: 0 of 2 (0.0 %)" in lines


# -- bench ----------------------------------------------------------------------------------------

ROW = re.compile(r"(bare SQLite insert|kiosk press → commit)\s+([\d.]+) ms\s+([\d.]+) ms\s+([\d.]+) ms\s+(\d+)")
RATIO = re.compile(r"kiosk / bare\s+([\d.]+)×\s+([\d.]+)×\s+([\d.]+)×")
GOAL = re.compile(r"goal p99 ≤ 20 ms: (meets goal|MISSES goal); p99 ≤ 3× bare: (meets goal|MISSES goal)")


def ratio_bounds(top, bottom, half_step):
    """The range a ratio of two printed numbers (rounded to ``half_step`` * 2) can have come from."""
    return (top - half_step) / (bottom + half_step), (top + half_step) / max(bottom - half_step, 1e-9)


def test_bench_ratings_prints_p50_p99_rows_and_a_consistent_ratio(tmp_path):
    result = kiosk(tmp_path, "bench", "ratings", "--presses", "300", TMPDIR=str(tmp_path), timeout=300)
    lines = ok(result)
    assert lines[0].startswith("kiosk bench ratings: 300 presses through mock pin")
    stored = re.search(r"\b(\d+) (?:rows|ratings) stored", lines[0])
    assert stored and stored.group(1) == "300", lines[0]  # every press timed was a rating on disk
    header = lines[1].split()
    assert header == ["p50", "p99", "max", "per", "second"]
    rows = {}
    for line in lines:
        match = ROW.fullmatch(line)
        if match:
            p50, p99, worst, per_second = (float(g) for g in match.groups()[1:])
            assert 0 < p50 <= p99 <= worst, line
            assert per_second > 0
            rows[match.group(1)] = (p50, p99, per_second)
    assert set(rows) == {"bare SQLite insert", "kiosk press → commit"}, "\n".join(lines)
    ratio = RATIO.fullmatch(line_starting(lines, "kiosk / bare"))
    assert ratio, "\n".join(lines)
    r50, r99, rate = (float(g) for g in ratio.groups())
    (k50, k99, krate), (b50, b99, brate) = rows["kiosk press → commit"], rows["bare SQLite insert"]
    for printed, top, bottom, half in ((r50, k50, b50, 0.005), (r99, k99, b99, 0.005), (rate, krate, brate, 0.5)):
        low, high = ratio_bounds(top, bottom, half)
        assert low - 0.005 <= printed <= high + 0.005, f"{printed} is not {top} / {bottom}"
    goal = GOAL.fullmatch(line_starting(lines, "goal p99"))
    assert goal, "\n".join(lines)
    if abs(k99 - 20) > 0.01:
        assert (goal.group(1) == "meets goal") == (k99 <= 20)
    if abs(r99 - 3) > 0.01:
        assert (goal.group(2) == "meets goal") == (r99 <= 3)


def test_bench_ratings_refuses_nonsense(tmp_path):
    result = kiosk(tmp_path, "bench", "ratings", "--presses", "many")
    assert result.returncode == 2 and "--presses" in result.stderr


@pytest.mark.parametrize("presses", ["0", "-5"])
def test_bench_ratings_with_no_presses_is_a_usage_error(tmp_path, presses):
    result = kiosk(tmp_path, "bench", "ratings", "--presses", presses, TMPDIR=str(tmp_path))
    assert "Traceback" not in result.stderr
    assert result.returncode == 2 and "--presses" in result.stdout + result.stderr
