"""The core's model screens: lists, forms and bulk actions, every write a call to a service."""

from __future__ import annotations

from typing import Any

from flask import flash, has_app_context, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from crmcore import policy
from crmcore.errors import CRMError
from crmcore.models import (
    AuditEntry,
    Contact,
    Customer,
    CustomField,
    Deal,
    Pipeline,
    Product,
    Stage,
    Task,
    Touchpoint,
    User,
)
from crmcore.services import transaction
from crmcore.web.admin import custom_fields, forms
from crmcore.web.admin.base import (
    PrefixLookup,
    SecureModelView,
    ServiceModelView,
    acting_user,
    crm_runtime,
    user_names,
)
from crmcore.web.formatting import format_datetime_value, format_money
from crmcore.web.record_urls import id_url


def _customer_scope(user: User | None) -> Any:
    if user is not None and policy.owns_only(user, crm_runtime().settings):
        return Customer.owner_id == user.id
    return None


def _owned_customers(user: User) -> Any:
    return select(Customer.id).where(Customer.owner_id == user.id)


def _user_choices() -> list[tuple[Any, str]]:
    return [(None, "—"), *sorted(user_names().items(), key=lambda item: item[1].lower())]


def _customer_link(view: Any, context: Any, model: Any, name: str) -> Any:
    customer = model if isinstance(model, Customer) else model.customer
    if customer is None:
        return ""
    href = id_url("customer_page.show", "customer_id")(customer.id)
    return Markup('<a href="%s">%s</a>') % (href, customer.name)


def _owner_name(view: Any, context: Any, model: Any, name: str) -> str:
    owner_id = getattr(model, name if name.endswith("_id") else f"{name}_id", None)
    return user_names().get(owner_id, "") if owner_id else ""


def _owner_filter(column: Any) -> FilterEqual:
    return FilterEqual(column=column, name=lazy_gettext("Owner"), options=lambda: _user_choices()[1:])


