"""Uploads kept for dry runs do not pile up: an hourly core job removes them once they are a day old."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from crmcore.db import utcnow
from crmcore.importing.cleanup import KEEP_HOURS, remove_old_uploads
from crmcore.jobs.worker import build_scheduler
from crmcore.models import ImportJob

CSV = b"Name\nAcme\n"


def add_job(crm, *, dry_run: bool, status: str, hours_old: float) -> int:
    with crm.db.session() as session:
        job = ImportJob(kind="customers", filename="c.csv", status=status, dry_run=dry_run, on_duplicate="skip",
                        mapping={}, options={}, file_size=len(CSV), file_data=CSV, rows_read=1, summary={},
                        report_csv=b"row,column,error,value\r\n", created_at=utcnow() - timedelta(hours=hours_old))
        session.add(job)
        session.flush()
        return job.id


def kept(crm) -> dict[int, bool]:
    """Each remaining job and whether its upload is still stored."""
    with crm.db.session() as session:
        return {job_id: data is not None for job_id, data in session.execute(
            select(ImportJob.id, ImportJob.file_data).order_by(ImportJob.id))}


def test_a_dry_run_older_than_a_day_is_deleted_with_its_upload_and_report(crm):
    old = add_job(crm, dry_run=True, status="finished", hours_old=KEEP_HOURS + 1)
    recent = add_job(crm, dry_run=True, status="finished", hours_old=1)

    result = remove_old_uploads(crm)

    assert kept(crm) == {recent: True}
    assert result["dry_runs_deleted"] == 1 and old not in kept(crm)


def test_an_old_import_keeps_its_counts_and_report_but_not_its_upload(crm):
    failed = add_job(crm, dry_run=False, status="failed", hours_old=KEEP_HOURS + 1)

    remove_old_uploads(crm)

    assert kept(crm) == {failed: False}
    with crm.db.session() as session:
        assert session.scalar(select(ImportJob.report_csv).where(ImportJob.id == failed)) is not None


def test_an_import_still_queued_or_running_is_never_touched(crm):
    queued = add_job(crm, dry_run=True, status="queued", hours_old=KEEP_HOURS * 3)
    running = add_job(crm, dry_run=True, status="running", hours_old=KEEP_HOURS * 3)

    remove_old_uploads(crm)

    assert kept(crm) == {queued: True, running: True}


def test_the_cleanup_runs_hourly_through_the_cores_schedules(crm):
    scheduler = build_scheduler(crm)

    (job,) = [job for job in scheduler.get_jobs() if job.name == "core:import-cleanup"]
    assert job.interval == 3600


def test_the_scheduled_cleanup_removes_an_old_dry_run_in_a_worker(crm, work_off):
    old = add_job(crm, dry_run=True, status="finished", hours_old=KEEP_HOURS + 1)
    crm.jobs.enqueue("crmcore.importing.cleanup:remove_old_uploads")
    work_off(crm)

    assert old not in kept(crm)
