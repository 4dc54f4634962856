"""
``kiosk bench startup``
=======================

How long from process start to the first frame on screen, and how much
memory the kiosk holds, each measured beside a bare Kivy window (an App with
one empty widget) in the same run, so the ratio means something on a noisy
machine.  Kivy allows one window per process, so each measurement is a child
process (``python -m kiosk.bench bare|kiosk``) that prints one JSON line;
this module runs them alternately and reports medians.

Figures only: nothing here passes or fails a build.  The goals (first frame
<= 2 s and <= 3x bare; RSS <= bare + 60 MB; growth over 1,000 screen changes
<= 5 MB) are printed beside the figures.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

__all__ = ["bench_startup"]

WARMUP_CHANGES = 24  # every screen visited a few times before the memory baseline
#: What a resident does: home, a feature, home, another feature...
SCREENS_CYCLE = ("home", "ticket", "home", "forms", "home", "rating")


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# -- the parent: run children, report -------------------------------------------------------

def _run_child(kind: str, size: Tuple[int, int], changes: int, config_path: Optional[str]) -> Dict[str, float]:
    cmd = [sys.executable, "-m", "kiosk.bench", kind, f"{size[0]}x{size[1]}", str(changes), config_path or ""]
    env = dict(os.environ, SDL_VIDEODRIVER="offscreen")
    started = time.monotonic()  # CLOCK_MONOTONIC is system-wide: comparable with the child's
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"bench child {kind!r} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["first_frame_s"] = result.pop("first_frame_at") - started
    return result


def _spread(values: List[float], fmt: str) -> str:
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def bench_startup(config_path: Optional[str] = None, changes: int = 1000, runs: int = 3,
                  size: Tuple[int, int] = (1280, 800)) -> int:
    bare: List[Dict[str, float]] = []
    kiosk: List[Dict[str, float]] = []
    for _ in range(runs):  # alternate, so a slow moment of the machine hits both
        bare.append(_run_child("bare", size, 0, config_path))
        kiosk.append(_run_child("kiosk", size, changes, config_path))

    def col(rows, key):
        return [r[key] for r in rows]

    b_ff, k_ff = statistics.median(col(bare, "first_frame_s")), statistics.median(col(kiosk, "first_frame_s"))
    b_rss, k_rss = statistics.median(col(bare, "rss_first_mb")), statistics.median(col(kiosk, "rss_first_mb"))
    growth = [r["rss_after_mb"] - r["rss_warm_mb"] for r in kiosk]
    k_after = statistics.median(col(kiosk, "rss_after_mb"))
    per_change_ms = statistics.median(col(kiosk, "change_ms"))

    def verdict(ok: bool) -> str:
        return "meets goal" if ok else "MISSES goal"

    print(f"kiosk bench startup: {size[0]}x{size[1]} offscreen (software GL), {runs} run(s) each, "
          f"median (min–max), Python {sys.version.split()[0]}")
    print(f"{'':36}{'bare Kivy window':>24}{'kiosk':>24}   ratio")
    print(f"{'first frame after process start':36}{_spread(col(bare, 'first_frame_s'), '{:.2f} s'):>24}"
          f"{_spread(col(kiosk, 'first_frame_s'), '{:.2f} s'):>24}   {k_ff / b_ff:.2f}× bare   "
          f"goal ≤ 2 s and ≤ 3×: {verdict(k_ff <= 2 and k_ff / b_ff <= 3)}")
    print(f"{'RSS at first frame':36}{_spread(col(bare, 'rss_first_mb'), '{:.1f} MB'):>24}"
          f"{_spread(col(kiosk, 'rss_first_mb'), '{:.1f} MB'):>24}   {k_rss / b_rss:.2f}× bare, "
          f"{k_rss - b_rss:+.1f} MB   goal ≤ +60 MB: {verdict(k_rss - b_rss <= 60)}")
    print(f"{f'RSS after {changes} screen changes':36}{'—':>24}{_spread(col(kiosk, 'rss_after_mb'), '{:.1f} MB'):>24}"
          f"   {k_after / b_rss:.2f}× bare, {k_after - b_rss:+.1f} MB   goal ≤ +60 MB: {verdict(k_after - b_rss <= 60)}")
    print(f"{f'growth over {changes} changes':36}{'—':>24}{_spread(growth, '{:+.1f} MB'):>24}"
          f"   (after {WARMUP_CHANGES} warm-up changes)   goal ≤ 5 MB: {verdict(statistics.median(growth) <= 5)}")
    print(f"{'time per screen change (incl. frame)':36}{'—':>24}{per_change_ms:>21.1f} ms")
    return 0


# -- the children ---------------------------------------------------------------------------

def _child(kind: str, size: Tuple[int, int], changes: int, config_path: str) -> None:
    from .ui import environment

    home = tempfile.mkdtemp(prefix="kiosk-bench-")
    environment.configure("offscreen", size=size, fullscreen=False, kivy_home=home)
    from kivy.config import Config as KivyConfig
    KivyConfig.set("graphics", "maxfps", "0")  # don't wait for vsync between measured frames

    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window

    result: Dict[str, float] = {}

    if kind == "bare":
        from kivy.uix.widget import Widget

        class Bare(App):
            def build(self):
                return Widget()
        app = Bare()
        services = []
    else:
        from .config import load_config
        from .runtime import open_hardware_for
        from .store import Store
        from .ui.app import KioskApp

        os.environ["XDG_DATA_HOME"] = home
        config = load_config(config_path or None)
        store = Store.open(os.path.join(home, "data"))
        app = KioskApp(config, store=store)
        hardware = open_hardware_for(config, on_press=app.hardware_event) if config.simulated else None
        app.hardware = hardware
        services = [s for s in (hardware, store) if s is not None]

    def first_flip(*_args):
        result["first_frame_at"] = time.monotonic()
        Window.unbind(on_flip=first_flip)
        result["rss_first_mb"] = _rss_mb()
        if kind == "bare":
            Clock.schedule_once(lambda _dt: app.stop(), 0)
        else:
            Clock.schedule_once(lambda _dt: change(0), 0)

    def change(done: int):
        if done == WARMUP_CHANGES:
            import gc
            gc.collect()
            result["rss_warm_mb"] = _rss_mb()
            result["_t0"] = time.monotonic()
        if done == WARMUP_CHANGES + changes:
            import gc
            gc.collect()
            result["rss_after_mb"] = _rss_mb()
            result["change_ms"] = (time.monotonic() - result.pop("_t0")) * 1000 / max(changes, 1)
            app.stop()
            return
        app.show(SCREENS_CYCLE[done % len(SCREENS_CYCLE)])
        if done % 50 == 49:
            app.toggle_language()
        Clock.schedule_once(lambda _dt: change(done + 1), 0)  # one frame drawn per change

    Window.bind(on_flip=first_flip)
    app.run()
    for service in services:
        service.close()
    print(json.dumps(result))


if __name__ == "__main__":
    _kind, _size, _changes, _config = sys.argv[1:5]
    width, height = (int(v) for v in _size.split("x"))
    _child(_kind, (width, height), int(_changes), _config)