class CustomerView(ServiceModelView):
    service = "customers"
    search_name, search_email, search_phone = "name", "email", "phone"
    digit_fields = ("phone",)
    column_list = ("name", "email", "phone", "city", "country", "lifecycle_stage", "owner", "tags")
    column_labels = {"name": lazy_gettext("Name"), "email": lazy_gettext("Email"), "phone": lazy_gettext("Phone"),
                     "city": lazy_gettext("City"), "country": lazy_gettext("Country"),
                     "lifecycle_stage": lazy_gettext("Stage"), "owner": lazy_gettext("Owner"),
                     "tags": lazy_gettext("Tags")}
    column_searchable_list = ("name", "email", "phone")
    column_filters = ("lifecycle_stage", "country", "industry", "sales_channel", "marketing_consent")
    column_sortable_list = ("name", "id")
    column_default_sort = ("id", True)
    column_formatters = {"name": _customer_link,
                         "tags": lambda v, c, m, n: ", ".join(tag.name for tag in m.tags),
                         "owner": lambda v, c, m, n: str(m.owner) if m.owner else ""}
    column_formatters_export = {"tags": lambda v, c, m, n: ", ".join(tag.name for tag in m.tags),
                                "owner": lambda v, c, m, n: m.owner.email if m.owner else ""}
    column_export_list = ("id", "name", "email", "phone", "city", "country", "lifecycle_stage", "owner", "tags")
    error_fields = {"tags": "tag_list"}

    def scaffold_form(self) -> Any:
        return forms.customer_form(self._form_ajax_refs)

    def get_filters(self) -> Any:
        filters = super().get_filters() or []
        return [*filters, _owner_filter(Customer.owner_id)]

    def eager(self, query: Any) -> Any:
        # The list shows no important dates: the model would otherwise load them for every row.
        return query.options(joinedload(Customer.owner), selectinload(Customer.tags),
                             lazyload(Customer.important_dates))

    def _build(self, form_class: type, obj: Any) -> Any:
        defined = custom_fields.definitions(crm_runtime(), "customer")
        form_class = custom_fields.with_custom_fields(form_class, defined)
        formdata = self.get_form_data(custom_fields.digit_keys(defined)) if request.method == "POST" else None
        form = form_class(formdata, obj=obj)
        form.owner_id.choices = _user_choices()
        return form

    def create_form(self, obj: Any = None) -> Any:
        form = self._build(self._create_form_class, obj)
        if request.method == "GET" and obj is None:
            form.owner_id.data = acting_user().id if acting_user() else None
        return form

    def edit_form(self, obj: Any = None) -> Any:
        return self._build(self._edit_form_class, obj)

    def on_form_prefill(self, form: Any, id: Any) -> None:
        record = self.get_one(id)
        if record is not None:
            form.tag_list.data = ", ".join(tag.name for tag in record.tags)
            custom_fields.prefill(form, record.custom_fields)

    def field_for(self, form: Any, key: str) -> Any:
        if key.startswith("custom_fields."):
            return form._fields.get(custom_fields.PREFIX + key.split(".")[1])
        return super().field_for(form, key)

    def form_values(self, form: Any, record: Any | None) -> dict[str, Any]:
        values = super().form_values(form, record)
        extra = custom_fields.take(values)
        if extra:
            values["custom_fields"] = extra
        tag_list = values.pop("tag_list", None) or ""
        values["tags"] = [name.strip() for name in tag_list.split(",") if name.strip()]
        for key in ("sales_channel", "churn_reason"):
            if values.get(key) in ("", None):
                values[key] = None
        return values

    @action("assign_owner", lazy_gettext("Assign owner"))
    def action_assign_owner(self, ids: list[str]) -> Any:
        return redirect(url_for(".bulk", kind="owner", ids=",".join(ids)))

    @action("add_tag", lazy_gettext("Add a tag"))
    def action_add_tag(self, ids: list[str]) -> Any:
        return redirect(url_for(".bulk", kind="tag", ids=",".join(ids)))

    @expose("/bulk/<kind>/", methods=("GET", "POST"))
    def bulk(self, kind: str) -> Any:
        """The second step of a bulk action: choose the owner or the tag, then apply it in one transaction."""
        if kind not in {"owner", "tag"}:
            return redirect(url_for(".index_view"))
        ids = [int(i) for i in request.values.get("ids", "").split(",") if i.isdigit() and int(i) < 2**63][:1000]
        if request.method == "POST":
            try:
                applied = apply_bulk(self, kind, ids, request.form)
            except CRMError as exc:
                flash(exc.message + " " + str(getattr(exc, "errors", "")), "error")
            else:
                flash(gettext("%(count)s records were changed.", count=applied), "success")
                return redirect(url_for(".index_view"))
        return self.render("crm/bulk.html", kind=kind, ids=ids, users=_user_choices()[1:],
                           return_url=url_for(".index_view"))


def apply_bulk(view: ServiceModelView, kind: str, ids: list[int], form: Any) -> int:
    """Change every chosen record through the service, all in one transaction: all of them or none."""
    crm = crm_runtime()
    actor = acting_user()
    visible = {row.id: row for row in view.get_query().filter(view.model.id.in_(ids)).all()}
    with transaction(crm) as tx:
        for record_id in ids:
            record = visible.get(record_id)
            if record is None:
                continue
            if kind == "owner":
                owner = forms.optional_int(form.get("owner_id"))
                data: dict[str, Any] = {"owner_id": owner}
            else:
                tag = (form.get("tag") or "").strip()
                if not tag:
                    from crmcore.errors import ValidationFailed

                    raise ValidationFailed({"tag": [gettext("Give the tag a name.")]})
                data = {"tags": sorted({t.name for t in record.tags} | {tag})}
            getattr(crm.services, view.service).update(record_id, data, actor=actor, tx=tx)
    return len(visible)


