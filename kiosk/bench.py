"""
``kiosk bench startup``
=======================

How long from process start to the first frame on screen, and how much
memory the kiosk holds, each measured beside a bare Kivy window (an App with
one empty widget) in the same run, so the ratio means something on a noisy
machine.  Kivy allows one window per process, so each measurement is a child
process (``python -m kiosk.bench bare|kiosk``) that prints one JSON line;
this module runs them alternately and reports medians.  Both children draw
one frame per screen change, so the GL driver's own cost is in both columns;
by default they draw on a private Xvfb (see ``_display`` for why).

Figures only: nothing here passes or fails a build.  The goals (first frame
<= 2 s and <= 3x bare; RSS <= bare + 60 MB; growth over 1,000 screen changes
<= 5 MB) are printed beside the figures.

The two samples that make the growth (after the warm-up, after the changes)
are taken at rest, half a second without a change while frames are still
drawn, and in the same language: the kiosk gives freed pages back a moment
after a change, and every redraw with software GL takes and frees some 4 MB,
so a sample on the frame after a change could land 6 MB either way.

Below the table, where the memory goes, so the next regression shows where
it is: the kiosk child notes its RSS after each step (Kivy and the window,
the kiosk's imports, services, kv rules, home built, first frame drawn, each
screen's first show, the language switches of the warm-up, the measured
changes), the font faces open (one FreeType face per font file and size,
about 2.5 MB each for the CJK font: counted as open font files, since Kivy
keeps its cache out of Python's reach), the textures alive and their size,
and which screens were built (the others are built when first shown).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional, Tuple

__all__ = ["bench_startup"]

#: Before the memory baseline every screen is shown in both languages, so first-use
#: textures and glyph caches are not counted as growth; and the baseline is taken 7 changes
#: after the last switch (at 23), not on the frame after it: a switch frees every label's
#: texture, and a baseline full of pages the kiosk gives back a moment later made the growth
#: up to 10 MB negative, hiding as much real growth.
WARMUP_CHANGES = 30
LANGUAGE_EVERY = 12  # changes between language switches, warm-up included
#: Before each of the two memory samples that make the growth: this long without a change.
SETTLE_SECONDS = 0.5
#: What a resident does: home, a feature, home, another feature...
SCREENS_CYCLE = ("home", "ticket", "home", "forms", "home", "rating")


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _font_faces() -> int:
    """Font faces open: Kivy's SDL2 text provider keeps one FreeType face, and its file, open per (font, size)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").lower().endswith((".otf", ".ttf", ".ttc"))
        except OSError:
            pass
    return count


def _textures() -> Tuple[int, float]:
    """Textures alive (not counting regions of another texture) and their pixels' size in MB (4 bytes a pixel)."""
    import gc

    from kivy.graphics.texture import Texture, TextureRegion

    count, size = 0, 0
    for obj in gc.get_objects():
        if isinstance(obj, Texture) and not isinstance(obj, TextureRegion):
            count += 1
            size += obj.width * obj.height * 4
    return count, size / 2 ** 20


# -- the parent: run children, report -------------------------------------------------------

@contextlib.contextmanager
def _display(driver: str, size: Tuple[int, int]):
    """Yield (SDL driver, extra environment) for the children; ``auto`` starts a private Xvfb if it can.

    Why not SDL's offscreen driver by default: with Mesa's llvmpipe it keeps
    memory on every frame it draws (the bare window grows too, in proportion
    to what is drawn), which would drown the kiosk's own growth.  Under X
    (Xvfb, same software GL) the bare window does not grow at all.
    """
    if driver != "auto":
        yield driver, {}
        return
    if os.environ.get("DISPLAY"):
        yield "x11", {}
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        print("note: no Xvfb; measuring with SDL's offscreen driver, whose own per-frame memory growth "
              "shows in both columns (apt-get install xvfb for cleaner figures)")
        yield "offscreen", {}
        return
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write_fd), "-screen", "0", f"{size[0]}x{size[1]}x24",
                               "-nolisten", "tcp"], pass_fds=(write_fd,), stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as fh:
            number = fh.readline().strip()  # Xvfb writes its display number once it is ready
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield "x11", {"DISPLAY": f":{number}"}
    finally:
        server.terminate()
        server.wait(10)


