"""Small widget trees drawn for real over the shared app, for the tests of the layout checks.

``tests/test_layout_checks.py`` and ``tests/test_layout_checks_text.py`` plant a defect in a Screen named
``probe`` (built from kv, so its ids name the widgets), draw it in the real offscreen window at 800x480, grab
the pixels and run ``kiosk/ui/layout_checks.py``'s ``check`` on it::

    @pytest.fixture
    def probe(ui):
        yield from drawn_over(ui)
"""

SIZE = (800, 480)

PAGE = "(0.96, 0.96, 0.94, 1)"
INK = "(0.1, 0.1, 0.12, 1)"
NAVY = "(0.05, 0.16, 0.29, 1)"

BUTTON_RULE = f"""
<ProbeTile@ButtonBehavior+BoxLayout>:
    canvas.before:
        Color:
            rgba: {NAVY}
        Rectangle:
            pos: self.pos
            size: self.size

<Row@Label>:
    color: {INK}
    font_size: 24
    size_hint_y: None
    height: 80
    text_size: self.size
    halign: "left"
    valign: "middle"

<NavyButton@Button>:
    background_normal: ""
    background_disabled_normal: ""
    background_color: {NAVY}
    color: (1, 1, 1, 1)
    size_hint: None, None
"""

HEADER = f"""
Screen:
    name: "probe"
    canvas.before:
        Color:
            rgba: {PAGE}
        Rectangle:
            pos: self.pos
            size: self.size
"""


def indent(kv, spaces=4):
    return "\n".join((" " * spaces + line) if line.strip() else line for line in kv.strip("\n").splitlines())


def drawn_over(ui):
    """The ``probe`` fixture's body: yields probe(kv_children) -> (screen, image), the tree drawn over the app at
    800x480, and takes the trees away afterwards."""
    from kivy.core.window import Window
    from kivy.factory import Factory
    from kivy.lang import Builder

    from kiosk.ui.capture import grab

    if "NavyButton" not in Factory.classes:
        Builder.load_string(BUTTON_RULE)
    ui.resize(SIZE)
    shown = []

    def show(children_kv):
        screen = Builder.load_string(HEADER + indent(children_kv) + "\n")
        Window.add_widget(screen)
        shown.append(screen)
        ui.frames(5)
        return screen, grab()

    yield show
    for screen in shown:
        Window.remove_widget(screen)
    ui.frames(2)


def run(screen, image, **kwargs):
    from kiosk.ui.layout_checks import check, panel_for
    return check([screen], image, panel_for(SIZE), **kwargs)


def kinds(problems):
    return sorted({(p.widget, p.kind) for p in problems})
