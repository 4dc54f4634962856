"""Packaging for the lobby kiosk and its office server: two programs from one source tree.

``pip install .[kiosk]``   the appliance: ``kiosk`` (Kivy UI), ``hardware`` (GPIO, printer), ``protocol``
``pip install .[office]``  the office server: ``office`` (Flask, SQLAlchemy), ``protocol``; no Kivy, GPIO or serial
``pip install -e .[test]`` development: both, and the test tools (``make setup`` does this)

Both programs speak the protocol (``protocol/``, standard library only) and neither imports the other
(``.importlinter``).  Installed bare, only the protocol's needs come in.
"""
import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(r'^__version__ = "([^"]+)"', (HERE / "protocol" / "__init__.py").read_text(), re.M).group(1)

# kiosk-office (office/); flask 3.1: a limit per view (uploads); requests: the forms' link check; babel: the live
# queue page's gettext catalogues and its dates in each language (office/queue_texts.py)
OFFICE = ["flask>=3.1", "sqlalchemy>=2.0", "pydantic>=2.5", "waitress>=3.0.1", "requests>=2.31", "babel>=2.12",
          "pywebpush>=2.0"]  # pywebpush: the live page's reminders (office/push.py)
# kiosk (kiosk/, hardware/): the screen, the buttons, the printer, the QR codes, the uploads
KIOSK = [
    "kivy>=2.3,<2.4",
    "gpiozero>=2.0",
    "pyserial>=3.5",
    "qrcode>=7.4",
    "requests>=2.31",
    "pillow>=10",
    "fonttools>=4.40",  # extracts the Traditional Chinese face from Noto Sans CJK (kiosk/fonts.py)
    "babel>=2.12",  # reads the messages' gettext catalogues (kiosk/i18n.py); pybabel updates them (make messages)
]

setup(
    name="erlin-kiosk",
    version=VERSION,
    description="Lobby kiosk for a Taiwanese household registration office: queue tickets, ratings, forms",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.9,<3.14",
    # kiosk.fonts, kiosk.locale and protocol.data hold data only; naming them keeps setuptools from guessing.
    packages=find_packages(include=["protocol", "protocol.*", "kiosk", "kiosk.*", "hardware", "hardware.*", "office", "office.*"])
    + ["kiosk.fonts", "kiosk.locale", "protocol.data"],
    package_data={
        "kiosk.locale": ["*.pot", "*.toml", "*/LC_MESSAGES/*.po"],  # the messages (kiosk/i18n.py)
        "protocol.data": ["*.toml"],
        "office": ["templates/*.html", "locale/*.pot", "locale/*/LC_MESSAGES/*.po"],  # the queue page's messages
        "kiosk.ui": ["*.kv"],
        "kiosk.fonts": ["*.txt"],  # the .otf files are built where the kiosk runs (kiosk fonts build)
    },
    install_requires=['tomli>=2.0; python_version < "3.11"'],  # the protocol's only need (TOML before 3.11)
    extras_require={
        "kiosk": KIOSK,
        "office": OFFICE,
        "postgresql": OFFICE + ["psycopg[binary]>=3.1"],  # kiosk-office --db postgresql+psycopg://...
        # pyzbar: decode printed QR codes; selenium: the dashboard in headless Chromium (CI installs Debian's
        # chromium and chromium-driver); import-linter: the layering (.importlinter, run by make test)
        "test": ["pytest>=7.4", "pytest-timeout>=2.2", "pyzbar>=0.1.9", "selenium>=4.20", "import-linter>=2.1"]
        + KIOSK + OFFICE,
    },
    entry_points={"console_scripts": ["kiosk = kiosk.cli:main", "kiosk-office = office.cli:main"]},
    classifiers=[
        "Programming Language :: Python :: 3 :: Only",
        "Operating System :: POSIX :: Linux",
        "Natural Language :: Chinese (Traditional)",
    ],
)
