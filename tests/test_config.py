"""The configuration file: finding it, checking it, and never showing its secret.

Every test asserts what a technician reads: the text of ConfigError, or what
``kiosk config check`` / ``kiosk config show`` print and their exit codes.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiosk import config as config_module
from kiosk.config import load_config, resolve_config_path
from kiosk.settings import SECTIONS, SETTINGS
from kiosk.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "provisioning" / "kiosk.toml.example"
TOKEN = "s3cr3t-TOKEN-value-123456"


@pytest.fixture(autouse=True)
def no_outside_config(monkeypatch, tmp_path):
    """Neither $KIOSK_CONFIG nor a real /etc/kiosk/kiosk.toml may leak into a test."""
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setattr(config_module, "SYSTEM_CONFIG", tmp_path / "etc" / "kiosk" / "kiosk.toml")


def write(path, text, mode=0o600):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    path.chmod(mode)  # as a kiosk's config holding a token must be
    return path


def config_error(tmp_path, text):
    """Load ``text`` as a config file; return the ConfigError it must raise."""
    path = write(tmp_path / "kiosk.toml", text)
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    return info.value


def kiosk(*args, env=None):
    """Run the real ``kiosk`` command in a fresh interpreter."""
    environ = {k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG"}
    environ.update(env or {}, PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *map(str, args)], cwd=REPO, env=environ,
                          capture_output=True, text=True, encoding="utf-8", timeout=60)


# -- finding the file ---------------------------------------------------------------------------

def test_no_file_means_builtin_defaults_and_a_simulated_kiosk():
    config = load_config()
    assert config.source is None
    assert config.simulated
    assert config.hardware.mode == "simulated"
    assert config.printer.url.startswith("sim://")
    assert config.summary().startswith("built-in defaults: kiosk ERLIN-01 ")
    assert "simulated hardware" in config.summary()


@pytest.mark.parametrize("present, chosen", [
    (("flag", "env", "system"), "flag"),
    (("env", "system"), "env"),
    (("system",), "system"),
    ((), None),
])
def test_resolution_order_is_flag_then_environment_then_system_file(tmp_path, monkeypatch, present, chosen):
    files = {name: write(tmp_path / name / "kiosk.toml", f'[kiosk]\nid = "{name.upper()}-01"\n')
             for name in ("flag", "env", "system")}
    monkeypatch.setattr(config_module, "SYSTEM_CONFIG", files["system"] if "system" in present
                        else tmp_path / "absent" / "kiosk.toml")
    if "env" in present:
        monkeypatch.setenv("KIOSK_CONFIG", str(files["env"]))
    flag = str(files["flag"]) if "flag" in present else None

    config = load_config(flag)

    assert resolve_config_path(flag) == (files[chosen] if chosen else None)
    assert config.source == (files[chosen] if chosen else None)
    assert config.kiosk.id == (f"{chosen.upper()}-01" if chosen else "ERLIN-01")


def test_missing_file_is_named_clearly(tmp_path):
    missing = tmp_path / "nowhere" / "kiosk.toml"
    with pytest.raises(ConfigError) as info:
        load_config(str(missing))
    assert str(info.value) == f"{missing}: (file): cannot read: No such file or directory"


# -- the example in the repository --------------------------------------------------------------

def test_example_file_is_valid_and_describes_the_erlin_kiosk():
    config = load_config(str(EXAMPLE))
    assert config.source == EXAMPLE
    assert (config.kiosk.id, config.kiosk.office) == ("ERLIN-01", "彰化縣二林戶政事務所")
    assert config.kiosk.data_dir == "/var/lib/kiosk"
    assert not config.simulated
    assert (config.printer.url, config.printer.baudrate) == ("/dev/serial0", 9600)
    assert (config.server.url, config.server.token) == ("https://office.example/", "")


# -- one problem at a time ----------------------------------------------------------------------

@pytest.mark.parametrize("text, key, line, message", [
    pytest.param('[printer]\nbaudrate = "9600"\n', "printer.baudrate", 2,
                 "expected an integer, got str '9600' (remove the quotes)", id="int-in-quotes"),
    pytest.param('[display]\nfullscreen = "true"\n', "display.fullscreen", 2,
                 "expected true or false, got str 'true' (remove the quotes)", id="bool-in-quotes"),
    pytest.param("[display]\nidle_timeout = true\n", "display.idle_timeout", 2,
                 "expected an integer, got bool True", id="bool-for-int"),
    pytest.param("[display]\nidle_timeout = 5\n", "display.idle_timeout", 2,
                 "must be between 10 and 3600 seconds, got 5", id="idle-timeout-too-short"),
    pytest.param("[display]\nidle_timeout = 86400\n", "display.idle_timeout", 2,
                 "must be between 10 and 3600 seconds, got 86400", id="idle-timeout-too-long"),
    pytest.param('[kiosk]\nid = "ERLIN 01"\n', "kiosk.id", 2,
                 "must be 1-32 letters, digits, '-' or '_' (e.g. 'ERLIN-01'), got 'ERLIN 01'", id="bad-id"),
    pytest.param('[kiosk]\nlanguage = "fr"\n', "kiosk.language", 2,
                 "must be one of 'zh-TW', 'en', 'vi', 'id', 'th', 'fil', got 'fr'", id="unknown-language"),
    pytest.param('[printer]\nurl = "ftp://10.0.0.9"\n', "printer.url", 2,
                 "unknown scheme 'ftp'; known: loop, socket,", id="unknown-printer-scheme"),
    pytest.param('[printer]\nurl = "COM3"\n', "printer.url", 2,
                 "must be a device path such as '/dev/serial0' or a pyserial URL such as "
                 "'socket://10.0.0.9:9100', got 'COM3'", id="printer-not-a-url"),
    pytest.param('[server]\nurl = "office.example"\n', "server.url", 2,
                 "must be empty (no upload) or an http(s) URL such as 'https://office.example/', "
                 "got 'office.example'", id="bad-server-url"),
    pytest.param("[buttons]\npins = [14, 27, 22]\n", "buttons.pins", 2,
                 "BCM pin 14 is the UART TXD (printer); choose another", id="button-on-uart"),
    pytest.param("[buttons]\npins = [17, 27, 28]\n", "buttons.pins", 2,
                 "BCM pin 28 does not exist on the 40-pin header (use 2-27)", id="pin-above-27"),
    pytest.param("[buttons]\nleds = [1, 6, 13]\n", "buttons.leds", 2,
                 "BCM pin 1 does not exist on the 40-pin header (use 2-27)", id="pin-below-2"),
    pytest.param("[buttons]\npins = [17, 27, 17]\n", "buttons.pins", 2,
                 "lists a pin twice: [17, 27, 17]", id="duplicate-pins"),
    pytest.param("[buttons]\nleds = [5, 6]\n", "buttons.leds", 2,
                 "has 2 entries but buttons.pins has 3; give one per button", id="led-count-mismatch"),
    pytest.param("[buttons]\nleds = [5, 27, 13]\n", "buttons.leds", 2,
                 "BCM pin 27 is used by a button and an LED", id="pin-shared-by-button-and-led"),
    pytest.param('[server]\ntoken = "abc"\n', "server.token", 2,
                 "is set but server.url is empty; set the url or remove the token", id="token-without-url"),
    pytest.param('# Erlin\n\n[printr]\nurl = "/dev/serial0"\n', "printr", 3,
                 f"unknown section [printr]; known: {', '.join(SECTIONS)}", id="unknown-section"),
    pytest.param("[printer]\nurl = \"/dev/serial0\"\nbaud = 9600\n", "printer.baud", 3,
                 "unknown key; [printer] knows: url, baudrate", id="unknown-key"),
])
def test_each_bad_value_is_reported_with_key_line_and_reason(tmp_path, text, key, line, message):
    error = config_error(tmp_path, text)
    assert [(p.key, p.line) for p in error.problems] == [(key, line)]
    assert f"kiosk.toml: line {line}: {key}: {message}" in str(error)


def test_unknown_key_lists_every_known_key_of_its_section(tmp_path):
    error = config_error(tmp_path, "[display]\nfullscren = false\n")
    known = [s.name for s in SETTINGS if s.section == "display"]
    assert known and f"display.fullscren: unknown key; [display] knows: {', '.join(known)}" in str(error)


def test_toml_syntax_error_reports_its_line(tmp_path):
    error = config_error(tmp_path, """\
        [printer]
        url = "/dev/serial0"

        [display]
        rotation = 90 degrees
        """)
    [problem] = error.problems
    assert problem.line == 5
    assert "line 5: (syntax): not valid TOML: Expected newline or end of document after a statement" in str(error)


def test_big5_file_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_bytes('[kiosk]\noffice = "彰化縣二林戶政事務所"\n'.encode("big5"))
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    assert str(info.value) == (f"{path}: line 2: (file): is not UTF-8 text; "
                               "save it as UTF-8 (Big5 files are not accepted)")


SEVERAL_PROBLEMS = """\
    # Erlin kiosk, with six mistakes
    [kiosk]
    id = "ERLIN 01"
    language = "fr"
    office = "彰化縣二林戶政事務所"

    [printer]
    url = "/dev/serial0"
    baudrate = "9600"

    [marquee]
    messages = [
        "歡迎光臨",
        "服務時間：週一至週五 08:00–17:00",
    ]
    speed = 5

    [display]
    idle_timeout = 60
    colour = "blue"

    [buttons]
    pins = [17, 27, 22]
    leds = [5, 6]
    """
SEVERAL_PROBLEMS_LINES = {
    "kiosk.id": 3, "kiosk.language": 4, "printer.baudrate": 9, "marquee.speed": 16,
    "display.colour": 20, "buttons.leds": 24,
}


def test_every_problem_is_reported_at_once_each_at_its_line(tmp_path):
    error = config_error(tmp_path, SEVERAL_PROBLEMS)
    assert {p.key: p.line for p in error.problems} == SEVERAL_PROBLEMS_LINES
    assert len(error.problems) == len(SEVERAL_PROBLEMS_LINES)
    for key, line in SEVERAL_PROBLEMS_LINES.items():
        assert f"line {line}: {key}: " in str(error)


# -- data_dir -----------------------------------------------------------------------------------

def test_relative_data_dir_is_taken_from_the_config_files_folder(tmp_path, monkeypatch):
    path = write(tmp_path / "card" / "kiosk.toml", '[kiosk]\ndata_dir = "data"\n')
    monkeypatch.chdir(tmp_path)  # not the file's folder: the answer must not depend on the cwd
    assert load_config(str(path)).data_dir == (tmp_path / "card" / "data").resolve()


def test_tilde_in_data_dir_is_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = write(tmp_path / "card" / "kiosk.toml", '[kiosk]\ndata_dir = "~/kiosk-data"\n')
    assert load_config(str(path)).data_dir == tmp_path / "home" / "kiosk-data"


# -- the secret ---------------------------------------------------------------------------------

VALID_WITH_TOKEN = f'[server]\nurl = "https://office.example/"\ntoken = "{TOKEN}"\n'
SECRET_FILES = {
    "valid": VALID_WITH_TOKEN,
    "other-errors": VALID_WITH_TOKEN + '\n[printer]\nbaudrate = "9600"\n',
    "token-as-list": f'[server]\nurl = "https://office.example/"\ntoken = ["{TOKEN}"]\n',
    "token-without-url": f'[server]\ntoken = "{TOKEN}"\n',
    "token-in-wrong-section": f'[kiosk]\ntoken = "{TOKEN}"\n',
    "token-unquoted": f"[server]\ntoken = {TOKEN}\n",
}
INVALID_SECRET_FILES = [name for name in SECRET_FILES if name != "valid"]


@pytest.mark.parametrize("name", INVALID_SECRET_FILES)
def test_config_error_never_contains_the_token(tmp_path, name):
    error = config_error(tmp_path, SECRET_FILES[name])
    assert TOKEN not in str(error)
    assert TOKEN not in repr(error.problems)


def test_token_given_as_a_number_is_masked(tmp_path):
    error = config_error(tmp_path, '[server]\nurl = "https://office.example/"\ntoken = 918273645546372819\n')
    assert "918273645546372819" not in str(error)
    assert "line 3: server.token: expected a string, got int ***" in str(error)


@pytest.mark.parametrize("name", list(SECRET_FILES))
@pytest.mark.parametrize("command", [("config", "check", "{path}"), ("config", "show", "--config", "{path}")],
                         ids=["check", "show"])
def test_cli_never_prints_the_token(tmp_path, name, command):
    path = write(tmp_path / "kiosk.toml", SECRET_FILES[name])
    result = kiosk(*(arg.format(path=path) for arg in command))
    assert result.returncode == (0 if name == "valid" else 2), result.stderr
    assert TOKEN not in result.stdout + result.stderr


def test_config_show_masks_a_set_token(tmp_path):
    path = write(tmp_path / "kiosk.toml", VALID_WITH_TOKEN)
    result = kiosk("config", "show", "--config", path)
    assert result.returncode == 0, result.stderr
    assert '\ntoken = "***"\n' in result.stdout
    assert 'url = "https://office.example/"' in result.stdout


def test_config_show_prints_toml_that_loads_back_to_the_same_settings(tmp_path):
    path = write(tmp_path / "kiosk.toml", VALID_WITH_TOKEN)
    shown = kiosk("config", "show", "--config", path)
    assert shown.returncode == 0, shown.stderr
    copy = write(tmp_path / "copy.toml", shown.stdout)
    original, again = load_config(str(path)), load_config(str(copy))
    for setting, value in original.items():
        expected = "***" if setting.secret and value else value
        assert again.get(setting.key) == expected, setting.key


def test_a_password_in_the_server_url_is_refused_and_never_echoed(tmp_path):
    path = write(tmp_path / "kiosk.toml", '[server]\nurl = "https://kiosk:hunter2-secret@office.example/"\n')
    result = kiosk("config", "check", path)
    assert result.returncode == 2
    assert "server.url" in result.stderr and "user name or password" in result.stderr
    assert "hunter2-secret" not in result.stdout + result.stderr


def test_a_bad_led_list_is_reported_once_not_also_as_a_count_mismatch(tmp_path):
    path = write(tmp_path / "kiosk.toml", "[buttons]\npins = [17, 27, 22, 23, 24]\nleds = [5, 6, 99, 12, 16]\n"
                                          'keys = ["1", "2", "3", "4", "5"]\n')
    result = kiosk("config", "check", path)
    assert result.returncode == 2
    led_lines = [line for line in result.stderr.splitlines() if "buttons.leds" in line]
    assert len(led_lines) == 1 and "BCM pin 99" in led_lines[0], result.stderr


def test_config_check_says_token_set_without_showing_it(tmp_path):
    path = write(tmp_path / "kiosk.toml", VALID_WITH_TOKEN)
    result = kiosk("config", "check", path)
    assert "server https://office.example/ (token set)" in result.stdout


# -- the command line ---------------------------------------------------------------------------

def test_config_check_names_each_bad_key_with_file_and_line_and_exits_2(tmp_path):
    path = write(tmp_path / "bad.toml", SEVERAL_PROBLEMS)
    result = kiosk("config", "check", path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"{path}: 6 problems:\n")
    for key, line in SEVERAL_PROBLEMS_LINES.items():
        assert f"{path}:{line}: {key}: " in result.stderr


def test_config_check_of_the_example_exits_0_with_a_summary():
    result = kiosk("config", "check", EXAMPLE.relative_to(REPO))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("OK provisioning/kiosk.toml.example: kiosk ERLIN-01 at 彰化縣二林戶政事務所, ")
    for part in ("real hardware", "printer /dev/serial0 @ 9600 baud", "server https://office.example/ (token not set)"):
        assert part in result.stdout
    assert result.stdout.count("\n") == 1


@pytest.mark.parametrize("args", [
    ("--config", "{path}", "config", "check"),
    ("config", "--config", "{path}", "check"),
    ("config", "check", "--config", "{path}"),
    ("--config", "{path}", "config", "show"),
], ids=["before-command", "before-action", "after-action", "show"])
def test_config_option_counts_wherever_it_is_given(tmp_path, args):
    path = write(tmp_path / "bad.toml", '[printer]\nbaudrate = "9600"\n')
    result = kiosk(*(arg.format(path=path) for arg in args))
    assert result.returncode == 2
    assert "printer.baudrate" in result.stderr


def test_config_check_uses_the_environment_variable(tmp_path):
    path = write(tmp_path / "bad.toml", "[display]\nrotation = 45\n")
    result = kiosk("config", "check", env={"KIOSK_CONFIG": str(path)})
    assert result.returncode == 2
    assert f"{path}:2: display.rotation: must be one of 0, 90, 180, 270, got 45" in result.stderr


def test_config_check_of_a_missing_file_exits_2(tmp_path):
    missing = tmp_path / "kiosk.toml"
    result = kiosk("config", "check", missing)
    assert result.returncode == 2
    assert f"{missing}:-: (file): cannot read: No such file or directory" in result.stderr


@pytest.mark.parametrize("action", ["check", "show"])
def test_config_commands_never_import_kivy(action):
    script = (
        "import sys\n"
        "from kiosk.cli import main\n"
        f"code = main(['config', '{action}', '--config', {str(EXAMPLE)!r}])\n"
        "assert code == 0, code\n"
        "kivy = sorted(m for m in sys.modules if m == 'kivy' or m.startswith('kivy.'))\n"
        "assert not kivy, kivy\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_a_token_in_a_file_others_can_read_is_refused(tmp_path):
    path = write(tmp_path / "kiosk.toml", '[server]\nurl = "https://office.example/"\ntoken = "abc-secret"\n',
                 mode=0o644)
    with pytest.raises(ConfigError) as raised:
        load_config(str(path))
    [problem] = raised.value.problems
    assert problem.key == "server.token" and "chmod 600" in problem.message and problem.line == 3
    assert "abc-secret" not in str(raised.value)
    path.chmod(0o600)
    assert load_config(str(path)).server.token == "abc-secret"


# -- the address residents' phones open (server.public_url, issue 16) ----------------------------

def test_a_kiosk_server_url_without_a_public_url_passes_with_a_warning_naming_server_public_url(tmp_path):
    path = write(tmp_path / "kiosk.toml", '[server]\nurl = "http://127.0.0.1:8080/"\n')
    result = kiosk("config", "check", path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"OK {path}: ")
    assert result.stderr.splitlines() == [
        f"{path}: 1 warning:",
        f"  {path}:2: server.public_url: is not set, so tickets carry no live-queue QR code (server.url "
        "http://127.0.0.1:8080/ is the kiosk's own way to the office server, not an address for residents' phones); "
        "set server.public_url to the address at which residents' phones reach the office server from the "
        "Internet, e.g. \"https://erlin-queue.example.gov.tw/\""]


def test_a_public_url_on_the_internet_draws_no_warning_and_shows_in_the_summary(tmp_path):
    path = write(tmp_path / "kiosk.toml", '[server]\nurl = "http://10.0.0.5:8080/"\n'
                                          'public_url = "https://erlin-queue.example.gov.tw/"\n')
    result = kiosk("config", "check", path)
    assert (result.returncode, result.stderr) == (0, "")
    assert "server http://10.0.0.5:8080/ (token not set), public URL https://erlin-queue.example.gov.tw/, " \
        in result.stdout


@pytest.mark.parametrize("host, why", [
    ("127.0.0.1:8080", "127.0.0.1 is a loopback address"),
    ("localhost:8080", "localhost is this machine's own name"),
    ("[::1]", "::1 is a loopback address"),
    ("10.1.2.3", "10.1.2.3 is a private address (RFC 1918)"),
    ("172.16.0.1", "172.16.0.1 is a private address (RFC 1918)"),
    ("172.31.255.254", "172.31.255.254 is a private address (RFC 1918)"),
    ("192.168.1.5:8080", "192.168.1.5 is a private address (RFC 1918)"),
    ("[fd12:3456::1]", "fd12:3456::1 is a unique local IPv6 address (fc00::/7)"),
    ("169.254.10.20", "169.254.10.20 is a link-local address"),
    ("[fe80::1]", "fe80::1 is a link-local address"),
    ("office-pc.local", "office-pc.local is a .local name"),
    ("Office-PC.Local.", "office-pc.local is a .local name"),
])
def test_a_public_url_only_the_office_network_knows_is_warned_about(tmp_path, host, why):
    path = write(tmp_path / "kiosk.toml", f'[server]\nurl = "https://office.example/"\npublic_url = "http://{host}/"\n')
    [warning] = config_module.config_warnings(load_config(str(path)))
    assert (warning.key, warning.line) == ("server.public_url", 3)
    assert warning.message.startswith(why) and "phone on mobile data cannot open" in warning.message
    assert "server.public_url" in warning.advice


@pytest.mark.parametrize("host", ["erlin-queue.example.gov.tw", "172.32.0.1", "11.0.0.1", "192.169.0.1",
                                  "[2001:db8::1]", "localhost-queue.example", "local.example"])
def test_a_public_address_or_name_is_not_warned_about(tmp_path, host):
    path = write(tmp_path / "kiosk.toml",
                 f'[server]\nurl = "https://office.example/"\npublic_url = "https://{host}/"\n')
    assert config_module.config_warnings(load_config(str(path))) == []


def test_a_qr_url_on_a_private_address_is_warned_about_naming_server_public_url(tmp_path):
    path = write(tmp_path / "kiosk.toml", '[server]\nurl = "https://office.example/"\n\n'
                                          '[tickets]\nqr_url = "http://192.168.0.10/q/{date}/{number}?lang={lang}"\n')
    result = kiosk("config", "check", path)
    assert result.returncode == 0
    [warning] = result.stderr.splitlines()[1:]
    assert warning.startswith(f"  {path}:5: tickets.qr_url: 192.168.0.10 is a private address (RFC 1918)")
    assert "leave it empty and set server.public_url" in warning


def test_a_public_url_without_a_server_url_is_warned_about(tmp_path):
    path = write(tmp_path / "kiosk.toml", '[server]\npublic_url = "https://erlin-queue.example.gov.tw/"\n')
    [warning] = config_module.config_warnings(load_config(str(path)))
    assert (warning.key, warning.line) == ("server.public_url", 2)
    assert warning.message.startswith("is set but server.url is empty") and "server.url" in warning.advice


def test_no_server_at_all_draws_no_warning(tmp_path):
    assert config_module.config_warnings(load_config(str(write(tmp_path / "kiosk.toml", "[kiosk]\n")))) == []


@pytest.mark.parametrize("value, message", [
    ("erlin-queue.example.gov.tw", "must be empty (no live-queue QR on tickets) or an http(s) address"),
    ("ftp://erlin-queue.example.gov.tw/", "must be empty (no live-queue QR on tickets) or an http(s) address"),
    ("https://erlin-queue.example.gov.tw/?office=erlin", "without ?query or #part"),
    ("https://erlin-queue.example.gov.tw/#top", "without ?query or #part"),
])
def test_a_bad_public_url_is_an_error_naming_the_key(tmp_path, value, message):
    error = config_error(tmp_path, f'[server]\npublic_url = "{value}"\n')
    [problem] = error.problems
    assert (problem.key, problem.line) == ("server.public_url", 2) and message in problem.message


def test_a_password_in_the_public_url_is_refused_and_never_echoed(tmp_path):
    path = write(tmp_path / "kiosk.toml", '[server]\npublic_url = "https://queue:hunter2-secret@erlin.example/"\n')
    result = kiosk("config", "check", path)
    assert result.returncode == 2
    assert "server.public_url: must not contain a user name or password" in result.stderr
    assert "hunter2-secret" not in result.stdout + result.stderr


def test_a_public_url_without_its_final_slash_gets_one(tmp_path):
    path = write(tmp_path / "kiosk.toml", '[server]\nurl = "https://office.example/"\n'
                                          'public_url = "https://erlin.example.gov.tw/queue"\n')
    assert load_config(str(path)).server.public_url == "https://erlin.example.gov.tw/queue/"


def test_qr_url_may_use_the_tickets_language_and_an_unknown_placeholder_lists_it(tmp_path):
    ok = write(tmp_path / "ok.toml", '[tickets]\nqr_url = "https://erlin.example/q/{date}/{number}?lang={lang}"\n')
    assert load_config(str(ok)).tickets.qr_url.endswith("?lang={lang}")
    error = config_error(tmp_path, '[tickets]\nqr_url = "https://erlin.example/q/{ticket}"\n')
    assert "uses an unknown placeholder 'ticket'; known: {number}, {service}, {kiosk}, {date}, {lang}" in str(error)
