"""Languages of the citizens' pages: which locale a request gets, and the switcher's cookie.

The browser's Accept-Language chooses among the shipped locales; a choice made with the
switcher (a plain GET link, so it works without JavaScript) is kept in a cookie and wins.
Anything unknown falls back to English, never to an error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from babel import Locale
from flask import Flask, Response, has_request_context, redirect, request, url_for
from flask_babel import Babel, get_locale
from werkzeug.datastructures import LanguageAccept

from consult import locale_format

LOCALES = {"en": "English", "fr": "Français", "es": "Español", "ar": "العربية"}
DEFAULT_LOCALE = "en"
RIGHT_TO_LEFT = {"ar"}
COOKIE = "consult_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
TRANSLATIONS = Path(__file__).parent / "translations"
# Numbers tried for a sample of each plural category (CLDR): French and Spanish say "many"
# only of whole millions.
_PLURAL_SAMPLES = (*range(200), 1_000_000)

babel = Babel()


def init_app(app: Flask) -> None:
    """Babel with our locale selector, the switcher's route and the templates' helpers."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    # Inside the package, so that the wheel carries the catalogues (see pyproject.toml).
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    babel.init_app(app, locale_selector=select_locale)
    app.add_url_rule("/language/<code>", "set_language", set_language)
    app.after_request(_vary_by_language)
    app.jinja_env.globals.update(
        languages=LOCALES,
        get_locale=get_locale,
        text_direction=text_direction,
        plural_variants=plural_variants,
    )
    locale_format.register(app)


def select_locale() -> str:
    """The switcher's cookie if it names a shipped locale, else the browser's best match.

    Outside a request (the CLI, the math worker) there is no browser: English."""
    if not has_request_context():
        return DEFAULT_LOCALE
    return locale_for(request.cookies.get(COOKIE, ""), request.accept_languages)


def locale_for(chosen: str, accepted: LanguageAccept) -> str:
    """The locale of a switcher choice (the cookie's value) and a browser's languages:
    `select_locale` without Flask, for what answers before Flask does (load shedding)."""
    if chosen in LOCALES:
        return chosen
    return accepted.best_match(LOCALES) or DEFAULT_LOCALE


def text_direction() -> str:
    """The text direction of the request's locale ("rtl" or "ltr"), for `<html dir>`."""
    return "rtl" if str(get_locale()) in RIGHT_TO_LEFT else "ltr"


def plural_variants(render: Callable[[int], str]) -> dict[str, str]:
    """A sentence with a number in every plural form of the request's locale, for scripts.

    `render(n)` gives the sentence for `n` with "{n}" where the number goes (a template
    macro calling ngettext with num="{n}"); the result maps each CLDR plural category
    ("one", "few", ...) to its form, as the script's `Intl.PluralRules` names them.
    """
    locale = Locale.parse(str(get_locale()))
    samples: dict[str, int] = {}
    for n in _PLURAL_SAMPLES:
        samples.setdefault(locale.plural_form(n), n)
    return {category: str(render(n)) for category, n in samples.items()}


def set_language(code: str) -> Response:
    """Remember a language and go back to the page the link was on (only on this site)."""
    response = redirect(_same_site_path(request.args.get("next", "")))
    if code in LOCALES:
        response.set_cookie(
            COOKIE, code, max_age=COOKIE_MAX_AGE, samesite="Lax", secure=request.is_secure
        )
    return response


def _vary_by_language(response: Response) -> Response:
    # A shared cache must not give a French page to an English browser.
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


def _same_site_path(target: str) -> str:
    # Only a local path: "//evil.example" or "https://..." would make an open redirect.
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("participation.index")
