"""Twenty kiosks from one image: a template ``kiosk.toml`` and a CSV with one row per kiosk.

:func:`batch_configs` fills the template with each row (``id``, ``token``,
``office``... or any ``section.key``) and checks every result before
:func:`inject_batch` copies a single image; the per-kiosk files, with their
tokens, exist only briefly in a private temporary folder.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, List, Tuple

from .app_config import KINDS, key_lines, toml_value
from .boot_file import ProvisioningError, validate
from .images import inject

__all__ = ["set_key", "batch_configs", "inject_batch"]

_CSV_KEYS = {"id": "kiosk.id", "token": "server.token", "office": "kiosk.office", "office_en": "kiosk.office_en",
             "ssid": "wifi.ssid", "psk": "wifi.psk", "rotation": "display.rotation"}


def set_key(text: str, key: str, value: Any) -> str:
    """``text`` with ``section.name = value`` (replacing the key's line, or added under its header)."""
    section, name = key.split(".", 1)
    lines = text.splitlines(keepends=True)
    positions = key_lines(text)
    line = f"{name} = {toml_value(value)}\n"
    if key in positions:
        lines[positions[key] - 1] = line
    elif section in positions:
        lines.insert(positions[section], line)
    else:
        lines.insert(0, f"[{section}]\n{line}\n")
    return "".join(lines)


def batch_configs(template, csv_path) -> Tuple[List[Tuple[str, str]], List[str]]:
    """One (kiosk id, toml text) per CSV row, and every problem in any of them."""
    template_text = Path(template).read_text(encoding="utf-8")
    with open(csv_path, newline="", encoding="utf-8-sig") as stream:
        rows = list(csv.DictReader(stream))
    configs, problems, seen = [], [], set()
    if not rows or "id" not in rows[0]:
        return [], [f"{csv_path}: needs a header row with at least 'id' (and usually 'token')"]
    for number, row in enumerate(rows, start=2):
        text = _filled(template_text, row, f"{csv_path}:{number}", problems)
        kiosk_id = row["id"].strip()
        if kiosk_id in seen:
            problems.append(f"{csv_path}:{number}: id: {kiosk_id!r} appears twice")
        seen.add(kiosk_id)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "kiosk.toml"
            path.write_text(text, encoding="utf-8")
            problems.extend(p.replace(str(path), f"{csv_path}:{number} ({kiosk_id})") for p in validate(path))
        configs.append((kiosk_id, text))
    return configs, problems


def _filled(text: str, row: dict, where: str, problems: List[str]) -> str:
    """The template with one CSV row's values set; an unknown column is a problem at ``where``."""
    for column, value in row.items():
        if column is None or value is None:
            continue
        key = _CSV_KEYS.get(column.strip(), column.strip())
        if "." not in key:
            problems.append(f"{where}: {column}: unknown column; use id, token, office, ... or section.key")
            continue
        value = value.strip()
        if KINDS.get(key) == "int" and re.fullmatch(r"-?\d+", value):
            value = int(value)
        elif KINDS.get(key) == "bool" and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        text = set_key(text, key, value)
    return text


def inject_batch(image, template, csv_path, out_dir=None, name: str = "kiosk.toml") -> List[Path]:
    """``kiosk-<id>.img`` per CSV row: a copy of ``image`` with the template's id, token... set."""
    configs, problems = batch_configs(template, csv_path)
    if problems:
        raise ProvisioningError(problems)  # all rows checked before a single image is copied
    out_dir = Path(out_dir) if out_dir else Path(image).parent
    out_dir.mkdir(parents=True, exist_ok=True)
    made = []
    for kiosk_id, text in configs:
        target = out_dir / f"kiosk-{kiosk_id}.img"
        shutil.copyfile(image, target)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                stream.write(text)
            inject(target, path, name)
        made.append(target)
    return made
