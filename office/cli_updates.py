"""
``kiosk-office update``: system updates from the command line
==============================================================

::

    kiosk-office update add FILE.raucb                       list an uploaded bundle (kept in the bundles folder)
    kiosk-office update add --url https://… --version V --sha256 HEX --size BYTES   one kept elsewhere
    kiosk-office update list                                 the bundles, and each kiosk's system and update
    kiosk-office update offer VERSION --kiosk ID [--kiosk ID …]   offer it to these kiosks (the first one)
    kiosk-office update offer VERSION --rest                 offer it to every other kiosk
    kiosk-office update withdraw VERSION                     offer it to nobody any more

What the staff page ``/updates`` does (office/update_pages.py), for a technician's script and the image's
update test (``make update-test``).  The rules are ``office/updates.py``'s.
"""

from __future__ import annotations

import sys

from .cli_common import open_db

__all__ = ["add_commands"]

WHO = "kiosk-office update"


def _bundle_id(db, version: str) -> int:
    from . import updates
    found = [b for b in updates.bundles(db) if b.version == version or str(b.id) == version]
    if not found:
        raise updates.BundleError(f"no bundle {version!r}; listed: "
                                  + (", ".join(b.version for b in updates.bundles(db)) or "none"))
    return found[0].id  # the newest of that version


def _add(args) -> int:
    from . import updates
    with open_db(args) as db:
        if args.url:
            found = updates.add_url(db, args.url, args.version or "", args.sha256 or "", args.size or 0, WHO)
        elif args.file:
            with open(args.file, "rb") as stream:
                found = updates.add_file(db, stream, WHO)
        else:
            raise updates.BundleError("give a .raucb file, or --url with --version, --sha256 and --size")
    print(f"bundle {found.id}: {found.version}, {found.size} bytes, sha256 {found.sha256}")
    return 0


def _list(args) -> int:
    from . import updates
    from .update_states import kiosk_rows
    with open_db(args) as db:
        listed = updates.bundles(db)
        for b in listed:
            print(f"bundle {b.id}\t{b.version}\t{b.size}\t{b.url or b.file_name}")
        for row in kiosk_rows(db, listed):
            system = row["system"] or {}
            offered = row["bundle"].version if row["bundle"] else "-"
            update = system.get("state") or "-"
            if system.get("update_version"):
                update += f" {system['update_version']}"
            print(f"kiosk {row['id']}\t{system.get('version') or '-'}\t{system.get('slot') or '-'}\toffered {offered}"
                  f"\t{update}" + (f"\t{system['error']}" if system.get("error") else ""))
    return 0


def _offer(args) -> int:
    from . import updates
    with open_db(args) as db:
        bundle_id = _bundle_id(db, args.version)
        changed = (updates.assign_rest(db, bundle_id, WHO) if args.rest
                   else updates.assign(db, bundle_id, args.kiosk or [], WHO))
    print(f"{args.version} offered to {', '.join(changed) or 'no kiosk more'}")
    return 0


def _withdraw(args) -> int:
    from . import updates
    with open_db(args) as db:
        count = updates.withdraw(db, _bundle_id(db, args.version))
    print(f"{args.version} withdrawn from {count} kiosk(s)")
    return 0


def _guarded(handler):
    def run(args) -> int:
        from .updates import BundleError
        try:
            return handler(args)
        except (BundleError, OSError) as exc:
            print(f"kiosk-office update: {exc}", file=sys.stderr)
            return 2
    return run


def add_commands(commands, db) -> None:
    update = commands.add_parser("update", help="system updates for the kiosks (RAUC bundles)")
    actions = update.add_subparsers(dest="update_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", parents=[db], help="list a bundle: a .raucb file, or --url of one elsewhere")
    add.add_argument("file", nargs="?", help="the .raucb file from make bundle")
    add.add_argument("--url", help="an https:// address the kiosks fetch it from instead")
    add.add_argument("--version", help="with --url: the bundle's version")
    add.add_argument("--sha256", help="with --url: its SHA-256 (the build's .raucb.sha256)")
    add.add_argument("--size", type=int, help="with --url: its size in bytes")
    add.set_defaults(func=_guarded(_add))
    actions.add_parser("list", parents=[db], help="the bundles, and each kiosk's system and update"
                       ).set_defaults(func=_guarded(_list))
    offer = actions.add_parser("offer", parents=[db], help="offer a bundle to kiosks: one first, then --rest")
    offer.add_argument("version", help="the bundle's version (or its number in update list)")
    who = offer.add_mutually_exclusive_group(required=True)
    who.add_argument("--kiosk", action="append", metavar="ID", help="a kiosk to offer it to (repeatable)")
    who.add_argument("--rest", action="store_true", help="every kiosk not yet offered it")
    offer.set_defaults(func=_guarded(_offer))
    withdraw = actions.add_parser("withdraw", parents=[db], help="offer a bundle to nobody any more")
    withdraw.add_argument("version")
    withdraw.set_defaults(func=_guarded(_withdraw))
