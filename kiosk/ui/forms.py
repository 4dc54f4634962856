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

from kivy.graphics.texture import Texture
from kivy.properties import ListProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
from PIL import Image

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
                row.add_widget(FormRow(code=form.code, title_zh=form.title, title_en=form.title_en))


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
    slip_message = StringProperty()             # after "print": done, or what went wrong
