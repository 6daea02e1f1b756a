"""The WSGI entry point for gunicorn: `gunicorn wsgi:app` (see README for the full command)."""

from consult import create_app
from consult.graceful_exit import close_websockets_on_sigterm
from consult.links import warn_if_unset

app = create_app()
warn_if_unset(app)
# gunicorn's worker set its signal handlers before loading this module (not with --preload).
close_websockets_on_sigterm()
