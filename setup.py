"""Packaging for the lobby kiosk (``kiosk``) and its hardware drivers (``hardware``)."""
import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(r'^__version__ = "([^"]+)"', (HERE / "protocol" / "__init__.py").read_text(), re.M).group(1)

OFFICE = ["flask>=3.1", "sqlalchemy>=2.0", "pydantic>=2.5", "waitress>=3.0.1"]  # kiosk-office (office/); flask 3.1: a limit per view (uploads)

setup(
    name="erlin-kiosk",
    version=VERSION,
    description="Lobby kiosk for a Taiwanese household registration office: queue tickets, ratings, forms",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.9,<3.14",
    # kiosk.fonts, kiosk.messages and protocol.data hold data only; naming them keeps setuptools from guessing.
    packages=find_packages(include=["protocol", "protocol.*", "kiosk", "kiosk.*", "hardware", "hardware.*", "office", "office.*"])
    + ["kiosk.fonts", "kiosk.messages", "protocol.data"],
    package_data={
        "kiosk.messages": ["*.toml"],
        "protocol.data": ["*.toml"],
        "office": ["templates/*.html"],
        "kiosk.ui": ["*.kv"],
        "kiosk.fonts": ["*.txt"],  # the .otf files are built where the kiosk runs (kiosk fonts build)
    },
    install_requires=[
        "kivy>=2.3,<2.4",
        "gpiozero>=2.0",
        "pyserial>=3.5",
        "qrcode>=7.4",
        "requests>=2.31",
        "pillow>=10",
        "fonttools>=4.40",  # extracts the Traditional Chinese face from Noto Sans CJK (kiosk/fonts.py)
        'tomli>=2.0; python_version < "3.11"',
    ],
    extras_require={
        "office": OFFICE,
        "postgresql": OFFICE + ["psycopg[binary]>=3.1"],  # kiosk-office --db postgresql+psycopg://...
        # pyzbar: decode printed QR codes; selenium: the dashboard in headless Chromium (CI installs Debian's
        # chromium and chromium-driver); the office server's own tests need OFFICE
        "test": ["pytest>=7.4", "pytest-timeout>=2.2", "pyzbar>=0.1.9", "selenium>=4.20"] + OFFICE,
    },
    entry_points={"console_scripts": ["kiosk = kiosk.cli:main", "kiosk-office = office.cli:main"]},
    classifiers=[
        "Programming Language :: Python :: 3 :: Only",
        "Operating System :: POSIX :: Linux",
        "Natural Language :: Chinese (Traditional)",
    ],
)
