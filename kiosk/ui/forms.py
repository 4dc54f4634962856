"""
Forms screens
=============

下載書表: categories (and the most viewed forms) on ``FormsScreen``; the forms
of one category as large rows on ``FormListScreen``; one form on
``FormScreen``: its QR code large enough to scan from 30-40 cm, the quiet zone
kept, its title, a short address to type, and a button that prints the QR on
a slip.  Layout in ``forms.kv``; the catalogue and the QR codes come from
``kiosk/forms.py``.
"""

from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.properties import ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
from PIL import Image

from .widgets import WrapLabel

#: How far FormScreen may shrink its texts' largest sizes (their 4 u floor holds anyway).
MIN_FIT = 0.5

__all__ = ["CategoryTile", "FormRow", "FormsScreen", "FormListScreen", "FormScreen", "qr_texture"]


def qr_texture(image):
    """A Kivy texture of a QR image, scaled without blurring the modules."""
    image = image.convert("RGB")
    texture = Texture.create(size=image.size, colorfmt="rgb")
    texture.blit_buffer(image.transpose(Image.Transpose.FLIP_TOP_BOTTOM).tobytes(), colorfmt="rgb",
                        bufferfmt="ubyte")
    texture.mag_filter = texture.min_filter = "nearest"
    return texture


class CategoryTile(ButtonBehavior, BoxLayout):
    code = StringProperty()
    title_zh = StringProperty()
    title_en = StringProperty()


class FormRow(ButtonBehavior, BoxLayout):
    """A form as a large touch target: its title and, in a category's list, when you need it."""

    natural_height = NumericProperty(0)  # what its text needs (forms.kv); the popular row stretches it
    code = StringProperty()
    title_zh = StringProperty()
    title_en = StringProperty()
    description_zh = StringProperty()
    description_en = StringProperty()


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
                grid.add_widget(CategoryTile(code=category.code, title_zh=category.title, title_en=category.title_en))

    def on_popular(self, _instance, forms):
        row = self.ids.get("popular")
        if row is not None:
            row.clear_widgets()
            for form in forms:
                box = FormRow(code=form.code, title_zh=form.title, title_en=form.title_en, size_hint_y=1)
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
            rows.add_widget(FormRow(code=form.code, title_zh=form.title, title_en=form.title_en,
                                    description_zh=form.description, description_en=form.description_en))
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
