"""
``kiosk update status`` and ``kiosk update confirm``
====================================================

``status``: the running system (version, slot), the update under way and its state, as the heartbeat tells
the office.  ``confirm``: the check at boot (kiosk/updates/confirm.py), run by
``kiosk-update-confirm.service`` after ``kiosk.service``; it keeps the running slot or goes back to the other.
Neither opens the store or imports Kivy.
"""

from __future__ import annotations

import json

from .cli_common import EXIT_FAILED, EXIT_OK, load

__all__ = ["cmd_update"]


def cmd_update(args) -> int:
    from . import __version__
    from .updates.confirm import confirm
    from .updates.record import UpdateRecord, system_summary
    from .updates.slots import slots_for

    config = load(args.config)
    slots = slots_for(config, __version__)
    folder = config.data_dir / "update"
    if args.action == "confirm":
        minutes = args.minutes if args.minutes is not None else config.update.confirm_minutes
        state = confirm(slots, folder, minutes)
        record = UpdateRecord.load(folder)
        print(f"slot {slots.booted() or '-'} ({slots.version()}): {state}" + (f": {record.error}" if record.error
                                                                              else ""))
        return EXIT_FAILED if state == "rolled_back" and slots.booted() == record.to_slot else EXIT_OK
    summary = {"system": slots.name, **system_summary(slots, UpdateRecord.load(folder))}
    summary["slot"] = summary["slot"] or None
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return EXIT_OK
    update = summary["update"]
    print(f"system {slots.name}: version {summary['version']}, slot {summary['slot'] or '-'}")
    line = f"update: {update['state']}"
    if update.get("version"):
        line += f" {update['version']}"
    if update["state"] == "downloading":
        line += f" ({update['done'] * 100 // max(1, update['size'])} % of {update['size']} bytes)"
    print(line + (f": {update['error']}" if update.get("error") else ""))
    return EXIT_OK
