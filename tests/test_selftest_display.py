"""`kiosk selftest`'s display row on a real kiosk: the screen read from /sys/class/drm, the touch device from
/proc/bus/input/devices (kiosk/selftest/display.py), both from a fake root tree a test writes.
"""

from kiosk.config import Config, defaults
from kiosk.selftest import FAIL, PASS, WARN, SelfTest
from kiosk.selftest.display import check_display, input_devices

TOUCH = """I: Bus=0003 Vendor=0eef Product=c000 Version=0100
N: Name="eGalax Inc. eGalaxTouch EXC3000"
H: Handlers=mouse0 event0
B: EV=1b
B: ABS={abs}
"""
KEYBOARD = """I: Bus=0003 Vendor=046d Product=c31c Version=0110
N: Name="Logitech USB Keyboard"
H: Handlers=sysrq kbd leds event1
B: EV=120013
"""


def fake_root(tmp_path, status="connected", modes="1280x800\n1024x768\n", devices=None):
    connector = tmp_path / "sys/class/drm/card1-HDMI-A-1"
    connector.mkdir(parents=True)
    (connector / "status").write_text(status + "\n")
    (connector / "modes").write_text(modes)
    writeback = tmp_path / "sys/class/drm/card1-Writeback-1"
    writeback.mkdir()
    (writeback / "status").write_text("unknown\n")
    (tmp_path / "proc/bus/input").mkdir(parents=True)
    (tmp_path / "proc/bus/input/devices").write_text(
        "\n".join(devices if devices is not None else [TOUCH.format(abs="260800000000003"), KEYBOARD]))
    return tmp_path


def real(root):
    values = defaults()
    values["hardware"]["mode"] = "real"
    return SelfTest(Config(values), root=root)


def test_a_real_kiosk_with_a_screen_and_one_touch_device_passes(tmp_path):
    row = check_display(real(fake_root(tmp_path)))
    assert row.status == PASS
    assert row.reason == ("HDMI-A-1 1280x800; touch: eGalax Inc. eGalaxTouch EXC3000 (event0); "
                          "one input provider (hidinput)")


def test_touch_axes_are_read_from_64_and_32_bit_kernels_bitmaps():
    # ABS_MT_POSITION_X is bit 53: in the first 64-bit word, or bit 21 of the second 32-bit one
    assert input_devices(TOUCH.format(abs="260800000000003"), word_bits=64)[0]["touch"]
    assert input_devices(TOUCH.format(abs="2608000 3"), word_bits=32)[0]["touch"]
    assert not input_devices(TOUCH.format(abs="3"), word_bits=64)[0]["touch"]  # a single-touch pad or tablet
    assert input_devices(KEYBOARD) == [{"name": "Logitech USB Keyboard", "event": "event1", "touch": False}]


def test_a_real_kiosk_without_a_screen_or_touch_fails_saying_which(tmp_path):
    row = check_display(real(fake_root(tmp_path / "a", status="disconnected")))
    assert row.status == FAIL and row.reason == "no screen connected (HDMI-A-1 disconnected)"
    row = check_display(real(fake_root(tmp_path / "b", devices=[KEYBOARD])))
    assert row.status == FAIL and "no touch device among 1 input device" in row.reason
    assert "USB cable" in row.advice
    row = check_display(real(tmp_path / "c"))
    assert row.status == FAIL and "no KMS display" in row.reason and "vc4-kms-v3d" in row.advice


def test_two_touch_devices_warn_that_a_tap_may_count_twice(tmp_path):
    second = TOUCH.format(abs="260800000000003").replace("EXC3000", "EXC3000 Pen").replace("event0", "event2")
    row = check_display(real(fake_root(tmp_path, devices=[TOUCH.format(abs="260800000000003"), second])))
    assert row.status == WARN and "2 touch devices" in row.reason and "unplug" in row.advice