class ContactView(ServiceModelView):
    service = "contacts"
    search_name = "last_name"
    digit_fields = ("phone_list", "birthday")
    column_list = ("first_name", "last_name", "position", "customer")
    column_labels = {"first_name": lazy_gettext("First name"), "last_name": lazy_gettext("Last name"),
                     "position": lazy_gettext("Position"), "customer": lazy_gettext("Customer")}
    column_searchable_list = ("last_name",)
    column_sortable_list = ("last_name", "id")
    column_default_sort = ("id", True)
    column_formatters = {"customer": _customer_link,
                         "points": lambda v, c, m, n: ", ".join(f"{p.kind}: {p.value}" for p in m.points)}
    column_export_list = ("id", "first_name", "middle_name", "last_name", "position", "customer")
    column_details_list = ("first_name", "middle_name", "last_name", "position", "customer", "birthday",
                           "marketing_consent", "points")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        session = args[1]
        self.form_ajax_refs = {"customer": customer_lookup("customer", session)}
        super().__init__(*args, **kwargs)

    def _apply_search(self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: str) -> Any:
        from sqlalchemy import or_

        from crmcore.web.admin.search import record_search

        clause = or_(record_search(search, name=Contact.last_name, id_column=Contact.id),
                     record_search(search, name=Contact.first_name))
        return query.filter(clause), count_query, joins, count_joins

    def owner_clause(self, user: User) -> Any:
        return Contact.customer_id.in_(_owned_customers(user))

    def eager(self, query: Any) -> Any:
        return query.options(joinedload(Contact.customer))

    def scaffold_form(self) -> Any:
        return forms.contact_form(self._form_ajax_refs)

    def on_form_prefill(self, form: Any, id: Any) -> None:
        record = self.get_one(id)
        if record is not None:
            form.email_list.data = ", ".join(record.emails)
            form.phone_list.data = ", ".join(record.phones)

    def form_values(self, form: Any, record: Any | None) -> dict[str, Any]:
        values = super().form_values(form, record)
        values["emails"] = _split(values.pop("email_list", None))
        values["phones"] = _split(values.pop("phone_list", None))
        return values


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()]


def customer_lookup(name: str, session: Any) -> PrefixLookup:
    return PrefixLookup(name, session, Customer, name_column=Customer.name, email_column=Customer.email,
                        phone_column=Customer.phone, scope=_customer_scope)


def contact_lookup(name: str, session: Any) -> PrefixLookup:
    return PrefixLookup(name, session, Contact, name_column=Contact.last_name,
                        scope=lambda user: Contact.customer_id.in_(_owned_customers(user))
                        if user is not None and policy.owns_only(user, crm_runtime().settings) else None)


def deal_lookup(name: str, session: Any) -> PrefixLookup:
    return PrefixLookup(name, session, Deal, name_column=Deal.title,
                        scope=lambda user: Deal.owner_id == user.id
                        if user is not None and policy.owns_only(user, crm_runtime().settings) else None)


class TouchpointView(ServiceModelView):
    """The timeline is history: touchpoints are recorded, never edited or deleted on screen."""

    service = "touchpoints"
    search_name = "subject"
    can_edit = False
    can_delete = False
    digit_fields = ("occurred_at",)
    column_list = ("occurred_at", "customer", "channel", "direction", "subject", "outcome", "user")
    column_labels = {"occurred_at": lazy_gettext("When"), "customer": lazy_gettext("Customer"),
                     "channel": lazy_gettext("Channel"), "direction": lazy_gettext("Direction"),
                     "subject": lazy_gettext("Subject"), "outcome": lazy_gettext("Outcome"),
                     "user": lazy_gettext("By")}
    column_searchable_list = ("subject",)
    column_filters = ("channel", "direction")
    column_sortable_list = ("occurred_at",)
    column_default_sort = ("occurred_at", True)
    column_formatters = {"customer": _customer_link, "occurred_at": format_datetime_value,
                         "user": lambda v, c, m, n: user_names().get(m.user_id, "")}
    column_formatters_export = {"user": lambda v, c, m, n: user_names().get(m.user_id, "")}
    column_details_list = ("occurred_at", "customer", "channel", "direction", "subject", "notes", "outcome", "user",
                           "source")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        session = args[1]
        self.form_ajax_refs = {"customer": customer_lookup("customer", session),
                               "contact": contact_lookup("contact", session),
                               "deal": deal_lookup("deal", session)}
        super().__init__(*args, **kwargs)

    def owner_clause(self, user: User) -> Any:
        return Touchpoint.customer_id.in_(_owned_customers(user))

    def eager(self, query: Any) -> Any:
        return query.options(joinedload(Touchpoint.customer))

    def scaffold_form(self) -> Any:
        return forms.touchpoint_form(self._form_ajax_refs)

    def service_create(self, values: dict[str, Any]) -> Any:
        if values.get("occurred_at") is None:
            values.pop("occurred_at", None)
        return self.call_service("record", values)


