"""
Home screen
===========

The first thing a resident sees: the office's name, the date in the ROC
calendar, a greeting, a row of the kiosk's languages, each by its own name
(``language.py``'s ``LanguageRow``: one tap switches), and three big tiles
(抽號碼牌, 下載書表, 服務評價).  Layout in ``home.kv``; the tiles only ask the
app to show another screen.
"""

from kivy.uix.screenmanager import Screen

__all__ = ["HomeScreen"]


class HomeScreen(Screen):
    """Office name, clock, greeting, the languages and the three service tiles."""
