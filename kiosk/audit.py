"""
``kiosk audit layout``
======================

Every screen × lived-in state × supported size × language, drawn by the real
app offscreen and checked from its widget tree and its pixels
(``kiosk/ui/layout_checks.py``): text that does not fit, overlaps or leaves
the screen, text too small to read on the panel the size is drawn for, touch
targets under 12 mm, contrast under 4.5:1, and words broken across lines; in the
large-text mode (``mode="large"``) with its own rules, and drawn as mounted high
(``reach="low"``) with one more: no control in the top third of the screen.

Kivy allows one window per process, and SDL's offscreen window keeps drawing
at the size it was opened with, so this parent (which imports no Kivy) runs
one child per state and size (``python -m kiosk.ui.audit_child``), two at a
time on a machine with two cores; each child seeds its state into a scratch
store (``kiosk/lived_in.py``) and walks languages and screens in one window.
A child prints one JSON object per line: a picture taken, or a problem.

The parent prints one line per problem and exits 1 if there is any.  With
``--out DIR`` it keeps every picture, named by screen, state, size and
language (``forms-busy-800x480-zh-TW.png``), and writes ``index.html``, a
contact sheet with each picture's problems under it.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple

from .ui import picture_name  # plain data: the package imports no Kivy

__all__ = ["audit_layout", "SIZES", "Finding", "picture_name"]

#: The supported screens: the official 7" display, a 7" HDMI panel, a 10.1" panel, a 15.6" monitor.
SIZES: Tuple[Tuple[int, int], ...] = ((800, 480), (1024, 600), (1280, 800), (1920, 1080))
#: Seconds one child may take before it is called hung (one state at one size is 24 pictures).
CHILD_TIMEOUT = 600


@dataclass(frozen=True)
class Finding:
    """One problem on one picture."""

    screen: str
    state: str
    size: str
    lang: str
    widget: str
    kind: str
    detail: str
    mode: str = "normal"
    reach: str = "full"

    def line(self) -> str:
        mode = (" large" if self.mode == "large" else "") + (" reach-low" if self.reach == "low" else "")
        return f"{self.screen} {self.state} {self.size} {self.lang}{mode} {self.widget}: {self.kind}: {self.detail}"


def _size_text(size: Tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def _run_child(state: str, config_path: Optional[str], size: Tuple[int, int], langs: Sequence[str],
               screens: Sequence[str], out: Optional[Path], mode: str = "normal",
               reach: str = "full") -> Tuple[List[dict], str]:
    """Run one state's child at one size; its records and, if it failed, why."""
    cmd = [sys.executable, "-m", "kiosk.ui.audit_child", "--state", state, "--size", _size_text(size),
           "--langs", ",".join(langs), "--screens", ",".join(screens), "--mode", mode, "--reach", reach]
    if config_path:
        cmd += ["--config", config_path]
    if out is not None:
        cmd += ["--out", str(out)]
    env = dict(os.environ, SDL_VIDEODRIVER="offscreen")
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        return [], f"state {state} at {_size_text(size)}: the audit did not finish in {CHILD_TIMEOUT} s"
    records = [json.loads(line[6:]) for line in proc.stdout.splitlines() if line.startswith("AUDIT ")]
    if proc.returncode != 0:
        return records, (f"state {state} at {_size_text(size)}: the audit stopped (exit {proc.returncode}):\n"
                         f"{proc.stderr[-3000:]}")
    return records, ""