class DealView(ServiceModelView):
    service = "deals"
    search_name = "title"
    digit_fields = ("amount", "probability", "expected_close_on")
    column_list = ("title", "customer", "stage", "amount", "currency", "status", "owner_id", "expected_close_on")
    column_labels = {"title": lazy_gettext("Title"), "customer": lazy_gettext("Customer"),
                     "stage": lazy_gettext("Stage"), "amount": lazy_gettext("Amount"),
                     "currency": lazy_gettext("Currency"), "status": lazy_gettext("Status"),
                     "owner_id": lazy_gettext("Owner"), "expected_close_on": lazy_gettext("Expected to close")}
    column_searchable_list = ("title",)
    column_filters = ("status", "currency")
    column_sortable_list = ("id", "expected_close_on")
    column_default_sort = ("id", True)
    column_formatters = {"customer": _customer_link, "owner_id": _owner_name,
                         "amount": lambda v, c, m, n: format_money(m.amount, m.currency)}
    column_formatters_export = {"owner_id": _owner_name, "customer": lambda v, c, m, n: m.customer.name}
    column_export_list = ("id", "title", "customer", "stage", "amount", "currency", "status", "owner_id",
                          "expected_close_on", "closed_on")
    column_details_list = ("title", "customer", "stage", "amount", "cost", "currency", "status", "probability",
                           "owner_id", "expected_close_on", "closed_on", "lost_reason", "external_ref")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        session = args[1]
        self.form_ajax_refs = {"customer": customer_lookup("customer", session)}
        super().__init__(*args, **kwargs)

    def get_filters(self) -> Any:
        filters = super().get_filters() or []
        return [*filters, _owner_filter(Deal.owner_id),
                FilterEqual(column=Deal.pipeline_id, name=lazy_gettext("Pipeline"),
                            options=lambda: [(p.id, p.name) for p in self._pipelines()])]

    def _pipelines(self) -> list[Pipeline]:
        if not has_app_context():
            return []
        with crm_runtime().db.session() as session:
            return list(session.scalars(select(Pipeline).order_by(Pipeline.id)))

    def eager(self, query: Any) -> Any:
        return query.options(joinedload(Deal.customer), joinedload(Deal.stage))

    def scaffold_form(self) -> Any:
        return forms.deal_form(self._form_ajax_refs)

    def _fill(self, form: Any) -> Any:
        form.owner_id.choices = _user_choices()
        form.stage_id.choices = [(stage.id, f"{pipeline.name} · {stage.name}")
                                 for pipeline in self._pipelines() for stage in pipeline.stages]
        return form

    def create_form(self, obj: Any = None) -> Any:
        form = self._fill(super().create_form(obj))
        if request.method == "GET" and obj is None:
            form.owner_id.data = acting_user().id if acting_user() else None
        return form

    def edit_form(self, obj: Any = None) -> Any:
        return self._fill(super().edit_form(obj))

    def form_values(self, form: Any, record: Any | None) -> dict[str, Any]:
        values = super().form_values(form, record)
        if values.get("amount") in ("", None):
            values.pop("amount", None)
        for key in ("probability", "lost_reason"):
            if values.get(key) in ("", None):
                # Creating: leave it out (the stage's probability applies); editing: clear it.
                if record is None:
                    values.pop(key, None)
                else:
                    values[key] = None
        if values.get("probability") is not None:
            probability = str(values["probability"]).strip().rstrip("%")
            values["probability"] = int(probability) if probability.isdigit() else probability
        if values.get("stage_id") is not None:
            with crm_runtime().db.session() as session:
                stage = session.get(Stage, values["stage_id"])
                if stage is not None:
                    values["pipeline_id"] = stage.pipeline_id
        else:
            values.pop("stage_id", None)
        return values

    @action("assign_owner", lazy_gettext("Assign owner"))
    def action_assign_owner(self, ids: list[str]) -> Any:
        return redirect(url_for(".bulk", kind="owner", ids=",".join(ids)))

    @expose("/bulk/<kind>/", methods=("GET", "POST"))
    def bulk(self, kind: str) -> Any:
        return CustomerView.bulk(self, "owner")


