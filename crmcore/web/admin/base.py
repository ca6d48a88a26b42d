"""Base classes of every admin screen: log-in, roles, the plugin gate and the service write path in one place."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from urllib.parse import urlencode

from flask import abort, current_app, flash, g, has_app_context, request, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from sqlalchemy import ColumnElement, select
from werkzeug.datastructures import ImmutableMultiDict

from crmcore import keyset, policy
from crmcore.errors import CRMError, ValidationFailed
from crmcore.models import User
from crmcore.normalize import normalize_digits
from crmcore.runtime import CRM
from crmcore.web.admin import list_rows, row_actions
from crmcore.web.admin.search import record_search


def crm_runtime() -> CRM:
    return current_app.extensions["crm"]


def acting_user() -> User | None:
    return current_user.user if current_user.is_authenticated else None


def user_names() -> dict[int, str]:
    """Every user's display name by id, read once per request (a team has tens of users, not millions)."""
    if not has_app_context():
        return {}
    names = g.get("crm_user_names")
    if names is None:
        with crm_runtime().db.session() as session:
            names = {row.id: row.name or row.email for row in session.execute(select(User.id, User.name, User.email))}
        g.crm_user_names = names
    return names


class AccessMixin:
    """``area`` names the policy area the screen belongs to; ``plugin`` the plugin that contributed it."""

    area: str = "customers"
    plugin: str = "core"

    def is_accessible(self) -> bool:
        if not current_user.is_authenticated:
            return False
        crm = current_app.extensions["crm"]
        return crm.plugins.is_enabled(self.plugin) and policy.may_enter(current_user.user, self.area)

    def is_visible(self) -> bool:
        return self.is_accessible()

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        crm = current_app.extensions["crm"]
        abort(404 if not crm.plugins.is_enabled(self.plugin) else 403)


class SecureView(AccessMixin, BaseView):
    pass


class HiddenView(SecureView):
    """A screen reached by links (the customer page), never listed in the menu."""

    def is_visible(self) -> bool:
        return False


