"""A real office server and a headless Chromium, for the browser tests (test_office_browser, test_office_calling_pages).

Needs Debian's chromium and chromium-driver (.ci/run installs them); ``needs_chromium`` skips without them.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest
import requests

from fake_office import free_port

CHROMEDRIVER = shutil.which("chromedriver")
needs_chromium = pytest.mark.skipif(CHROMEDRIVER is None or shutil.which("chromium") is None,
                                    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)")
#: Flags every headless run needs here (a container: no sandbox, no GPU, small /dev/shm; no network calls home).
BASE_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync")


@contextmanager
def running_office(db_path, kiosk_id, user, password, clock=None):
    """``kiosk-office serve`` on a free port with one kiosk and one staff user, as an operator sets it up.

    Yields ``(url, token)``: the base URL without a trailing slash, and the kiosk's bearer token.
    ``clock``: the test's ``office_clock`` (tests/office_clock.py), which the server then reads as now.
    """
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_OFFICE_DB"}
    db = f"sqlite:///{db_path}"
    token = subprocess.run([sys.executable, "-m", "office", "kiosk", "add", kiosk_id, "--db", db], env=env,
                           capture_output=True, text=True, timeout=60).stdout.strip().splitlines()[-1]
    subprocess.run([sys.executable, "-m", "office", "admin", "add", user, "--password-stdin", "--db", db],
                   input=password + "\n", env=env, capture_output=True, text=True, timeout=60, check=True)
    port = free_port()
    serve = ["-m", "office", "serve", "--db", db, "--port", str(port)]
    server = subprocess.Popen(clock.command(*serve) if clock else [sys.executable, *serve],
                              env=clock.env(env) if clock else env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(url + "/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.2)
        yield url, token
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)


@contextmanager
def chromium(*flags, window_size="1280,1600", browser_log=False):
    """A headless Chromium driven through chromedriver; ``browser_log`` keeps the console for ``get_log``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in BASE_FLAGS + flags + (f"--window-size={window_size}",):
        options.add_argument(flag)
    if browser_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