class TaskView(ServiceModelView):
    service = "tasks"
    search_name = "title"
    can_delete = False
    digit_fields = ("due_on",)
    column_list = ("title", "due_on", "assignee_id", "customer", "done_at")
    column_labels = {"title": lazy_gettext("Title"), "due_on": lazy_gettext("Due on"),
                     "assignee_id": lazy_gettext("Assignee"), "customer": lazy_gettext("Customer"),
                     "done_at": lazy_gettext("Done")}
    column_searchable_list = ("title",)
    column_sortable_list = ("due_on", "id")
    column_default_sort = ("due_on", False)
    column_formatters = {"customer": _customer_link, "assignee_id": _owner_name,
                         "done_at": format_datetime_value}
    column_formatters_export = {"assignee_id": _owner_name,
                                "customer": lambda v, c, m, n: m.customer.name if m.customer else ""}
    column_details_list = ("title", "due_on", "assignee_id", "customer", "notes", "done_at", "source")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        session = args[1]
        self.form_ajax_refs = {"customer": customer_lookup("customer", session),
                               "deal": deal_lookup("deal", session)}
        super().__init__(*args, **kwargs)

    def get_filters(self) -> Any:
        from flask_admin.contrib.sqla.filters import FilterEmpty

        return [FilterEqual(column=Task.assignee_id, name=lazy_gettext("Assignee"),
                            options=lambda: _user_choices()[1:]),
                FilterEmpty(column=Task.done_at, name=lazy_gettext("Done"))]

    def owner_clause(self, user: User) -> Any:
        return Task.assignee_id == user.id

    def eager(self, query: Any) -> Any:
        return query.options(joinedload(Task.customer))

    def scaffold_form(self) -> Any:
        return forms.task_form(self._form_ajax_refs)

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        form.assignee_id.choices = _user_choices()
        if request.method == "GET" and obj is None:
            form.assignee_id.data = acting_user().id if acting_user() else None
        return form

    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)
        form.assignee_id.choices = _user_choices()
        return form

    @action("complete", lazy_gettext("Mark done"))
    def action_complete(self, ids: list[str]) -> None:
        crm, actor, done = crm_runtime(), acting_user(), 0
        for task in self.get_query().filter(Task.id.in_([int(i) for i in ids if i.isdigit()])).all():
            try:
                crm.services.tasks.complete(task.id, actor=actor)
                done += 1
            except CRMError as exc:
                flash(exc.message, "error")
        flash(gettext("%(count)s records were changed.", count=done), "success")


class ProductView(ServiceModelView):
    area = "catalog"
    service = "products"
    search_name = "name"
    can_delete = False
    digit_fields = ("price", "cost")
    column_list = ("sku", "name", "price", "currency", "active")
    column_labels = {"sku": lazy_gettext("SKU"), "name": lazy_gettext("Name"), "price": lazy_gettext("Price"),
                     "currency": lazy_gettext("Currency"), "active": lazy_gettext("On sale")}
    column_searchable_list = ("name", "sku")
    column_filters = ("active", "currency")
    column_sortable_list = ("sku", "name")
    column_default_sort = ("sku", False)

    def scaffold_form(self) -> Any:
        return forms.product_form()

    def _apply_search(self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: str) -> Any:
        from sqlalchemy import or_

        from crmcore.web.admin.search import record_search

        clause = or_(Product.sku == search.strip(), record_search(search, name=Product.name, id_column=Product.id))
        return query.filter(clause), count_query, joins, count_joins

    def form_values(self, form: Any, record: Any | None) -> dict[str, Any]:
        values = super().form_values(form, record)
        for key in ("price", "cost"):
            if values.get(key) in ("", None):
                values.pop(key)
        return values


