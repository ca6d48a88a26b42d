"""The web application: screens for staff and admins, the API, and plugin pages."""

from crmcore.web.app import create_app

__all__ = ["create_app"]
