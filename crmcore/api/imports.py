"""Imports through the API: upload a file, poll the job, download the report of bad rows."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from crmcore.api.common import crm, errors, require
from crmcore.api.schemas import UtcDateTime
from crmcore.errors import ValidationFailed
from crmcore.importing import IMPORT_KINDS, ON_DUPLICATE
from crmcore.importing.jobs import describe_job, get_import, import_report_csv, start_import

blp = Blueprint("api-imports", __name__, url_prefix="/imports",
                description="CSV/XLSX imports, run in the background with progress.")


class ImportForm(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(list(IMPORT_KINDS)))
    mapping = fields.String(load_default="{}", validate=validate.Length(max=20000),
                            metadata={"description": 'JSON object field -> column, e.g. {"customer": "CustomerID"}'})
    options = fields.String(load_default="{}", validate=validate.Length(max=20000),
                            metadata={"description": "JSON object of import options (day_first, won_value, ...)"})
    dry_run = fields.Boolean(load_default=False)
    on_duplicate = fields.String(load_default="skip", validate=validate.OneOf(ON_DUPLICATE))


class ImportFile(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ImportJobOut(Schema):
    id = fields.Integer(required=True)
    kind = fields.String()
    filename = fields.String()
    status = fields.String()
    dry_run = fields.Boolean()
    on_duplicate = fields.String()
    rows_read = fields.Integer()
    summary = fields.Dict()
    error = fields.String(allow_none=True)
    created_at = UtcDateTime()
    started_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)


def _json_object(field: str, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        raise ValidationFailed({field: ["Not valid JSON."]}) from None
    if not isinstance(value, dict):
        raise ValidationFailed({field: ["Expected a JSON object."]})
    return value


@blp.route("")
class Imports(MethodView):
    @blp.arguments(ImportForm, location="form")
    @blp.arguments(ImportFile, location="files")
    @blp.response(202, ImportJobOut)
    @errors(blp, 422, 503)
    def post(self, form: dict[str, Any], files: dict[str, Any]) -> Any:
        """Start an import; poll ``GET /imports/{id}`` for its progress."""
        actor = require("customers")
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed({"file": ["Attach the file."]})
        mapping = {str(k): str(v) for k, v in _json_object("mapping", form["mapping"]).items()}
        job = start_import(crm(), form["kind"], upload.filename or "upload", upload.read(), mapping,
                           dry_run=form["dry_run"], on_duplicate=form["on_duplicate"],
                           options=_json_object("options", form["options"]), actor=actor)
        return describe_job(job)


@blp.route("/<int(signed=False):job_id>")
class ImportItem(MethodView):
    @blp.response(200, ImportJobOut)
    @errors(blp, 404)
    def get(self, job_id: int) -> Any:
        """Status and counts of an import."""
        actor = require("customers")
        return describe_job(get_import(crm(), job_id, actor))


@blp.route("/<int(signed=False):job_id>/report.csv")
@blp.response(200, {"type": "string"}, content_type="text/csv")
@errors(blp, 404)
def report(job_id: int) -> Any:
    """The rows that failed (row, column, reason, value) as CSV."""
    actor = require("customers")
    return Response(import_report_csv(crm(), job_id, actor), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="import-{job_id}-report.csv"'})
