"""Removing what imports leave behind: the files uploaded for dry runs and the reports of those previews.

A dry run keeps its upload so the screen can import the same file for real; nobody does that a day later, and
each upload can be tens of megabytes in the database. An hourly job (the core's ``schedules``) deletes dry runs
older than ``KEEP_HOURS`` with their file and report, and drops the file of any other finished or failed import
of that age, keeping its counts and report as the record of what was imported.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, update

from crmcore.db import utcnow
from crmcore.jobs.schedule import Schedule
from crmcore.models import ImportJob

if TYPE_CHECKING:
    from crmcore.runtime import CRM

KEEP_HOURS = 24
DONE = ("finished", "failed")
SCHEDULE = Schedule(name="import-cleanup", func="crmcore.importing.cleanup:remove_old_uploads", interval=3600)


def remove_old_uploads(crm: CRM, keep_hours: float = KEEP_HOURS) -> dict[str, int]:
    """Delete dry runs and drop stored files of imports finished more than ``keep_hours`` ago.

    Queued and running imports are never touched. Returns how many dry runs were deleted and files dropped.
    """
    if keep_hours < 0:
        raise ValueError("keep_hours cannot be negative")
    cutoff = utcnow() - timedelta(hours=keep_hours)
    old = (ImportJob.status.in_(DONE), ImportJob.created_at < cutoff)
    with crm.db.session() as session:
        deleted = session.execute(delete(ImportJob).where(*old, ImportJob.dry_run.is_(True))).rowcount
        dropped = session.execute(update(ImportJob).where(*old, ImportJob.file_data.is_not(None))
                                  .values(file_data=None)).rowcount
    return {"dry_runs_deleted": deleted, "files_dropped": dropped}
