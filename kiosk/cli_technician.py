"""
What a technician runs at a kiosk: ``kiosk selftest``, ``kiosk admin hash-pin``, ``kiosk fonts build``
=====================================================================================================

Setting a kiosk up and checking it: every part tried (a PASS, WARN or FAIL
row each; exit 1 on a FAIL), the staff PIN's hash line for kiosk.toml (the
PIN itself never printed or kept), and the Traditional Chinese font files.
"""

from __future__ import annotations

import logging
import sys

from .cli_common import EXIT_OK, EXIT_USAGE, load

__all__ = ["cmd_selftest", "cmd_admin", "cmd_fonts"]


def cmd_selftest(args) -> int:
    from .selftest import SelfTest, exit_code, render_json, render_row, summary

    config = load(args.config)
    out = sys.stderr if args.json else sys.stdout  # with --json, stdout is the JSON alone
    root = logging.getLogger()
    level = root.level
    if not args.verbose:
        root.setLevel(logging.CRITICAL)  # every problem is a row; log lines would only repeat them
    test = SelfTest(config, printer_url=args.printer, interactive=args.interactive, test_page=args.test_page,
                    timeout=args.timeout, prompt=lambda text: print(text, file=out, flush=True),
                    keys_in=sys.stdin if args.interactive and config.simulated else None)
    try:
        if args.json:
            checks = test.run()
            print(render_json(checks, config.kiosk.id))
        else:
            width = max(len(name) for name, _step in test.plan())
            checks = test.run(on_check=lambda check: print(render_row(check, width), flush=True))
            print(summary(checks, config.kiosk.id))
    finally:
        test.close()
        root.setLevel(level)
    return exit_code(checks)


def cmd_admin(args) -> int:
    """``kiosk admin hash-pin``: the line to paste into kiosk.toml; the PIN itself is never printed or kept."""
    import getpass

    from .admin_pin import PIN_PATTERN, hash_pin

    read = getpass.getpass if sys.stdin.isatty() else (lambda prompt: (print(prompt, end="", file=sys.stderr),
                                                                          sys.stdin.readline().strip())[1])
    pin = read("PIN (4-8 digits): ")
    if not PIN_PATTERN.fullmatch(pin):
        print("kiosk admin: a PIN is 4 to 8 digits; nothing was made", file=sys.stderr)
        return EXIT_USAGE
    if read("the same PIN again: ") != pin:
        print("kiosk admin: the two PINs differ; nothing was made", file=sys.stderr)
        return EXIT_USAGE
    print("[admin]")
    print(f'pin_hash = "{hash_pin(pin)}"')
    return EXIT_OK


def cmd_fonts(args) -> int:
    from .fonts import build_fonts
    for style, path in build_fonts(args.dest).items():
        print(f"{style}: {path}")
    return EXIT_OK
