"""Opening and closing one gpiozero device per pin, with errors that name the pin."""

from concurrent.futures import ThreadPoolExecutor

from .exc import PinError

__all__ = ["open_pins", "close_all", "PinGroup"]


def open_pins(device_class, pins, role, **kwargs):
    """Return a tuple of one *device_class* per pin; if any pin is refused, close the others.

    gpiozero's errors become :class:`~hardware.exc.PinError` naming the pin and
    what it was meant for (*role*, e.g. ``"button"`` or ``"LED"``).
    """
    devices = []
    try:
        for index, pin in enumerate(pins):
            try:
                devices.append(device_class(pin, **kwargs))
            except Exception as exc:
                # Not only gpiozero's GPIOPinInUse and PinInvalidPin: lgpio says "GPIO busy" with its own
                # exception class, MockFactory uses a plain ValueError.  All of them mean "not this pin".
                raise PinError(f"cannot use pin {pin!r} for {role} {index}: {exc}") from exc
    except BaseException:
        close_all(devices)  # half-opened hardware would hold pins that a retry then finds "in use"
        raise
    return tuple(devices)


def close_all(devices):
    """Close every device, side by side: each Button's hold thread takes up to 0.1 s to stop."""
    with ThreadPoolExecutor(max_workers=max(1, len(devices))) as pool:
        for _ in pool.map(lambda device: device.close(), devices):
            pass  # map only raises a device's error when its result is taken


class PinGroup:
    """A row of gpiozero devices, one per pin, closed together (a base for buttons and LEDs)."""

    devices = ()

    def __len__(self):
        return len(self.devices)

    @property
    def closed(self):
        """Return True once :meth:`close` has run."""
        return not self.devices

    def close(self):
        """Release the pins (an LED goes dark first); safe to call more than once."""
        devices, self.devices = self.devices, ()
        close_all(devices)  # gpiozero stops blink and glow threads before releasing a pin

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