def audit_layout(config_path: Optional[str] = None, out: Optional[str] = None,
                 states: Optional[Iterable[str]] = None, sizes: Optional[Iterable[Tuple[int, int]]] = None,
                 langs: Optional[Iterable[str]] = None, screens: Optional[Iterable[str]] = None,
                 jobs: Optional[int] = None, echo=print, mode: str = "normal", reach: str = "full") -> int:
    """Audit; print one line per problem and a summary; return 0 (no problem), 1 (problems) or 2 (failed).

    ``mode`` "large": the large-text mode; ``reach`` "low": as ``display.reach = "low"``, with its rule."""
    from .settings import LANGUAGES
    from .lived_in import STATES
    from .ui import NORMAL_ONLY, SCENES, SCREENS

    states = list(states or STATES)
    sizes = list(sizes or SIZES)
    langs = list(langs or LANGUAGES)
    screens = list(screens or [s for s in SCREENS + SCENES if mode != "large" or s not in NORMAL_ONLY])
    folder = Path(out) if out else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    jobs = jobs or max(1, min(2, os.cpu_count() or 1))
    work = [(state, size) for state in states for size in sizes]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        runs = list(pool.map(lambda job: _run_child(job[0], config_path, job[1], langs, screens, folder, mode,
                                                    reach), work))
    pictures, findings, failures = [], [], []
    for records, failure in runs:
        for record in records:
            if record.get("picture"):
                pictures.append(record)
            else:
                findings.append(Finding(**record))
        if failure:
            failures.append(failure)
    for finding in findings:
        echo(finding.line())
    for failure in failures:
        echo(f"kiosk audit layout: {failure}")
    expected = len(states) * len(sizes) * len(langs) * len(screens)
    shown = len({(p["screen"], p["state"], p["size"], p["lang"]) for p in pictures})
    echo(f"{shown} of {expected} screens drawn ({len(screens)} screens × {len(states)} states × {len(sizes)} sizes "
         f"× {len(langs)} languages{', large text' if mode == 'large' else ''}"
         f"{', reach low' if reach == 'low' else ''}): "
         f"{len(findings)} problem{'s' if len(findings) != 1 else ''}"
         + (f" on {len({(f.screen, f.state, f.size, f.lang) for f in findings})} of them" if findings else ""))
    if folder is not None:
        write_contact_sheet(folder, pictures, findings, mode, reach)
        echo(f"pictures and contact sheet: {folder / 'index.html'}")
    if failures or shown < expected:
        return 2
    return 1 if findings else 0


def write_contact_sheet(folder: Path, pictures: List[dict], findings: List[Finding], mode: str = "normal",
                        reach: str = "full") -> Path:
    """``index.html``: every picture, grouped by screen, its problems under it (problems first)."""
    by_picture = {}
    for finding in findings:
        by_picture.setdefault((finding.screen, finding.state, finding.size, finding.lang), []).append(finding)
    order = {(p["screen"], p["state"], p["size"], p["lang"]): n for n, p in enumerate(pictures)}
    rows = []
    screens = list(dict.fromkeys(p["screen"] for p in pictures))
    for screen in screens:
        cells = []
        keys = sorted((k for k in order if k[0] == screen), key=lambda k: (k not in by_picture, order[k]))
        for key in keys:
            name = picture_name(*key, mode, reach)
            problems = by_picture.get(key, [])
            notes = "".join(f"<li>{html.escape(f.widget)}: <b>{html.escape(f.kind)}</b> {html.escape(f.detail)}</li>"
                            for f in problems)
            cells.append(f'<figure class="{"bad" if problems else "ok"}"><a href="{html.escape(name)}">'
                         f'<img loading="lazy" src="{html.escape(name)}" alt="{html.escape(name)}"></a>'
                         f'<figcaption>{html.escape(" · ".join(key[1:]))}'
                         f'{"<ul>" + notes + "</ul>" if notes else ""}</figcaption></figure>')
        bad = sum(1 for k in keys if k in by_picture)
        rows.append(f'<h2 id="{html.escape(screen)}">{html.escape(screen)} '
                    f'<small>{len(keys)} pictures, {bad} with problems</small></h2><div class="grid">{"".join(cells)}</div>')
    total = f"{len(order)} pictures, {len(findings)} problems"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kiosk audit layout: {html.escape(total)}</title>
<style>
body {{ font-family: sans-serif; margin: 1em; background: #fafafa; }}
.grid {{ display: flex; flex-wrap: wrap; gap: 12px; }}
figure {{ margin: 0; width: 330px; background: #fff; padding: 4px; border: 3px solid #2e7d32; }}
figure.bad {{ border-color: #c62828; }}
img {{ width: 100%; display: block; }}
figcaption {{ font-size: 13px; }}
li {{ color: #b71c1c; }}
nav a {{ margin-right: 1em; }}
</style></head><body>
<h1>kiosk audit layout</h1><p>{html.escape(total)}. Red: problems found (listed under the picture); green: none.
Click a picture for its full size.</p>
<nav>{"".join(f'<a href="#{html.escape(s)}">{html.escape(s)}</a>' for s in screens)}</nav>
{"".join(rows)}
</body></html>
"""
    path = folder / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
