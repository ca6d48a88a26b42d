"""The forms of the core's screens. They only collect input: the services validate it and say what is wrong."""

from __future__ import annotations

from typing import Any

from flask_admin.form import BaseForm
from flask_admin.form.widgets import DatePickerWidget
from flask_admin.model.fields import AjaxSelectField
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, DateTimeLocalField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from crmcore.models import Channel, Direction, LifecycleStage, Role, SalesChannel
from crmcore.schemas.records import CURRENCIES

BLANK = ("", "—")


def optional_int(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


def optional_str(value: Any) -> str | None:
    if value in (None, "", "None"):
        return None
    return str(value)


def text(label: Any, area: bool = False) -> Any:
    return (TextAreaField if area else StringField)(label, validators=[Optional()])


def choice(label: Any, choices: list[tuple[str, Any]], blank: bool = False, default: Any = None) -> SelectField:
    return SelectField(label, choices=([BLANK] if blank else []) + choices,
                       coerce=optional_str, default=default, validate_choice=True)


def user_choice(label: Any) -> SelectField:
    """Users are few (a team, not a customer base): a plain select, filled when the form is built."""
    return SelectField(label, choices=[], coerce=optional_int, validate_choice=False)


def date_field(label: Any) -> DateField:
    return DateField(label, validators=[Optional()], widget=DatePickerWidget())


def lifecycle_choices() -> list[tuple[str, Any]]:
    labels = {LifecycleStage.LEAD: _l("Lead"), LifecycleStage.PROSPECT: _l("Prospect"),
              LifecycleStage.CUSTOMER: _l("Customer"), LifecycleStage.FORMER: _l("Former customer")}
    return [(stage.value, labels[stage]) for stage in LifecycleStage]


def channel_choices() -> list[tuple[str, Any]]:
    labels = {Channel.PHONE: _l("Phone call"), Channel.EMAIL: _l("Email"), Channel.WEB: _l("Web"),
              Channel.MESSENGER: _l("Messenger"), Channel.SOCIAL: _l("Social network"), Channel.FAX: _l("Fax"),
              Channel.POST: _l("Post"), Channel.MEETING: _l("Visit or meeting"), Channel.STORE: _l("Store"),
              Channel.EVENT: _l("Event")}
    return [(channel.value, labels[channel]) for channel in Channel]


def direction_choices() -> list[tuple[str, Any]]:
    return [(Direction.OUTBOUND.value, _l("Outbound")), (Direction.INBOUND.value, _l("Inbound"))]


def customer_form(loaders: dict[str, Any]) -> type[BaseForm]:
    class CustomerForm(BaseForm):
        name = StringField(_l("Name"))
        kind = choice(_l("Kind"), [("organisation", _l("Organisation")), ("person", _l("Person"))],
                      default="organisation")
        lifecycle_stage = choice(_l("Lifecycle stage"), lifecycle_choices(), default=LifecycleStage.LEAD.value)
        email = text(_l("Email"))
        phone = text(_l("Phone"))
        website = text(_l("Website"))
        country = text(_l("Country (ISO code)"))
        city = text(_l("City"))
        address = text(_l("Address"), area=True)
        legal_name = text(_l("Legal name"))
        registration_id = text(_l("Registration number"))
        tax_id = text(_l("Tax number"))
        industry = text(_l("Industry"))
        sales_channel = choice(_l("Sales channel"), [(c.value, c.value.replace("_", " ")) for c in SalesChannel],
                               blank=True)
        source = text(_l("Source"))
        churn_reason = text(_l("Why the customer left"))
        owner_id = user_choice(_l("Owner"))
        tag_list = StringField(_l("Tags (comma-separated)"), validators=[Optional()])
        marketing_consent = BooleanField(_l("Agreed to marketing"))

    return CustomerForm


def contact_form(loaders: dict[str, Any]) -> type[BaseForm]:
    class ContactForm(BaseForm):
        customer = AjaxSelectField(loaders["customer"], _l("Customer"))
        first_name = StringField(_l("First name"))
        middle_name = text(_l("Middle name"))
        last_name = text(_l("Last name"))
        position = text(_l("Position"))
        email_list = text(_l("Emails (comma-separated)"))
        phone_list = text(_l("Phones (comma-separated)"))
        birthday = date_field(_l("Birthday"))
        marketing_consent = BooleanField(_l("Agreed to marketing"))

    return ContactForm


def touchpoint_form(loaders: dict[str, Any]) -> type[BaseForm]:
    class TouchpointForm(BaseForm):
        customer = AjaxSelectField(loaders["customer"], _l("Customer"))
        channel = choice(_l("Channel"), channel_choices(), default=Channel.PHONE.value)
        direction = choice(_l("Direction"), direction_choices(), default=Direction.OUTBOUND.value)
        occurred_at = DateTimeLocalField(_l("When"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
        subject = text(_l("Subject"))
        notes = text(_l("Notes"), area=True)
        outcome = text(_l("Outcome"))
        contact = AjaxSelectField(loaders["contact"], _l("Contact person"), allow_blank=True)
        deal = AjaxSelectField(loaders["deal"], _l("Deal"), allow_blank=True)

    return TouchpointForm


def deal_form(loaders: dict[str, Any]) -> type[BaseForm]:
    class DealForm(BaseForm):
        customer = AjaxSelectField(loaders["customer"], _l("Customer"))
        title = StringField(_l("Title"))
        amount = text(_l("Amount"))
        currency = choice(_l("Currency"), [(c, c) for c in CURRENCIES], default="USD")
        stage_id = SelectField(_l("Stage"), choices=[], coerce=optional_int, validate_choice=False)
        owner_id = user_choice(_l("Owner"))
        expected_close_on = date_field(_l("Expected to close on"))
        probability = text(_l("Probability (%), if not the stage's"))
        lost_reason = text(_l("Why it was lost"))

    return DealForm


def task_form(loaders: dict[str, Any]) -> type[BaseForm]:
    class TaskForm(BaseForm):
        title = StringField(_l("Title"))
        due_on = date_field(_l("Due on"))
        assignee_id = user_choice(_l("Assignee"))
        customer = AjaxSelectField(loaders["customer"], _l("Customer"), allow_blank=True)
        deal = AjaxSelectField(loaders["deal"], _l("Deal"), allow_blank=True)
        notes = text(_l("Notes"), area=True)

    return TaskForm


def product_form() -> type[BaseForm]:
    class ProductForm(BaseForm):
        sku = StringField(_l("SKU"))
        name = StringField(_l("Name"))
        price = text(_l("Price"))
        cost = text(_l("Cost"))
        currency = choice(_l("Currency"), [(c, c) for c in CURRENCIES], default="USD")
        description = text(_l("Description"), area=True)
        active = BooleanField(_l("On sale"), default=True)

    return ProductForm


def custom_field_form(creating: bool) -> type[BaseForm]:
    """Key and type are fixed once a field exists, so the edit form leaves them out."""
    from crmcore.models import CustomField

    class CustomFieldForm(BaseForm):
        label = StringField(_l("Label"))
        choices = text(_l("Choices (one per line, for a choice field)"), area=True)
        required = BooleanField(_l("Required"), default=False)

    if creating:
        class NewCustomFieldForm(CustomFieldForm):
            key = StringField(_l("Key (lower-case letters, digits and _)"))
            type = choice(_l("Type"), [(kind, kind) for kind in CustomField.TYPES], default="text")

        return NewCustomFieldForm
    return CustomFieldForm


def user_form(creating: bool) -> type[BaseForm]:
    class UserForm(BaseForm):
        email = StringField(_l("Email"))
        name = text(_l("Name"))
        role = choice(_l("Role"), [(Role.STAFF.value, _l("Staff")), (Role.MANAGER.value, _l("Manager")),
                                   (Role.ADMIN.value, _l("Admin"))], default=Role.STAFF.value)
        language = choice(_l("Language"), [("en", "English"), ("fa", "فارسی"), ("ru", "Русский")], default="en")
        active = BooleanField(_l("Active"), default=True)
        password = PasswordField(_l("Password") if creating else _l("New password (leave empty to keep)"),
                                 validators=[Optional()])

    return UserForm


def pipeline_form() -> type[BaseForm]:
    class PipelineForm(BaseForm):
        name = StringField(_l("Name"))
        is_default = BooleanField(_l("Default pipeline"))
        stage_lines = TextAreaField(
            _l("Stages, one a line: name | probability | won or lost (empty for the usual six stages)"),
            validators=[Optional()], render_kw={"rows": 8, "placeholder": "New | 10\nProposal | 50\nWon | 100 | won"
                                                                          "\nLost | 0 | lost"})

    return PipelineForm
