"""The duplicate finder: customers sharing an email, a phone or a reference, merged with one click."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext

from crmcore.errors import CRMError
from crmcore.importing.duplicates import customer_duplicates
from crmcore.web.admin.base import SecureView, acting_user, crm_runtime

PAGE = 50


class DuplicatesView(SecureView):
    area = "customers"

    @expose("/")
    def index(self) -> Any:
        after = request.args.get("after", "0")
        after_id = int(after) if after.isdigit() and len(after) < 10 else 0
        with crm_runtime().db.session() as session:
            pairs = customer_duplicates(session, PAGE, after_id)
        return self.render("imports/duplicates.html", pairs=pairs,
                           next_after=pairs[-1].duplicate_id if len(pairs) == PAGE else None)

    @expose("/merge", methods=("POST",))
    def merge(self) -> Any:
        kept, duplicate = request.form.get("kept_id", ""), request.form.get("duplicate_id", "")
        if not (kept.isdigit() and duplicate.isdigit()):
            flash(gettext("Choose the two customers to merge."), "error")
            return redirect(url_for(".index"))
        crm, actor = crm_runtime(), acting_user()
        try:
            for record_id in (int(kept), int(duplicate)):
                crm.services.customers.get(record_id, actor=actor)
            merged = crm.services.customers.merge(int(kept), int(duplicate), actor=actor)
        except CRMError as exc:
            flash(exc.message, "error")
            return redirect(url_for(".index"))
        flash(gettext("Merged into %(name)s; every contact, deal, touchpoint and task was kept.", name=merged.name),
              "success")
        return redirect(url_for(".index"))