def _run_child(kind: str, size: Tuple[int, int], changes: int, config_path: Optional[str],
               driver: str, extra_env: Dict[str, str]) -> Dict[str, float]:
    cmd = [sys.executable, "-m", "kiosk.bench", kind, f"{size[0]}x{size[1]}", str(changes), config_path or "", driver]
    env = dict(os.environ, SDL_VIDEODRIVER=driver, **extra_env)
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
                  size: Tuple[int, int] = (1280, 800), driver: str = "auto") -> int:
    bare: List[Dict[str, float]] = []
    kiosk: List[Dict[str, float]] = []
    with _display(driver, size) as (driver, extra_env):
        for _ in range(runs):  # alternate, so a slow moment of the machine hits both
            bare.append(_run_child("bare", size, changes, config_path, driver, extra_env))
            kiosk.append(_run_child("kiosk", size, changes, config_path, driver, extra_env))

    def col(rows, key):
        return [r[key] for r in rows]

    b_ff, k_ff = statistics.median(col(bare, "first_frame_s")), statistics.median(col(kiosk, "first_frame_s"))
    b_rss, k_rss = statistics.median(col(bare, "rss_first_mb")), statistics.median(col(kiosk, "rss_first_mb"))
    growth = [r["rss_after_mb"] - r["rss_warm_mb"] for r in kiosk]
    bare_growth = [r["rss_after_mb"] - r["rss_warm_mb"] for r in bare]
    own_growth = statistics.median(growth) - statistics.median(bare_growth)
    b_after, k_after = statistics.median(col(bare, "rss_after_mb")), statistics.median(col(kiosk, "rss_after_mb"))
    b_change, k_change = statistics.median(col(bare, "change_ms")), statistics.median(col(kiosk, "change_ms"))

    def verdict(ok: bool) -> str:
        return "meets goal" if ok else "MISSES goal"

    rows = [
        ("first frame after process start", _spread(col(bare, "first_frame_s"), "{:.2f} s"),
         _spread(col(kiosk, "first_frame_s"), "{:.2f} s"), f"{k_ff / b_ff:.2f}×",
         f"≤ 2 s and ≤ 3×: {verdict(k_ff <= 2 and k_ff / b_ff <= 3)}"),
        ("RSS at first frame", _spread(col(bare, "rss_first_mb"), "{:.1f} MB"),
         _spread(col(kiosk, "rss_first_mb"), "{:.1f} MB"), f"{k_rss / b_rss:.2f}× ({k_rss - b_rss:+.1f} MB)",
         f"≤ bare + 60 MB: {verdict(k_rss - b_rss <= 60)}"),
        (f"RSS after {changes} changes", _spread(col(bare, "rss_after_mb"), "{:.1f} MB"),
         _spread(col(kiosk, "rss_after_mb"), "{:.1f} MB"), f"{k_after / b_after:.2f}× ({k_after - b_after:+.1f} MB)",
         f"≤ bare + 60 MB: {verdict(k_after - b_after <= 60)}"),
        (f"RSS growth over {changes} changes", _spread(bare_growth, "{:+.1f} MB"), _spread(growth, "{:+.1f} MB"),
         f"{own_growth:+.1f} MB own", f"own ≤ 5 MB: {verdict(own_growth <= 5)}"),
        ("time per change (one frame each)", f"{b_change:.1f} ms", f"{k_change:.1f} ms",
         f"{k_change / b_change:.2f}×", ""),
    ]
    print(f"kiosk bench startup: {size[0]}x{size[1]}, SDL driver {driver} (software GL), {runs} run(s) of each, "
          f"median (min–max), Python {sys.version.split()[0]}")
    print("bare = a Kivy App with one empty widget, drawing the same number of frames "
          "(one per change), so the GL driver's own cost is in both columns")
    widths = (34, 30, 30, 24)
    print("".join(h.ljust(w) for h, w in zip(("", "bare Kivy window", "kiosk", "kiosk / bare"), widths)) + "goal")
    for row in rows:
        print("".join(c.ljust(w) for c, w in zip(row[:4], widths)) + row[4])
    _print_breakdown(bare, kiosk)
    return 0