class SecureModelView(AccessMixin, ModelView):
    """A list/detail screen of a model. Writes must go through a service: subclasses override
    ``create_model``, ``update_model`` and ``delete_model`` to call it, so every plugin sees every change."""

    can_view_details = True
    page_size = 50
    can_set_page_size = False
    # A full COUNT(*) over a million rows on every page view is the slowest part of a list: pages get
    # "previous / next" instead of numbered links, and those links seek by keyset (crmcore/keyset.py).
    simple_list_pager = True
    list_template = "crm/list.html"

    def get_list_row_actions(self) -> list[Any]:
        actions: list[Any] = []
        if self.can_view_details and not self.details_modal:
            actions.append(row_actions.ViewRow())
        if self.can_edit and not self.edit_modal:
            actions.append(row_actions.EditRow())
        if self.can_delete:
            actions.append(row_actions.DeleteRow())
        return actions + list(self.column_extra_row_actions or [])

    def _keyset_order(self, sort_column: str | None, sort_desc: bool) -> tuple[Any, bool] | None:
        """The column and direction the list is sorted by, when that order can be paged by keyset."""
        if sort_column is None:
            default = self.column_default_sort
            if not isinstance(default, tuple) or not isinstance(default[0], str):
                return None
            attribute, descending = getattr(self.model, default[0], None), bool(default[1])
        else:
            attribute, descending = self._sortable_columns.get(sort_column), bool(sort_desc)
        column = keyset.sortable_column(self.model, attribute)
        return (column, descending) if column is not None else None

    def _cursor(self, column: Any) -> tuple[Any, int, bool] | None:
        """The position a "next" (``?after=``) or "previous" (``?before=``) link carries, and whether it reads
        backwards; None on the first page or for a cursor that is not ours (the list starts over)."""
        text, backwards = (request.args["before"], True) if request.args.get("before") else (
            request.args.get("after"), False)
        if not text:
            return None
        try:
            value, last_id = keyset.decode(text, 2)
            return keyset.typed(column, value), keyset.row_id(last_id), backwards
        except keyset.BadCursor:
            return None

    def _apply_sorting(self, query: Any, joins: Any, sort_column: Any, sort_desc: bool) -> Any:
        sorting = self._keyset_order(sort_column, sort_desc)
        g.crm_keyset = None
        if sorting is None:
            return super()._apply_sorting(query, joins, sort_column, sort_desc)
        column, descending = sorting
        cursor = self._cursor(column)
        reading_desc = descending != bool(cursor and cursor[2])
        if cursor is not None:
            query = query.filter(keyset.seek(column, self.model.id, cursor[0], cursor[1], reading_desc))
        g.crm_keyset = {"column": column, "cursor": cursor}
        return query.order_by(*keyset.order(column, self.model.id, reading_desc)), joins

    def _apply_pagination(self, query: Any, page: int | None, page_size: int | None) -> Any:
        state = g.get("crm_keyset")
        if state is None:
            return super()._apply_pagination(query, page, page_size)
        if state["cursor"] is None and page:
            # An old numbered link (?page=N): honoured, at OFFSET's price.
            query = query.offset(page * (page_size or self.page_size))
        # One row more than the page tells whether there is a next page without counting.
        return query.limit((page_size or self.page_size) + 1)

    def get_list(self, page: int | None, sort_column: Any, sort_desc: bool, search: Any, filters: Any,
                 execute: bool = True, page_size: int | None = None) -> Any:
        count, rows = super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)
        state = g.get("crm_keyset")
        if state is None or not execute:
            return count, rows
        size = page_size or self.page_size
        rows, more = list(rows[:size]), len(rows) > size
        cursor, column = state["cursor"], state["column"]
        backwards = bool(cursor and cursor[2])
        if backwards:
            rows.reverse()
        came_from_before = cursor is not None or bool(page)

        def position(row: Any) -> str:
            return keyset.encode([getattr(row, column.key), row.id])

        g.crm_keyset_pager = {
            "first": self._page_url() if came_from_before else None,
            "previous": (self._page_url(before=position(rows[0]))
                         if rows and (more if backwards else came_from_before) else None),
            "next": self._page_url(after=position(rows[-1])) if rows and (backwards or more) else None,
        }
        return count, rows

    def _page_url(self, **cursor: str) -> str:
        args = [(key, value) for key, value in request.args.items(multi=True)
                if key not in {"after", "before", "page"}]
        return url_for(".index_view") + ("?" + urlencode([*args, *cursor.items()]) if args or cursor else "")

    def render(self, template: str, **kwargs: Any) -> Any:
        kwargs.setdefault("keyset_pager", g.get("crm_keyset_pager"))
        kwargs.setdefault("crm_list_rows", list_rows.render_rows)
        return super().render(template, **kwargs)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    return value


class PrefixLookup(QueryAjaxModelLoader):
    """Type-ahead lookup of related records by name prefix, email or phone: never a dropdown of every row.

    ``scope(user)`` may return a clause that limits what a user can pick (staff who see only their own).
    """

    def __init__(self, name: str, session: Any, model: type, *, name_column: Any, email_column: Any = None,
                 phone_column: Any = None, scope: Any = None, **options: Any) -> None:
        super().__init__(name, session, model, fields=[name_column], **options)
        self.name_column = name_column
        self.email_column = email_column
        self.phone_column = phone_column
        self.scope = scope

    def get_list(self, term: str, offset: int = 0, limit: int = 10) -> Any:
        query = self.get_query().filter(record_search(term, name=self.name_column, email=self.email_column,
                                                      phone=self.phone_column, id_column=self.model.id))
        if self.scope is not None:
            clause = self.scope(acting_user())
            if clause is not None:
                query = query.filter(clause)
        return query.order_by(self.name_column, self.model.id).offset(offset).limit(min(limit, 20)).all()


