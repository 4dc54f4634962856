"""
Memory: screens built when first asked for, text drawn at a few sizes
=====================================================================

What keeps the kiosk within its memory budget (``kiosk bench startup``
measures it): behaviour only here, never a figure.
"""

import pytest

from kiosk import fonts


# -- text sizes ------------------------------------------------------------------------------

@pytest.mark.parametrize("unit", [8, 4.8, 7.5, 10.8, 3.3])
def test_a_text_size_step_never_grows_and_is_its_own_step(unit):
    for quarter_px in range(4, 1000):
        size = quarter_px / 4
        step = fonts.text_size_step(size, unit)
        assert step <= max(1, int(size)), (size, unit, step)
        assert fonts.text_size_step(step, unit) == step, (size, unit, step)


def test_the_kv_sizes_come_down_to_a_few_steps_none_much_smaller():
    unit = 8  # 1280x800
    asked = [2.8, 3.2, 3.4, 3.6, 3.8, 4, 4.2, 4.4, 4.5, 4.6, 5, 5.5, 5.6, 6, 6.2, 6.5, 7, 8, 8.5, 9]
    drawn = {k: fonts.text_size_step(unit * k, unit) for k in asked}
    assert len(set(drawn.values())) <= 8
    assert all(drawn[k] >= 0.85 * unit * k for k in asked), drawn
    assert drawn[4] == 32 and drawn[5] == 40 and drawn[8] == 64  # the kv files' round sizes are kept


def test_labels_are_drawn_at_a_step_but_keep_the_size_they_asked_for(ui):
    from kivy.uix.label import Label

    label = Label(text="服務評價", font_size=ui.app.u * 4.6)
    ui.home.add_widget(label)
    try:
        ui.frames(2)
        assert label.font_size == pytest.approx(ui.app.u * 4.6)  # the layout's own figure
        assert label._label.options["font_size"] == fonts.text_size_step(ui.app.u * 4.6, ui.app.u)
        assert label.texture is not None
    finally:
        ui.home.remove_widget(label)


# -- screens ---------------------------------------------------------------------------------

def test_a_lazy_manager_builds_a_screen_the_first_time_it_is_asked_for(ui):
    from kivy.uix.screenmanager import Screen

    from kiosk.ui.screens import LazyScreenManager

    made = []

    def factory(name):
        def make():
            made.append(name)
            return Screen(name=name)
        return make

    manager = LazyScreenManager(factories=[(n, factory(n)) for n in ("one", "two", "three")])
    assert made == [] and manager.unbuilt == ["one", "two", "three"]
    assert manager.has_screen("two") and not manager.is_built("two") and not manager.has_screen("four")
    assert manager.get_screen("two").name == "two" and made == ["two"]
    assert manager.get_screen("two") is manager.get_screen("two") and made == ["two"]
    manager.current = "three"  # Kivy's on_current asks get_screen
    assert manager.current_screen.name == "three" and made == ["two", "three"]
    assert [name for name, _seconds in manager.built] == ["two", "three"] and manager.unbuilt == ["one"]


def test_a_factory_must_build_the_screen_it_is_named_for(ui):
    from kivy.uix.screenmanager import Screen

    from kiosk.ui.screens import LazyScreenManager

    manager = LazyScreenManager(factories=[("one", lambda: Screen(name="other"))])
    with pytest.raises(ValueError):
        manager.get_screen("one")
    with pytest.raises(ValueError):
        manager.add_factory("one", lambda: Screen(name="one"))


def test_the_app_answers_for_every_screen_built_or_not(ui):
    from kiosk.ui import SCREENS

    manager = ui.app.manager
    assert manager.is_built("home")
    for name in SCREENS:
        assert manager.has_screen(name)
        assert manager.get_screen(name).name == name
        assert manager.is_built(name)
    assert manager.unbuilt == []


def test_freed_memory_can_be_given_back():
    from kiosk.ui.screens import release_free_memory

    assert release_free_memory() in (True, False)  # False only without glibc