class UserView(ServiceModelView):
    area = "users"
    service = "users"
    search_name = "name"
    search_email = "email"
    can_delete = False
    can_export = False
    export_types: list[str] = []
    column_list = ("email", "name", "role", "language", "active", "last_login_at")
    column_labels = {"email": lazy_gettext("Email"), "name": lazy_gettext("Name"), "role": lazy_gettext("Role"),
                     "language": lazy_gettext("Language"), "active": lazy_gettext("Active"),
                     "last_login_at": lazy_gettext("Last log-in")}
    column_details_exclude_list = ("password_hash",)
    column_searchable_list = ("email", "name")
    column_filters = ("role", "active")
    column_sortable_list = ("email", "name")
    column_default_sort = ("email", False)
    column_formatters = {"last_login_at": format_datetime_value}

    def get_create_form(self) -> Any:
        return forms.user_form(creating=True)

    def get_edit_form(self) -> Any:
        return forms.user_form(creating=False)

    def form_values(self, form: Any, record: Any | None) -> dict[str, Any]:
        values = super().form_values(form, record)
        if not values.get("password"):
            values.pop("password", None)
        return values


def parse_stage_lines(text: str) -> list[dict[str, Any]] | None:
    """``Name | probability | won|lost`` per line; None for the usual stages."""
    from crmcore.normalize import normalize_digits

    stages = []
    for line in normalize_digits(text or "").splitlines():
        parts = [part.strip() for part in line.split("|")]
        if not parts[0]:
            continue
        stage: dict[str, Any] = {"name": parts[0]}
        if len(parts) > 1 and parts[1]:
            stage["probability"] = int(parts[1]) if parts[1].isdigit() else parts[1]
        flag = parts[2].lower() if len(parts) > 2 else ""
        stage["is_won"] = flag == "won"
        stage["is_lost"] = flag == "lost"
        stages.append(stage)
    return stages or None


class PipelineView(ServiceModelView):
    """Pipelines and their stages, one stage per line: ``Name | probability | won|lost``."""

    area = "settings"
    service = "pipelines"
    search_name = "name"
    can_delete = False
    export_types: list[str] = []
    column_list = ("name", "is_default", "stages")
    column_labels = {"name": lazy_gettext("Name"), "is_default": lazy_gettext("Default"),
                     "stages": lazy_gettext("Stages")}
    column_searchable_list = ("name",)
    column_sortable_list = ("name",)
    column_formatters = {"stages": lambda v, c, m, n: " → ".join(f"{s.name} ({s.probability}%)" for s in m.stages)}

    def scaffold_form(self) -> Any:
        return forms.pipeline_form()

    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)
        if request.method != "POST" and obj is not None:
            form.stage_lines.data = "\n".join(
                " | ".join([stage.name, str(stage.probability)] + (["won"] if stage.is_won else [])
                           + (["lost"] if stage.is_lost else [])) for stage in obj.stages)
        return form

    def form_values(self, form: Any, record: Any | None) -> dict[str, Any]:
        values = {"name": form.name.data, "is_default": bool(form.is_default.data)}
        if record is not None and record.is_default and not values["is_default"]:
            values.pop("is_default")
        stages = parse_stage_lines(form.stage_lines.data)
        if stages:
            values["stages"] = stages
        return values

    error_fields = {"stages": "stage_lines"}


class ReadOnlyView(SecureModelView):
    can_create = False
    can_edit = False
    can_delete = False


class CustomFieldView(ServiceModelView):
    """Custom field definitions; the services validate every customer's values against them."""

    area = "settings"
    service = "custom_fields"
    can_export = False
    export_types: list[str] = []
    column_sortable_list = ("key", "label")
    column_default_sort = ("key", False)
    search_name = "label"

    def create_form(self, obj: Any = None) -> Any:
        form_class = forms.custom_field_form(creating=True)
        return form_class(self.get_form_data() if request.method == "POST" else None, obj=obj)

    def edit_form(self, obj: Any = None) -> Any:
        form = forms.custom_field_form(creating=False)(self.get_form_data() if request.method == "POST" else None,
                                                         obj=obj)
        if request.method != "POST" and obj is not None:
            form.choices.data = "\n".join(obj.choices or [])
        return form

    def form_values(self, form: Any, record: Any | None) -> dict[str, Any]:
        values = super().form_values(form, record)
        values["choices"] = [line.strip() for line in (values.get("choices") or "").splitlines() if line.strip()]
        return values
    column_list = ("entity", "key", "label", "type", "choices", "required")
    column_labels = {"entity": lazy_gettext("Record"), "key": lazy_gettext("Key"), "label": lazy_gettext("Label"),
                     "type": lazy_gettext("Type"), "choices": lazy_gettext("Choices"),
                     "required": lazy_gettext("Required")}
    column_filters = ("entity", "type")


