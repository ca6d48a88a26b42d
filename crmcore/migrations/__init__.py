"""Alembic histories: one for the core (this folder), one per plugin (each plugin's own folder)."""
