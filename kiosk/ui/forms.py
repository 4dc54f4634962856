"""
Forms screens
=============

下載書表: categories (and the most viewed forms) on ``FormsScreen``; the forms
of one category as large rows on ``FormListScreen``; one form on
``FormScreen``: its QR code large enough to scan from 30-40 cm, the quiet zone
kept, its title, a short address to type, and a button that prints the QR on
a slip.  Layout in ``forms.kv``; the catalogue and the QR codes come from
``kiosk/forms.py``.

``FormsController`` (``app.forms``) is what these screens do: the catalogue
shown, opening a category or a form (counting the view), printing a slip off
the main thread.
"""

import logging
import threading

from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
from PIL import Image

from protocol.forms_format import load_catalogue

from ..forms import popular, qr_image, record_view
from .widgets import WrapLabel

#: How far FormScreen may shrink its texts' largest sizes (their 4 u floor holds anyway).
MIN_FIT = 0.5

__all__ = ["CategoryTile", "FormRow", "FormsScreen", "FormListScreen", "FormScreen", "FormsController", "qr_texture"]

log = logging.getLogger("kiosk.ui")


def qr_texture(image):
    """A Kivy texture of a QR image, scaled without blurring the modules."""
    image = image.convert("RGB")
    texture = Texture.create(size=image.size, colorfmt="rgb")
    texture.blit_buffer(image.transpose(Image.Transpose.FLIP_TOP_BOTTOM).tobytes(), colorfmt="rgb",
                        bufferfmt="ubyte")
    texture.mag_filter = texture.min_filter = "nearest"
    return texture


class CategoryTile(ButtonBehavior, BoxLayout):
    """A category: its title in the screen's language (``Category.title_in``)."""

    code = StringProperty()
    category = ObjectProperty(None, allownone=True)


class FormRow(ButtonBehavior, BoxLayout):
    """A form as a large touch target: its title and, in a category's list, when you need it, both in the
    screen's language (``Form.title_in``, ``Form.description_in``)."""

    natural_height = NumericProperty(0)  # what its text needs (forms.kv); the popular row stretches it
    code = StringProperty()
    form = ObjectProperty(None, allownone=True)
    with_description = BooleanProperty(False)  # in a category's list; the popular forms show only their titles


class FormsScreen(Screen):
    """The categories, and the forms residents open most."""

    categories = ListProperty()  # Category objects
    popular = ListProperty()     # Form objects, most viewed first

    def on_kv_post(self, _base_widget):
        self.on_categories(self, self.categories)
        self.on_popular(self, self.popular)

    def on_categories(self, _instance, categories):
        grid = self.ids.get("categories")
        if grid is not None:
            grid.clear_widgets()
            for category in categories:
                grid.add_widget(CategoryTile(code=category.code, category=category))

    def on_popular(self, _instance, forms):
        row = self.ids.get("popular")
        if row is not None:
            row.clear_widgets()
            for form in forms:
                box = FormRow(code=form.code, form=form, size_hint_y=1)
                box.bind(natural_height=self._fit_popular)
                row.add_widget(box)
            self._fit_popular()

    def _fit_popular(self, *_args):
        """The popular forms' row: as tall as its tallest box needs (the boxes fill it, all the same height)."""
        row = self.ids.get("popular")
        if row is not None and row.children:
            row.height = max(box.natural_height for box in row.children)


class FormListScreen(Screen):
    """The forms of one category, one large row each."""

    category = ObjectProperty(None, allownone=True)
    forms = ListProperty()

    def on_forms(self, _instance, forms):
        rows = self.ids.rows
        rows.clear_widgets()
        for form in forms:
            rows.add_widget(FormRow(code=form.code, form=form, with_description=bool(form.description)))
        self.ids.scroll.scroll_y = 1


