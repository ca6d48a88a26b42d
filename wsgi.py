"""WSGI entry point for a production server: ``gunicorn --workers 4 wsgi:app``."""

from crmcore.web import create_app

app = create_app()
