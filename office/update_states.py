"""
What a kiosk says of its system, for the staff pages
====================================================

A kiosk's heartbeat carries a ``system`` member (protocol/updates.py): the version it runs, its slot (A or
B) and its update's state.  :func:`system_health` reads it defensively (a heartbeat from a kiosk before
updates has none) into what the kiosk list and ``/updates`` show, in Chinese; :func:`kiosk_rows` puts each
kiosk beside the bundle it is offered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence

if TYPE_CHECKING:
    from .db import Database

__all__ = ["system_health", "kiosk_rows", "STATE_LABELS"]

STATE_LABELS = {
    "idle": "", "downloading": "下載中", "downloaded": "已下載，等待更新時段", "installing": "安裝中",
    "installed": "已安裝，等待重新開機", "trying": "新系統自我檢查中", "good": "已更新",
    "failed": "更新失敗", "rolled_back": "已退回原系統", "unsupported": "不支援線上更新",
}
PROBLEM_STATES = ("failed", "rolled_back")


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def system_health(data: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """The heartbeat data's ``system`` as the pages show it; None when it has none."""
    system = data.get("system") if isinstance(data.get("system"), Mapping) else None
    if system is None:
        return None
    update = system.get("update") if isinstance(system.get("update"), Mapping) else {}
    state = _text(update.get("state")) or "idle"
    label = STATE_LABELS.get(state, state)
    done, size = update.get("done"), update.get("size")
    if state == "downloading" and isinstance(done, int) and isinstance(size, int) and size > 0:
        label += f" {min(100, done * 100 // size)}%"
    return {"version": _text(system.get("version")), "slot": _text(system.get("slot")), "state": state,
            "label": label, "update_version": _text(update.get("version")), "error": _text(update.get("error")),
            "problem": state in PROBLEM_STATES}


def kiosk_rows(db: "Database", bundles: Sequence) -> List[Dict[str, Any]]:
    """Every kiosk: id, system (system_health or None), the bundle offered it (or None), the update's state as
    far as that bundle goes ('' when the kiosk has not reported on it yet)."""
    from . import updates
    by_id = {bundle.id: bundle for bundle in bundles}
    offered = updates.targets(db)
    rows = []
    for kiosk in db.kiosks():
        heartbeat = kiosk.get("last_heartbeat") or {}
        data = heartbeat.get("data") if isinstance(heartbeat.get("data"), Mapping) else {}
        system = system_health(data)
        bundle = by_id.get(offered.get(kiosk["id"]))
        state, label = "", ""
        if bundle is not None and system is not None:
            if system["version"] == bundle.version:
                state, label = "good", STATE_LABELS["good"]
            elif system["update_version"] == bundle.version:
                state, label = system["state"], system["label"]
        rows.append({"id": kiosk["id"], "system": system, "bundle": bundle, "state": state, "label": label})
    return rows
