"""Imports as background jobs: the upload is stored with its job, an RQ worker runs it and records progress.

The screen and the API poll ``ImportJob`` (status, rows read, counters) and download the report from it when
the job has finished, whichever worker on whichever host ran it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from crmcore import policy
from crmcore.db import utcnow
from crmcore.errors import CRMError, NotFound, PermissionDenied, ValidationFailed
from crmcore.importing.mapping import IMPORT_KINDS
from crmcore.importing.report import ImportReport
from crmcore.importing.service import ON_DUPLICATE, OPTIONS, run_import
from crmcore.models import ImportJob, User
from crmcore.services.base import audit

if TYPE_CHECKING:
    from crmcore.runtime import CRM

JOB = "crmcore.importing.jobs:run_import_job"


def start_import(crm: CRM, kind: str, filename: str, data: bytes, mapping: Mapping[str, str] | None = None, *,
                 dry_run: bool = False, on_duplicate: str = "skip", options: Mapping[str, Any] | None = None,
                 actor: User | None = None) -> ImportJob:
    """Store the upload and queue its import; returns the job to poll. Nothing is imported when queueing fails."""
    policy.require(actor, "customers")
    if kind not in IMPORT_KINDS:
        raise ValidationFailed({"kind": [f"Unknown import kind; kinds: {', '.join(IMPORT_KINDS)}."]})
    if on_duplicate not in ON_DUPLICATE:
        raise ValidationFailed({"on_duplicate": [f"Choose one of {', '.join(ON_DUPLICATE)}."]})
    unknown = sorted(set(options or {}) - set(OPTIONS))
    if unknown:
        raise ValidationFailed({"options": [f"Unknown option {', '.join(unknown)}."]})
    if not data:
        raise ValidationFailed({"file": ["The file is empty."]})
    with crm.db.session() as session:
        job = ImportJob(kind=kind, filename=(filename or "upload")[:255], status="queued", dry_run=dry_run,
                        on_duplicate=on_duplicate, mapping=dict(mapping or {}), options=dict(options or {}),
                        user_id=actor.id if actor else None, file_size=len(data), file_data=data, rows_read=0,
                        summary={})
        session.add(job)
        session.flush()
        audit(session, actor, "import_job", job.id, "create", {"kind": [None, kind], "dry_run": [None, dry_run]})
    try:
        crm.jobs.enqueue(JOB, job.id, queue="low", timeout=6 * 3600)
    except CRMError as exc:
        _finish(crm, job.id, status="failed", error=exc.message)
        raise
    return job


def get_import(crm: CRM, job_id: int, actor: User | None = None) -> ImportJob:
    """An import job its starter (or an admin or manager) may see."""
    policy.require(actor, "customers")
    with crm.db.session() as session:
        job = session.get(ImportJob, job_id) if isinstance(job_id, int) and 0 < job_id < 2**31 else None
    if job is None:
        raise NotFound(f"No import with id {job_id}.")
    if actor is not None and job.user_id != actor.id and not policy.may_enter(actor, "reports"):
        raise PermissionDenied("This import was started by another user.")
    return job


def import_report_csv(crm: CRM, job_id: int, actor: User | None = None) -> bytes:
    job = get_import(crm, job_id, actor)
    with crm.db.session() as session:
        data = session.scalar(ImportJob.__table__.select().with_only_columns(ImportJob.report_csv)
                              .where(ImportJob.id == job.id))
    if data is None:
        raise NotFound("The report is ready when the import has finished.")
    return data


def _finish(crm: CRM, job_id: int, **values: Any) -> None:
    with crm.db.session() as session:
        session.execute(update(ImportJob).where(ImportJob.id == job_id).values(finished_at=utcnow(), **values))


def run_import_job(crm: CRM, job_id: int) -> dict[str, Any]:
    """The RQ job: run the stored import, saving progress after every batch and the report at the end."""
    with crm.db.session() as session:
        job = session.get(ImportJob, job_id)
        if job is None:
            return {"missing": job_id}
        data = job.file_data or b""
        actor = session.get(User, job.user_id) if job.user_id else None
        job.status, job.started_at = "running", utcnow()
        spec = {"kind": job.kind, "filename": job.filename, "mapping": dict(job.mapping),
                "options": dict(job.options), "dry_run": job.dry_run, "on_duplicate": job.on_duplicate}

    def progress(report: ImportReport) -> None:
        with crm.db.session() as progress_session:
            progress_session.execute(update(ImportJob).where(ImportJob.id == job_id).values(
                rows_read=report.read, summary=report.summary()))

    try:
        report = run_import(crm, spec["kind"], io.BytesIO(data), spec["mapping"] or None, dry_run=spec["dry_run"],
                            on_duplicate=spec["on_duplicate"], actor=actor,
                            options={**spec["options"], "name": spec["filename"]}, progress=progress)
    except ValidationFailed as failed:
        message = "; ".join(f"{field}: {' '.join(map(str, reasons))}" for field, reasons in failed.errors.items())
        _finish(crm, job_id, status="failed", error=message[:2000])
        return {"failed": message}
    except CRMError as error:
        _finish(crm, job_id, status="failed", error=error.message)
        return {"failed": error.message}
    buffer = io.BytesIO()
    report.write_csv(buffer)
    del data
    # A dry run keeps the file so the screen can import it for real; a real import drops it.
    kept = {} if spec["dry_run"] else {"file_data": None}
    _finish(crm, job_id, status="finished", rows_read=report.read, summary=report.summary(),
            report_csv=buffer.getvalue(), **kept)
    return report.summary()


def describe_job(job: ImportJob) -> dict[str, Any]:
    """What a screen or API client polls."""
    return {"id": job.id, "kind": job.kind, "filename": job.filename, "status": job.status, "dry_run": job.dry_run,
            "on_duplicate": job.on_duplicate, "rows_read": job.rows_read, "summary": job.summary or {},
            "error": job.error, "created_at": job.created_at, "started_at": job.started_at,
            "finished_at": job.finished_at}