class ServiceModelView(SecureModelView):
    """A model screen whose every create, update and delete is a call to one of ``crm.services``.

    Subclasses set ``service`` (the attribute of ``crm.services``) and may override ``form_values`` to turn
    a submitted form into the service's input. Errors a service raises are shown beside the field they name.
    """

    service: str = ""
    #: ``eager`` loads what the list shows; Flask-Admin's own guesses would clash with it.
    column_auto_select_related = False
    #: Columns searched by the search box: a name by prefix, an email exactly, a phone in E.164.
    search_name: str | None = None
    search_email: str | None = None
    search_phone: str | None = None
    #: Form fields whose Persian or Arabic digits are read as ASCII digits before validation.
    digit_fields: tuple[str, ...] = ()
    #: Who may export the list as CSV (customer data leaves the system: managers and admins).
    export_area = "reports"
    can_export = True
    export_types = ["csv"]
    export_max_rows = 100_000

    # -- reading -------------------------------------------------------------------------------

    def owner_clause(self, user: User) -> ColumnElement[bool] | None:
        """The rows staff limited to their own records may see (None: this screen has no owner)."""
        column = getattr(self.model, "owner_id", None)
        return column == user.id if column is not None else None

    def scope_query(self, query: Any) -> Any:
        user = acting_user()
        if user is not None and policy.owns_only(user, crm_runtime().settings):
            clause = self.owner_clause(user)
            if clause is not None:
                query = query.filter(clause)
        return query

    def eager(self, query: Any) -> Any:
        """Load what the list shows in the same query (or one more per page), never one query per row."""
        return query

    def get_query(self) -> Any:
        return self.eager(self.scope_query(super().get_query()))

    def get_count_query(self) -> Any:
        return self.scope_query(super().get_count_query())

    @expose("/")
    def index_view(self) -> Any:
        # Filter choices (owners, pipelines) come from the database: read them when the list is shown.
        self._refresh_filters_cache()
        return super().index_view()

    def get_one(self, id: Any) -> Any:
        if not str(id).isdigit() or int(id) >= 2**63:
            return None
        return self.get_query().filter(self.model.id == int(id)).one_or_none()

    def _apply_search(self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: str) -> Any:
        clause = record_search(
            search,
            name=getattr(self.model, self.search_name) if self.search_name else self.model.id,
            email=getattr(self.model, self.search_email) if self.search_email else None,
            phone=getattr(self.model, self.search_phone) if self.search_phone else None,
            id_column=self.model.id,
        )
        query = query.filter(clause)
        if count_query is not None:
            count_query = count_query.filter(clause)
        return query, count_query, joins, count_joins

    def _export_data(self) -> Any:
        if not policy.may_enter(acting_user(), self.export_area):
            abort(403)
        return super()._export_data()

    def _refresh_export_permission(self) -> None:
        self.can_export = bool(self.export_types) and policy.may_enter(acting_user(), self.export_area)

    def render(self, template: str, **kwargs: Any) -> Any:
        self._refresh_export_permission()
        return super().render(template, **kwargs)

    # -- writing -------------------------------------------------------------------------------

    def get_form_data(self, extra_digit_fields: set[str] | frozenset[str] = frozenset()) -> Any:
        data = request.form
        digit_fields = set(self.digit_fields) | set(extra_digit_fields)
        if not digit_fields:
            return data
        return ImmutableMultiDict([(key, normalize_digits(value) if key in digit_fields else value)
                                   for key, value in data.items(multi=True)])

    def create_form(self, obj: Any = None) -> Any:
        return self._create_form_class(self.get_form_data() if request.method == "POST" else None, obj=obj)

    def edit_form(self, obj: Any = None) -> Any:
        return self._edit_form_class(self.get_form_data() if request.method == "POST" else None, obj=obj)

    def form_values(self, form: Any, record: Any | None) -> dict[str, Any]:
        """The service input from a submitted form: related records become ``<name>_id``."""
        values: dict[str, Any] = {}
        for name, field in form._fields.items():
            if name == "csrf_token":
                continue
            value = field.data
            if hasattr(value, "__table__"):
                values[f"{name}_id"] = value.id
            elif value is None and name in self._relation_fields():
                values[f"{name}_id"] = None
            else:
                values[name] = _jsonable(value)
        return values

    def _relation_fields(self) -> set[str]:
        from sqlalchemy import inspect

        return set(inspect(self.model).relationships.keys())

    def call_service(self, method: str, *args: Any, **kwargs: Any) -> Any:
        service = getattr(crm_runtime().services, self.service)
        return getattr(service, method)(*args, actor=acting_user(), **kwargs)

    def service_create(self, values: dict[str, Any]) -> Any:
        return self.call_service("create", values)

    def service_update(self, record: Any, values: dict[str, Any]) -> Any:
        return self.call_service("update", record.id, values)

    def service_delete(self, record: Any) -> None:
        self.call_service("delete", record.id)

    def show_errors(self, form: Any, exc: CRMError) -> None:
        """Put each reason beside the field it names; reasons for fields the form lacks go in a message."""
        if not isinstance(exc, ValidationFailed):
            flash(exc.message, "error")
            return
        leftover = []
        for key, reasons in flatten_errors(exc.errors).items():
            field = self.field_for(form, key)
            if field is not None:
                field.errors = [*list(field.errors or []), *reasons]
            else:
                leftover.append(f"{key}: {'; '.join(reasons)}")
        flash(gettext("Please correct the fields marked below.") + (" " + " ".join(leftover) if leftover else ""),
              "error")

    def field_for(self, form: Any, key: str) -> Any:
        head = key.split(".")[0]
        for candidate in (head, head.removesuffix("_id"), self.error_fields.get(head, "")):
            if candidate and candidate in form._fields:
                return form._fields[candidate]
        return None

    #: Service field name -> form field name, where they differ (``tags`` -> ``tag_list``).
    error_fields: Mapping[str, str] = {}

    def create_model(self, form: Any) -> Any:
        try:
            record = self.service_create(self.form_values(form, None))
        except CRMError as exc:
            self.show_errors(form, exc)
            return False
        return record

    def update_model(self, form: Any, model: Any) -> bool:
        try:
            self.service_update(model, self.form_values(form, model))
        except CRMError as exc:
            self.show_errors(form, exc)
            return False
        self.session.expire(model)
        return True

    @action("delete", lazy_gettext("Delete"), lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids: list[str]) -> None:
        """Delete the chosen records one by one through the service (each fires its hook)."""
        deleted = 0
        for record in self.get_query().filter(self.model.id.in_(record_ids(ids))).all():
            if self.delete_model(record):
                deleted += 1
        flash(gettext("%(count)s records were deleted.", count=deleted), "success")

    def delete_model(self, model: Any) -> bool:
        try:
            self.service_delete(model)
        except CRMError as exc:
            flash(exc.message, "error")
            return False
        self.session.expire_all()
        return True


def record_ids(raw: Any) -> list[int]:
    """Ids from a form (strings), keeping only whole numbers a database id can be."""
    return [int(value) for value in raw if str(value).isdigit() and int(value) < 2**63][:10_000]


def flatten_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """``{"lines": {0: {"quantity": ["..."]}}}`` becomes ``{"lines.0.quantity": ["..."]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            flat.update(flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(errors, list | tuple):
        if all(isinstance(item, str) for item in errors):
            flat[prefix or "_schema"] = [str(item) for item in errors]
        else:
            for index, item in enumerate(errors):
                flat.update(flatten_errors(item, f"{prefix}.{index}"))
    else:
        flat[prefix or "_schema"] = [str(errors)]
    return flat


class DashboardView(AccessMixin, AdminIndexView):
    pass
