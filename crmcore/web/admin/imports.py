"""The import screen: upload a file, choose the mapping, dry run or import, follow progress, get the report."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from sqlalchemy import select

from crmcore.errors import CRMError, ValidationFailed
from crmcore.importing import IMPORT_KINDS, ON_DUPLICATE, open_table, resolve_mapping
from crmcore.importing.jobs import describe_job, get_import, import_report_csv, start_import
from crmcore.models import ImportJob
from crmcore.web.admin.base import SecureView, acting_user, crm_runtime

PREVIEW_ROWS = 5


class ImportView(SecureView):
    area = "customers"

    @expose("/")
    def index(self) -> Any:
        actor = acting_user()
        with crm_runtime().db.session() as session:
            jobs = session.scalars(select(ImportJob).where(ImportJob.user_id == actor.id)
                                   .order_by(ImportJob.id.desc()).limit(20)).all()
        return self.render("imports/index.html", kinds=list(IMPORT_KINDS), policies=ON_DUPLICATE, jobs=jobs)

    @expose("/preview", methods=("POST",))
    def preview(self) -> Any:
        """Read the header and first rows, and show how the columns map to fields before anything runs."""
        upload = request.files.get("file")
        kind = request.form.get("kind", "")
        if upload is None or kind not in IMPORT_KINDS:
            flash(gettext("Choose what to import and a file."), "error")
            return redirect(url_for(".index"))
        data = upload.read()
        try:
            import io

            with open_table(io.BytesIO(data), name=upload.filename) as table:
                mapping = resolve_mapping(kind, table.headers)
                rows = [row.values for _, row in zip(range(PREVIEW_ROWS), table, strict=False)]
                headers = table.headers
        except CRMError as exc:
            flash(exc.message, "error")
            return redirect(url_for(".index"))
        except Exception as exc:  # noqa: BLE001 - ImportFileError/MappingError carry a message for the user
            flash(str(exc), "error")
            return redirect(url_for(".index"))
        job = start_import(crm_runtime(), kind, upload.filename or "upload", data, dict(mapping.fields),
                           dry_run=True, on_duplicate=request.form.get("on_duplicate", "skip"),
                           actor=acting_user())
        fields = [target.name for target in IMPORT_KINDS[kind]]
        return self.render("imports/preview.html", job=job, kind=kind, headers=headers, rows=rows,
                           mapping=mapping, fields=fields, policies=ON_DUPLICATE)

    @expose("/<int:job_id>/run", methods=("POST",))
    def run(self, job_id: int) -> Any:
        """Import for real the file a dry run was made of, with the mapping chosen on the preview."""
        crm = crm_runtime()
        dry = get_import(crm, job_id, acting_user())
        mapping = {name[4:]: column for name, column in request.form.items() if name.startswith("map_") and column}
        with crm.db.session() as session:
            data = session.scalar(select(ImportJob.file_data).where(ImportJob.id == dry.id))
        if not data:
            flash(gettext("Upload the file again: it is no longer kept."), "error")
            return redirect(url_for(".index"))
        try:
            job = start_import(crm, dry.kind, dry.filename, data, mapping,
                               dry_run=request.form.get("dry_run") == "1",
                               on_duplicate=request.form.get("on_duplicate", "skip"),
                               options={"create_custom_fields": request.form.get("custom_fields") == "1"},
                               actor=acting_user())
        except ValidationFailed as exc:
            flash("; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.errors.items()), "error")
            return redirect(url_for(".index"))
        return redirect(url_for(".job", job_id=job.id))

    @expose("/<int:job_id>")
    def job(self, job_id: int) -> Any:
        job = get_import(crm_runtime(), job_id, acting_user())
        return self.render("imports/job.html", job=describe_job(job))

    @expose("/<int:job_id>/status.json")
    def status(self, job_id: int) -> Any:
        """What the job page polls for its progress."""
        return jsonify(describe_job(get_import(crm_runtime(), job_id, acting_user())))

    @expose("/<int:job_id>/report.csv")
    def report(self, job_id: int) -> Any:
        try:
            data = import_report_csv(crm_runtime(), job_id, acting_user())
        except CRMError:
            abort(404)
        return Response(data, mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="import-{job_id}-report.csv"'})
