"""Test support for crmcore and for plugin authors: real databases, a real Redis and worker, an SMTP server,
the app and its client.

Installed as a pytest plugin (entry point ``pytest11``), so its fixtures are available in any test suite
where crmcore is installed. Choose the database with ``CRM_TEST_DATABASE=sqlite|postgresql``.
"""
