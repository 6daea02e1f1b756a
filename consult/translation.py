"""Words in the request's language, and in English outside a request.

The services' messages are written once and shown on pages, in the API and by the CLI.
Flask-Babel's own functions ask the locale selector, which reads the request: in an app
context with no request (a CLI command, the worker) that raises. These wrappers give the
English text there instead, so a service says the same thing wherever it runs.
`pybabel extract` finds the calls by these names (babel.cfg, README "Other languages").
"""

from __future__ import annotations

from typing import Any

import flask_babel
from flask import has_request_context
from flask_babel.speaklater import LazyString


def gettext(string: str, **variables: Any) -> str:
    """`string` in the request's language, with its %(name)s filled in."""
    if has_request_context():
        return flask_babel.gettext(string, **variables)
    return string % variables if variables else string


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """The form for `num` of a message with plurals; %(num)s is `num`."""
    if has_request_context():
        return flask_babel.ngettext(singular, plural, num, **variables)
    return (singular if num == 1 else plural) % {"num": num, **variables}


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """A translation made each time it is shown, for texts defined once at import time."""
    return LazyString(gettext, string, **variables)
