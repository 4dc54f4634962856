"""
``kiosk config check`` and ``kiosk config show``
================================================

A technician's look at the configuration: whether a file is valid (its
problems with their line numbers, exit 2; what is allowed but most likely
wrong, on stderr, exit 0), and the settings in force written back as TOML,
secrets as ``***``.  Neither imports Kivy.
"""

from __future__ import annotations

import sys

from .cli_common import EXIT_OK, EXIT_USAGE, load
from .errors import ConfigError

__all__ = ["cmd_config_check", "cmd_config_show"]


def cmd_config_check(args) -> int:
    from .config import config_warnings, load_config, resolve_config_path

    path = args.path or args.config
    source = resolve_config_path(path)
    try:
        config = load_config(str(source) if source else None)
    except ConfigError as exc:
        print(f"{exc.source}: {len(exc.problems)} problem{'s' if len(exc.problems) > 1 else ''}:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {exc.source}:{problem.line or '-'}: {problem.key}: {problem.message}", file=sys.stderr)
        return EXIT_USAGE
    print(f"OK {config.summary()}")
    # Allowed but most likely wrong: said on stderr, in the problems' style, with what to do; still exit 0.
    warnings = config_warnings(config)
    where = config.source or "built-in defaults"
    if warnings:
        print(f"{where}: {len(warnings)} warning{'s' if len(warnings) > 1 else ''}:", file=sys.stderr)
    for warning in warnings:
        print(f"  {where}:{warning.line or '-'}: {warning.key}: {warning.message}; {warning.advice}", file=sys.stderr)
    return EXIT_OK


def cmd_config_show(args) -> int:
    config = load(args.config)
    print(f"# {config.source or 'built-in defaults'}")
    section = None
    for setting, _value in config.items():
        if setting.section != section:
            section = setting.section
            print(f"\n[{section}]")
        print(f"{setting.name} = {config.shown(setting.key)}")
    from .config import toml_value
    for service in config.services:
        print("\n[[services]]")
        print(f"prefix = {toml_value(service.prefix)}\nname = {toml_value(service.name)}\n"
              f"name_en = {toml_value(service.name_en)}")
        for lang, name in service.names:  # Thai's invisible word breaks (U+200B) written so a technician sees them
            print(f"name_{lang} = {toml_value(name)}".replace("\u200b", "\\u200b"))
        if service.hours:
            hours = [f"{a.strftime('%H:%M')}-{'24:00' if b.second else b.strftime('%H:%M')}" for a, b in service.hours]
            print(f"hours = {toml_value(hours)}")
        if service.weekdays:
            print(f"weekdays = {toml_value(list(service.weekdays))}")
        if service.daily_limit:
            print(f"daily_limit = {service.daily_limit}")
    return EXIT_OK