def _changes(view: Any, context: Any, model: AuditEntry, name: str) -> Any:
    rows = Markup("").join(
        Markup("<div><code>{}</code>: {} → {}</div>").format(field, _short(values, 0), _short(values, 1))
        for field, values in (model.changes or {}).items())
    return rows


def _short(values: Any, index: int) -> str:
    value = values[index] if isinstance(values, list | tuple) and len(values) > index else values
    text = "" if value is None else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


class AuditView(ReadOnlyView):
    """Who changed which record and field, from what to what, and when: newest first."""

    area = "audit"
    can_export = True
    export_types = ["csv"]
    column_list = ("at", "user_id", "entity", "entity_id", "action", "changes")
    column_labels = {"at": lazy_gettext("When"), "user_id": lazy_gettext("Who"), "entity": lazy_gettext("Record"),
                     "entity_id": lazy_gettext("Id"), "action": lazy_gettext("Action"),
                     "changes": lazy_gettext("Changes")}
    column_filters = ("entity", "entity_id", "action", "user_id")
    column_sortable_list = ("id",)
    column_default_sort = ("id", True)
    column_formatters = {"at": format_datetime_value, "user_id": _owner_name, "changes": _changes}
    column_formatters_export = {"user_id": _owner_name}


def core_views(session: Any) -> list[Any]:
    customers = lazy_gettext("Customers")
    settings = lazy_gettext("Settings")
    pages = page_views()
    return [
        CustomerView(Customer, session, name=customers, endpoint="customers", category=None),
        ContactView(Contact, session, name=lazy_gettext("Contacts"), endpoint="contacts"),
        DealView(Deal, session, name=lazy_gettext("Deals"), endpoint="deals"),
        *pages[:2],
        TouchpointView(Touchpoint, session, name=lazy_gettext("Touchpoints"), endpoint="touchpoints"),
        TaskView(Task, session, name=lazy_gettext("Tasks"), endpoint="tasks"),
        ProductView(Product, session, name=lazy_gettext("Products"), endpoint="products"),
        UserView(User, session, name=lazy_gettext("Users"), endpoint="users", category=settings),
        PipelineView(Pipeline, session, name=lazy_gettext("Pipelines"), endpoint="pipelines", category=settings),
        CustomFieldView(CustomField, session, name=lazy_gettext("Custom fields"), endpoint="custom_fields",
                        category=settings),
        AuditView(AuditEntry, session, name=lazy_gettext("Audit log"), endpoint="audit", category=settings),
        *pages[2:],
    ]


def page_views() -> list[Any]:
    """The screens that are not a model list: the board, the customer page, plugins and workspace settings."""
    from crmcore.web.admin.board import BoardView
    from crmcore.web.admin.customer_page import CustomerPage
    from crmcore.web.admin.plugins_screen import PluginsView
    from crmcore.web.admin.workspace_settings import WorkspaceSettingsView

    return [
        BoardView(name=lazy_gettext("Pipeline board"), endpoint="board", url="/board"),
        CustomerPage(name=lazy_gettext("Customer"), endpoint="customer_page", url="/customer"),
        PluginsView(name=lazy_gettext("Plugins"), endpoint="plugins", url="/plugins",
                    category=lazy_gettext("Settings")),
        WorkspaceSettingsView(name=lazy_gettext("Workspace"), endpoint="workspace_settings",
                              url="/settings/workspace", category=lazy_gettext("Settings")),
    ]
