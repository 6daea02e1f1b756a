"""The WSGI entry point for gunicorn: `gunicorn wsgi:app` (see README for the full command)."""

from consult import create_app
from consult.links import warn_if_unset

app = create_app()
warn_if_unset(app)
