"""The WSGI entry point for gunicorn: `gunicorn wsgi:app` (see README for the full command)."""

from consult import create_app

app = create_app()
