"""
``kiosk forms list|check|qr``
=============================

The blank forms catalogue from the command line: the forms the screen shows
(what the office last gave, else the shipped file with ``[forms] file``), a
catalogue file checked before it is installed, and a form's QR code as the
kiosk shows it.
"""

from __future__ import annotations

import sys

from .cli_common import EXIT_OK, EXIT_USAGE, load

__all__ = ["cmd_forms"]


def _shown_forms(config):
    """The forms the screen shows: what the office (or ``[forms] file``) last gave, kept on disk; else the file."""
    from protocol.forms_format import load_catalogue
    from .forms import FormCatalogueCache

    cache = FormCatalogueCache(config.data_dir)  # reads only
    catalogue = cache.current() if cache.path.is_file() else load_catalogue(override=config.forms.file or None)[0]
    return catalogue.offered(config.server.public_url)


def cmd_forms(args) -> int:
    from .forms import qr_image

    config = load(args.config)
    if args.forms_command == "check":
        return _check(config, args.file)
    catalogue = _shown_forms(config)
    try:
        if args.forms_command == "qr":
            form = catalogue.by_code(args.code)
            address = form.address(config.server.public_url)
            qr_image(address, args.size).save(args.out)
            print(f"wrote {args.out}: {form.title} -> {address}")
            return EXIT_OK
        forms = catalogue.in_category(args.category) if args.category else catalogue.forms
    except KeyError as exc:
        print(f"kiosk forms: {exc.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    for form in forms:
        print(f"{form.code}\t{form.category}\t{form.title}")
    return EXIT_OK


def _check(config, file) -> int:
    """``kiosk forms check [FILE]``: its problems on stderr and exit 2, else ``OK``."""
    from protocol.forms_format import SHIPPED, check_catalogue, load_catalogue

    if file:
        # A full catalogue is checked alone; an office's override over the shipped one.
        problems = check_catalogue(file) if _is_full_catalogue(file) else load_catalogue(override=file)[1]
        name = file
    else:
        problems = load_catalogue(override=config.forms.file or None)[1]
        name = config.forms.file or str(SHIPPED)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{name}: {len(problems)} problem{'s' if len(problems) > 1 else ''}", file=sys.stderr)
        return EXIT_USAGE
    catalogue = load_catalogue(override=config.forms.file or None)[0] if not file else None
    print(f"OK {name}" + (f": {len(catalogue.forms)} forms in {len(catalogue.categories)} categories"
                           if catalogue else ""))
    return EXIT_OK


def _is_full_catalogue(path) -> bool:
    """Whether a file defines its own categories (a whole catalogue) rather than overriding forms."""
    try:
        return "[[categories]]" in open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return True  # let check_catalogue report the unreadable file