def _print_breakdown(bare: List[Dict], kiosk: List[Dict]) -> None:
    """Where the kiosk's memory goes, step by step, from the run with the median final RSS."""
    run = sorted(kiosk, key=lambda r: r["rss_after_mb"])[len(kiosk) // 2]
    bare_run = sorted(bare, key=lambda r: r["rss_after_mb"])[len(bare) // 2]
    print()
    print("where the kiosk's memory goes (RSS after each step; the run with the median final RSS):")
    previous = None
    for step, rss in run["marks"]:
        change = "" if previous is None else f"{rss - previous:+.1f} MB"
        note = f"   (bare: {bare_run['marks'][0][1]:.1f} MB)" if previous is None else ""
        print(f"  {step:<66}{rss:7.1f} MB  {change:>9}{note}")
        previous = rss
    faces = (run["faces_first"], run["faces_after"])
    print(f"  font faces open (one per font file and size, ~2.5 MB each for the CJK font): {faces[0]} at first "
          f"frame, {faces[1]} at the end (bare: {bare_run['faces_after']})")
    (t_first, mb_first), (t_after, mb_after) = run["textures_first"], run["textures_after"]
    print(f"  textures held: {t_first} ({mb_first:.1f} MB) at first frame, {t_after} ({mb_after:.1f} MB) at the end "
          f"(bare: {bare_run['textures_after'][0]})")
    built = run.get("screens_built", [])
    if built:
        times = [ms for _name, ms in built]
        print(f"  screens built: {', '.join(name for name, _ms in built)} ({len(built)} of "
              f"{len(built) + len(run.get('screens_unbuilt', []))}; the others are built when first shown), "
              f"{min(times):.0f}–{max(times):.0f} ms each")


# -- the children ---------------------------------------------------------------------------

def _child(kind: str, size: Tuple[int, int], changes: int, config_path: str, driver: str) -> None:
    """One measurement (``python -m kiosk.bench bare|kiosk``): its app run to the end, one JSON line printed."""
    marks: List[Tuple[str, float]] = []  # (step, RSS in MB after it), in order: the breakdown

    def mark(step: str) -> None:
        marks.append((step, _rss_mb()))

    home = tempfile.mkdtemp(prefix="kiosk-bench-")
    App, Clock, Window = _open_window(driver, size, home)
    mark("Kivy imported, window open")
    if kind == "bare":
        app, services = _bare_app(App), []
    else:
        app, services = _kiosk_app(config_path, home, mark)
    run = _ChangeRun(kind, app, changes, marks, Clock, Window)
    app.run()
    for service in services:
        service.close()
    run.result["marks"] = marks
    print(json.dumps(run.result))


def _open_window(driver: str, size: Tuple[int, int], home: str):
    """Kivy configured for the bench and imported: (App, Clock, Window), the window open."""
    from .ui import environment

    environment.configure(driver, size=size, fullscreen=False, kivy_home=home)
    from kivy.config import Config as KivyConfig
    KivyConfig.set("graphics", "maxfps", "0")  # don't wait for vsync between measured frames

    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    return App, Clock, Window


def _bare_app(App):
    """The bare column's app: an empty window whose one rectangle moves a pixel per change."""
    from kivy.graphics import Color, Rectangle
    from kivy.uix.widget import Widget

    class Bare(App):
        """An empty window whose one rectangle moves a pixel per change: a redraw, nothing else."""

        def build(self):
            root = Widget()
            with root.canvas:
                Color(0.5, 0.5, 0.5, 1)
                self.rect = Rectangle(pos=(0, 0), size=(10, 10))
            return root

        def show(self, _name):
            self.rect.pos = ((self.rect.pos[0] + 1) % 100, 0)

        def toggle_language(self):
            pass
    return Bare()


def _kiosk_app(config_path: str, home: str, mark: Callable[[str], None]):
    """The kiosk column's app and its opened services, in a scratch data folder; a mark after each step."""
    from .config import load_config
    from .services import open_services
    from .ui import app as app_module
    from .ui.app import KioskApp
    mark("kiosk modules imported (Pillow, qrcode, requests, gpiozero...)")

    os.environ["XDG_DATA_HOME"] = home
    config = load_config(config_path or None)
    opened = open_services(config, with_hardware=config.simulated, data_dir=os.path.join(home, "data"))
    mark("services opened (store, hardware, catalogue)")
    load_kv = app_module._load_kv

    def load_kv_and_mark():
        load_kv()
        mark("fonts registered, kv rules loaded")
    app_module._load_kv = load_kv_and_mark  # build() calls it by this name
    app = KioskApp(config, services=opened)
    app.bind(on_start=lambda *_args: mark("home screen built (not drawn yet), services started"))
    return app, [opened]


class _ChangeRun:
    """A child's screen changes, one frame each, from the first frame: the warm-up, then the measured ones.

    ``result`` is what the child prints: the first frame's time and RSS, the RSS at the warm baseline and
    after the measured changes, the time per change, the font faces and textures held, the screens built.
    """

    def __init__(self, kind: str, app, changes: int, marks: List[Tuple[str, float]], clock, window):
        self.kind, self.app, self.changes, self.marks = kind, app, changes, marks
        self.clock, self.window = clock, window
        self.result: Dict[str, object] = {}
        self.warmup: Dict[str, float] = {}  # what the warm-up changes added, by what they did first
        self.last = {"rss": 0.0, "what": "", "lang": ""}
        self.built_meanwhile: List[str] = []  # screens built in the background since the last change
        if kind == "kiosk":
            app.bind(on_start=lambda *_args: app.manager.on_build.append(
                lambda name, _s: self.built_meanwhile.append(name)))
        self._on_flip = self.first_flip  # one object, so unbind finds what bind was given
        window.bind(on_flip=self._on_flip)

    def first_flip(self, *_args) -> None:
        result = self.result
        result["first_frame_at"] = time.monotonic()
        self.window.unbind(on_flip=self._on_flip)
        result["rss_first_mb"] = _rss_mb()
        self.marks.append(("first frame drawn (home's labels: font faces, textures)", result["rss_first_mb"]))
        result["faces_first"], result["textures_first"] = _font_faces(), _textures()
        self.last["rss"] = _rss_mb()  # the census above is not the first change's
        self.clock.schedule_once(lambda _dt: self.change(0), 0)

    def change(self, done: int, settled: bool = False) -> None:
        if done in (WARMUP_CHANGES, WARMUP_CHANGES + self.changes) and not settled:
            self._settle(done)
            return
        if 0 < done <= WARMUP_CHANGES:  # the last change's frame is drawn: what did it add?
            self._count_warmup_change(done)
        if done == WARMUP_CHANGES:
            self._take_baseline()
        if done == WARMUP_CHANGES + self.changes:
            self._finish()
            return
        self._next_change(done)

    def _settle(self, done: int) -> None:
        # Memory is sampled at rest: no change for SETTLE_SECONDS, frames still drawn (the marquee
        # moves), so the kiosk has given freed pages back and its drawing has taken what it
        # needs again, the same at both samples; the pause is not timed.
        # And in the same language: English labels are longer (the marquee alone 1 MB more), so a
        # baseline in Chinese and a last sample in English made 4 MB of "growth" that was none.
        app = self.app
        if done == WARMUP_CHANGES:
            self.last["lang"] = getattr(app, "lang", "")
        else:
            self.result["change_ms"] = (time.monotonic() - self.result.pop("_t0")) * 1000 / max(self.changes, 1)
            if getattr(app, "lang", "") != self.last["lang"]:
                app.toggle_language()
        self.clock.schedule_once(lambda _dt: self.change(done, settled=True), SETTLE_SECONDS)

    def _count_warmup_change(self, done: int) -> None:
        if self.kind == "kiosk" and done < WARMUP_CHANGES:
            # what it holds, not what glibc has not given back yet (the kiosk trims a moment after a change)
            from .ui.screens import release_free_memory
            release_free_memory()
        rss = _rss_mb()
        what = self.last["what"]
        if self.built_meanwhile and what == "warm-up: other screen changes":
            what = "warm-up: screens built after the first frame (the features)"
        self.built_meanwhile.clear()
        self.warmup[what] = self.warmup.get(what, 0.0) + rss - self.last["rss"]
        self.last["rss"] = rss

    def _take_baseline(self) -> None:
        import gc
        gc.collect()
        self.result["rss_warm_mb"] = _rss_mb()
        for what, added in self.warmup.items():
            self.marks.append((what, self.marks[-1][1] + added))
        self.marks.append(("garbage collected", self.result["rss_warm_mb"]))
        self.result["_t0"] = time.monotonic()

    def _finish(self) -> None:
        import gc
        gc.collect()
        result = self.result
        result["rss_after_mb"] = _rss_mb()
        self.marks.append((f"{self.changes} measured changes", result["rss_after_mb"]))
        result["faces_after"], result["textures_after"] = _font_faces(), _textures()
        manager = getattr(self.app, "manager", None)
        result["screens_built"] = [[name, seconds * 1000] for name, seconds in getattr(manager, "built", [])]
        result["screens_unbuilt"] = list(getattr(manager, "unbuilt", []))
        self.app.stop()

    def _next_change(self, done: int) -> None:
        app = self.app
        name = SCREENS_CYCLE[done % len(SCREENS_CYCLE)]
        first_show = self.kind == "kiosk" and not app.manager.is_built(name)
        app.show(name)
        self.last["what"] = "warm-up: other screen changes"
        if done % LANGUAGE_EVERY == LANGUAGE_EVERY - 1:
            app.toggle_language()
            self.last["what"] = "warm-up: language switches (every label drawn again)"
        if first_show:
            self.last["what"] = f"first show of {name} (built, then drawn)"
        self.built_meanwhile.clear()  # built by that show: its row says so
        self.clock.schedule_once(lambda _dt: self.change(done + 1), 0)  # one frame drawn per change


if __name__ == "__main__":
    _kind, _size, _changes, _config, _driver = sys.argv[1:6]
    width, height = (int(v) for v in _size.split("x"))
    _child(_kind, (width, height), int(_changes), _config, _driver)
