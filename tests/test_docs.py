"""Every setting is documented: in the README's configuration table and in the example file.

kiosk.settings.SETTINGS is the single source of settings; adding a row there
without documenting it fails here.

README.md must have a heading whose text starts with "Configuration" (any
level); until the next heading of the same or a higher level, every setting
is a table row starting with its key in backticks::

    | `kiosk.id` | `"ERLIN-01"` | This kiosk's name ... |

provisioning/kiosk.toml.example must set every setting inside its section,
with a comment line directly above it.
"""

import re
import sys
from pathlib import Path

import pytest

from protocol.toml_lines import key_lines
from kiosk.settings import SETTINGS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
EXAMPLE = REPO / "provisioning" / "kiosk.toml.example"
KEYS = [s.key for s in SETTINGS]
ROW = re.compile(r"^\|\s*`([a-z_]+\.[a-z_]+)`\s*\|", re.M)


def configuration_section(markdown):
    """The text under the README's "Configuration" heading, up to the next heading of its level or higher."""
    lines = markdown.splitlines()
    for start, line in enumerate(lines):
        heading = re.match(r"(#{1,6})\s+Configuration\b", line)
        if heading:
            level = len(heading.group(1))
            end = next((i for i in range(start + 1, len(lines))
                        if re.match(rf"#{{1,{level}}}\s", lines[i])), len(lines))
            return "\n".join(lines[start + 1:end])
    return None


def readme_rows():
    section = configuration_section(README.read_text(encoding="utf-8"))
    assert section is not None, "README.md has no '## Configuration' section"
    return ROW.findall(section)


@pytest.mark.parametrize("key", KEYS)
def test_readme_configuration_table_has_every_setting(key):
    assert key in readme_rows(), f"README.md's Configuration table has no row starting with | `{key}` |"


def test_readme_configuration_table_has_no_unknown_setting():
    unknown = sorted(set(readme_rows()) - set(KEYS))
    assert not unknown, f"README.md documents settings that do not exist: {unknown}"


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.key)
def test_example_sets_every_setting_under_a_comment(setting):
    text = EXAMPLE.read_text(encoding="utf-8")
    assert setting.name in tomllib.loads(text).get(setting.section, {}), \
        f"{EXAMPLE.name} does not set {setting.name} in [{setting.section}]"
    line = key_lines(text)[setting.key]
    above = text.splitlines()[line - 2].strip()
    assert above.startswith("#"), f"{EXAMPLE.name}:{line}: {setting.key} has no comment above it"
