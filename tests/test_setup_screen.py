"""The out-of-service screen speaks to residents first, and to the staff below (issue 15, item 7).

When the boot partition's kiosk.toml is wrong the kiosk shows a full-screen notice.  It used to greet
residents with technician words (kiosk.toml, boot partition) and never said where to go; now the large
text sends them to the service desk, and the details stay readable, smaller, in a panel marked for staff.
"""

import pytest

SIZES = [(800, 480), (1024, 600), (1280, 800), (1920, 1080)]
PROBLEM = "/boot/firmware/kiosk.toml:4: wifi.psk: must be 8-63 characters"


@pytest.fixture
def out_of_service(ui):
    errors = ui.app.kiosk_config.data_dir / "provisioning-errors.txt"

    def show(text):
        errors.write_text(text, encoding="utf-8")
        ui.app.check_setup()
        ui.frames(4)
        assert ui.app.manager.current == "setup_error"
        return ui.screen
    yield show
    errors.unlink()
    ui.app.check_setup()


def window_rect(widget):
    x, y = widget.to_window(widget.x, widget.y)
    return x, y, x + widget.width, y + widget.height


def test_residents_are_sent_to_the_service_desk_in_large_words_without_technician_jargon(ui, out_of_service):
    screen = out_of_service(PROBLEM + "\n")
    title = screen.ids.title
    assert title.text == "本機暫停服務，請至服務台辦理"
    for jargon in ("kiosk.toml", "開機", "分割區", "設定檔", "技術"):
        assert jargon not in title.text
    assert title.font_size >= 1.5 * screen.ids.problems.font_size, "the residents' message is not the large one"
    ui.app.lang = "en"
    ui.frames(3)
    assert title.text == "This kiosk is out of service. Please go to the service desk."


def test_the_details_stay_smaller_and_clearly_for_staff(ui, out_of_service):
    screen = out_of_service(PROBLEM + "\n")
    assert screen.ids.hint.text.startswith("給服務人員：") and "kiosk.toml" in screen.ids.hint.text
    assert PROBLEM in screen.ids.problems.text
    ui.app.lang = "en"
    ui.frames(3)
    assert screen.ids.hint.text.startswith("For staff:")


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_everything_is_readable_and_on_screen_even_with_many_problems(ui, out_of_service, size, lang):
    ui.app.lang = lang
    ui.app.last_activity = ui.clock()  # a resident here: the idle timeout must not switch the language back
    ui.resize(size)
    problems = [f"/boot/firmware/kiosk.toml:{n}: wifi.psk: must be 8-63 characters, got 5" for n in range(1, 11)]
    screen = out_of_service("\n".join(problems) + "\n")
    shown = screen.ids.problems.text.splitlines()
    assert shown[:4] == problems[:4]
    assert ("另有 6 項" if lang == "zh-TW" else "and 6 more") in shown[-1], "the staff is not told more are hidden"
    width, height = size
    marquee_top = window_rect(ui.app.marquee)[3]
    for name in ("title", "hint", "problems"):
        label = screen.ids[name]
        assert label.font_size >= 3.8 * ui.app.u - 0.01, f"{name} is under 3 mm on a 7-inch panel"
        x1, y1, x2, y2 = window_rect(label)
        assert 0 <= x1 and x2 <= width and marquee_top <= y1 - 0.5 and y2 <= height + 0.5, f"{name} leaves the screen"
        assert label.texture_size[1] <= label.height + 1, f"{name} overflows its box at {size}"
        assert label.texture_size[0] <= label.width + 1, f"{name} is wider than its box at {size}"
