"""HTML pages for the three kinds of user, served by the same app as the API.

The pages are thin: server-rendered ones call engine functions, interactive
ones call the JSON API from the browser, and the server stays the authority
for every validation. Chinese first, English by `?lang=en` (Flask-Babel).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, request
from flask_babel import Babel

from engine.services import catalogue

from ..context import runtime
from . import hotline, portal, studio, workbench
from .hotline_text import hotline_text
from .text import js_strings, status_label, title_of

LANGUAGES = ("zh", "en")


def select_locale() -> str:
    lang = request.args.get("lang") or request.cookies.get("lang")
    return lang if lang in LANGUAGES else "zh"


def _department_names() -> dict[str, str]:
    """Department key -> name in the page's language (department names are public)."""
    return {key: title_of(name, key) for key, name in catalogue.department_names(runtime()).items()}


def init_pages(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh")
    Babel(app, locale_selector=select_locale)
    for module in (portal, workbench, studio, hotline):
        app.register_blueprint(module.bp)

    @app.template_filter("merge_lang")
    def _merge_lang(args, lang: str) -> str:
        """The current query string with `lang` set, for the language switch."""
        query = {k: v for k, v in args.items() if k != "lang"}
        query["lang"] = lang
        return urlencode(query)

    @app.context_processor
    def _page_globals():
        return {
            "lang": select_locale(),
            "status_label": status_label,
            "js_strings": js_strings,
            "department_names": _department_names,
            "hotline_text": hotline_text,
        }

    @app.after_request
    def _remember_language(response):
        lang = request.args.get("lang")
        if lang in LANGUAGES and not request.path.startswith("/api/"):
            response.set_cookie("lang", lang, max_age=365 * 86400, samesite="Lax")
        return response
