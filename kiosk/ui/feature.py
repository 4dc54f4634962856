"""
Feature screens
===============

抽號碼牌 (ticket), 下載書表 (forms) and 服務評價 (rating) share this shape for
now: a header with a back button, the screen's title and an introduction.
Each later grows its own ``.py`` + ``.kv`` pair and replaces its entry in
``FEATURES`` (``kiosk/ui/__init__.py``); navigation, idle timeout and language already work for them.
"""

from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

__all__ = ["FeatureScreen"]


class FeatureScreen(Screen):
    """A feature's screen; ``name`` selects its messages (``<name>.title``, ``<name>.intro``)."""

    body = StringProperty("app.coming_soon")  # message key of the body text
