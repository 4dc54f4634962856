"""
First-boot provisioning of a kiosk from the boot partition's ``kiosk.toml``
===========================================================================

One file configures a kiosk: the app's own sections (``[kiosk]``,
``[printer]``, ``[server]``, ``[display]``, ...; checked by
:mod:`kiosk.config`) plus three system sections checked by this package:

``[wifi]``     ``ssid`` (1-32 bytes), ``psk`` (8-63 printable ASCII, secret),
               ``country`` (two capital letters, default ``"TW"``).  No
               ``[wifi]`` or an empty ssid: wired only.
``[network]``  ``ntp``: NTP servers (default the national time servers).
``[ssh]``      ``authorized_keys``: public keys for root; empty: SSH off.

``kiosk.id`` becomes the host name (lower-cased), so here it must be letters,
digits and hyphens only - stricter than the app's own rule.

This module is the command line, ``kiosk-provision``; the work lives beside it:
:func:`provisioning.boot_file.validate` lists every problem as
``FILE:LINE: KEY: message`` (secrets never echoed);
:func:`provisioning.first_boot.apply` writes the system files under ``root``
and scrubs the secrets off the card; :func:`provisioning.images.inject`
writes a ``kiosk.toml`` into an image file's FAT boot partition with mtools
(no root, no mount); :func:`provisioning.batch.inject_batch` makes one image
per row of a CSV of kiosk ids and tokens.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from pathlib import Path
from typing import Optional, Sequence

from .batch import inject_batch
from .boot_file import ProvisioningError, validate
from .first_boot import apply
from .images import ImageError, inject
from .layout import BOOT_TOML, HASH_FILE

__all__ = ["main", "USAGE"]

USAGE = """\
usage: kiosk-provision validate KIOSK.TOML
       kiosk-provision inject IMAGE.img KIOSK.TOML
       kiosk-provision inject IMAGE.img TEMPLATE.TOML --batch KIOSKS.csv [--out DIR]
       kiosk-provision apply [--boot /boot/firmware/kiosk.toml] [--root /] [--dry-run]

Exit status: 0 done, 2 the file has problems (each one listed), 1 anything else."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk-provision", usage=USAGE.split("\n\n")[0].replace("usage: ", "", 1),
                                     description="Check kiosk.toml, put it into SD-card images, apply it on first boot.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check a kiosk.toml (exit 2 listing every problem)")
    p.add_argument("toml")
    p = sub.add_parser("inject", help="write kiosk.toml into an image's boot partition (mtools, no root)")
    p.add_argument("image")
    p.add_argument("toml")
    p.add_argument("--batch", metavar="CSV", help="one image per row: columns id,token[,office,...]")
    p.add_argument("--out", metavar="DIR", help="where kiosk-<id>.img go (default: the image's folder)")
    p = sub.add_parser("apply", help="the first-boot service: apply the boot file to this system")
    p.add_argument("--boot", default=str(BOOT_TOML))
    p.add_argument("--root", default="/")
    p.add_argument("--dry-run", action="store_true", help="write the files but run no systemctl/hostname commands")
    return parser


def _validate(args) -> int:
    problems = validate(args.toml)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(f"{args.toml}: {len(problems)} problem(s); nothing is right until all are fixed", file=sys.stderr)
        return 2
    print(f"OK {args.toml}")
    return 0


def _inject(args) -> int:
    if args.batch:
        for made in inject_batch(args.image, args.toml, args.batch, args.out):
            print(made)
    else:
        inject(args.image, args.toml)
        print(f"OK {args.toml} -> {args.image} ::/kiosk.toml")
    return 0


def _apply(args) -> int:
    if not Path(args.boot).exists() and not (Path(args.root) / HASH_FILE).exists():
        print(f"{args.boot}: no such file; nothing to apply", file=sys.stderr)
        return 0
    run = None if args.dry_run else (lambda cmd: subprocess.run(cmd, check=False))
    changes = apply(args.boot, args.root, run)
    print("\n".join(changes) if changes else "nothing changed")
    return 0


_COMMANDS = {"validate": _validate, "inject": _inject, "apply": _apply}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``kiosk-provision``: exit 0 done, 2 the file has problems (each one listed), 1 anything else."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="kiosk-provision: %(message)s")
    try:
        return _COMMANDS[args.command](args)
    except ProvisioningError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 2
    except (ImageError, OSError) as exc:
        print(f"kiosk-provision: {exc}", file=sys.stderr)
        return 1