class FormScreen(Screen):
    """One form: its QR code, title, address to type, and a print button."""

    form = ObjectProperty(None, allownone=True)
    qr = ObjectProperty(None, allownone=True)   # the QR texture
    address = StringProperty()                  # what the QR opens, shown to type (Form.address)
    slip_message = StringProperty()             # after "print": done, or what went wrong
    #: The texts' share of their largest size: lowered step by step until the column beside the QR
    #: holds them all (a long English title on a 7" screen), never below their 4 u floor.
    fit = NumericProperty(1.0)

    def on_kv_post(self, _base_widget):
        self._fitting = None
        self._fitted = None

    def on_enter(self, *_args):
        # worked out again whenever the column, a text or the language changes (cheap when nothing did)
        self._fitting = Clock.schedule_interval(self.fit_column, 0)

    def on_leave(self, *_args):
        if self._fitting is not None:
            self._fitting.cancel()
            self._fitting = None

    def fit_column(self, *_args):
        """The largest ``fit`` at which the column's texts, laid out ahead (WrapLabel.height_for), fit its height.

        Worked out from the column's size and the texts alone, not from what the labels show now,
        so transient layouts (labels 100 px wide on the first frame) cannot leave it too small.
        """
        column = self.ids.get("column")
        if column is None or column.height <= 1 or column.width <= 1:
            return
        texts = [w for w in column.children if isinstance(w, WrapLabel) and w.max_font_size and w.text]
        key = (tuple(column.size), tuple((w.text, w.max_font_size / self.fit) for w in texts))
        if key == self._fitted:
            return
        others = sum(w.height for w in column.children if w not in texts and w.size_hint_y is None)
        room = column.height - others - column.spacing * (len(column.children) - 1) \
            - column.padding[1] - column.padding[3]
        fit = 1.0
        while fit > MIN_FIT:
            if sum(w.height_for(column.width, w.max_font_size / self.fit * fit) for w in texts) <= room:
                break
            fit = max(MIN_FIT, fit - 0.05)
        self._fitted = key
        self.fit = fit


class FormsController:
    """What the forms screens do, for the app (``app.forms``); the catalogue and the views are ``kiosk/forms.py``'s."""

    def __init__(self, app):
        self.app = app
        self.catalogue = None  # the forms shown (offered()), read when the app is built

    def offered(self):
        """The forms catalogue this kiosk shows: the office's (or the shipped one), less what a phone cannot open."""
        app = self.app
        catalogue = app.services.forms.current() if app.services else load_catalogue()[0]
        return catalogue.offered(app.kiosk_config.server.public_url)

    def use(self, catalogue) -> None:
        """Show ``catalogue`` from now on (a new one from the office)."""
        self.catalogue = catalogue
        self.app.manager.get_screen("forms").categories = [c for c in catalogue.categories
                                                           if catalogue.in_category(c.code)]

    def refresh_popular(self) -> None:
        screen = self.app.manager.get_screen("forms")
        screen.popular = popular(self.catalogue, self.app.services.store, 3) if self.app.services else []

    def open_category(self, code: str) -> None:
        screen = self.app.manager.get_screen("form_list")
        screen.category = self.catalogue.category(code)
        screen.forms = self.catalogue.in_category(code)
        self.app.show("form_list")

    def open_form(self, code: str, count_view: bool = True) -> None:
        """Show one form's QR code, sized for the screen, and count the view (not for a picture of it)."""
        from kivy.core.window import Window

        app = self.app
        form = self.catalogue.by_code(code)
        screen = app.manager.get_screen("form")
        if app.manager.get_screen("form_list").category is None or \
                app.manager.get_screen("form_list").category.code != form.category:
            self.open_category(form.category)  # so that "back" leads to the form's own category
        size = int(min(Window.height * 0.62, Window.width * 0.45))
        address = form.address(app.kiosk_config.server.public_url)  # <public_url>f/<code>, or the form's own
        screen.form, screen.address, screen.slip_message = form, address, ""
        screen.qr = qr_texture(qr_image(address, size))
        if app.services is not None and count_view:
            try:
                record_view(app.services.store, form, app.lang)
            except Exception:  # a full disk must not keep the QR from the resident
                log.exception("could not record the view of form %s", code)
        app.show("form")

    def print_slip(self) -> None:
        """Print the form's QR on a slip, off the main thread; say how it went under the button."""
        app = self.app
        screen = app.manager.get_screen("form")
        if app.services is None or screen.form is None or app.printer_busy:
            return
        app.printer_busy = True  # one print job at a time, tickets and slips alike
        screen.slip_message = app.t("forms.printing")
        form, lang = screen.form, app.lang

        def work():
            try:
                app.services.form_slips.print_slip(form, lang)
                key = "forms.printed"
            except Exception as exc:
                log.warning("form slip for %s not printed: %s", form.code, exc)
                key = "forms.print_failed"
            Clock.schedule_once(lambda _dt: self._slip_done(key))
        threading.Thread(target=work, name="form-slip", daemon=True).start()

    def _slip_done(self, key: str) -> None:
        app = self.app
        app.printer_busy = False
        app.services.uploader.wake()
        app.manager.get_screen("form").slip_message = app.t(key)
