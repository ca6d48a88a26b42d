from alembic import context

from crmcore.migrations.runner import run_env

run_env(context)
