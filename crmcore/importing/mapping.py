"""Match the columns of an import file to the fields of what is being imported.

Each import kind lists its target fields as data: name, whether the import needs it, the value type, and the
column headers people use for it in English, Russian, Ukrainian and Persian. Headers are compared after
folding case, spacing and punctuation, so "E-mail", "email_address" and "Email Address" are the same.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from crmcore.importing.reader import CellValue

FieldType = Literal["text", "email", "phone", "decimal", "int", "date", "datetime", "bool"]


class MappingError(ValueError):
    """An explicit mapping names a field or column that does not exist; the message says which are valid."""


@dataclass(frozen=True)
class TargetField:
    """A field an import can fill.

    ``satisfied_by`` lists other fields that stand in for a required one: a contact needs a first name, but a
    file with only a full-name column is still importable.
    """

    name: str
    required: bool = False
    type: FieldType = "text"
    synonyms: tuple[str, ...] = ()
    satisfied_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class ColumnMapping:
    """The resolved mapping: ``fields`` maps target field -> file column.

    ``unmapped`` are the file's columns no field uses (in file order), to be offered as custom fields;
    ``missing`` are required fields without a column: the import should not start while there are any.
    """

    kind: str
    fields: dict[str, str]
    unmapped: tuple[str, ...]
    missing: tuple[str, ...]

    def apply(self, values: Mapping[str, CellValue]) -> dict[str, CellValue]:
        """The row's values keyed by target field."""
        return {field: values.get(column) for field, column in self.fields.items()}


def _field(
    name: str,
    *synonyms: str,
    required: bool = False,
    type: FieldType = "text",
    satisfied_by: tuple[str, ...] = (),
) -> TargetField:
    return TargetField(name, required, type, synonyms, satisfied_by)


_EMAIL = _field(
    "email", "e-mail", "email address", "e-mail address", "mail", "эл. почта", "электронная почта", "почта",
    "емейл", "имейл", "ел. пошта", "електронна пошта", "пошта", "ایمیل", "پست الکترونیک", "پست الکترونیکی",
    "رایانامه", type="email",
)
_PHONE = _field(
    "phone", "phone number", "telephone", "tel", "mobile", "mobile phone", "cell", "phone no", "телефон",
    "тел.", "мобильный", "мобильный телефон", "номер телефона", "мобільний", "номер телефону", "تلفن",
    "شماره تلفن", "تلفن همراه", "موبایل", "شماره تماس", "همراه", type="phone",
)
_WEBSITE = _field(
    "website", "web", "site", "url", "web site", "homepage", "сайт", "веб-сайт", "وبسایت", "سایت",
)
_ADDRESS = _field("address", "street", "street address", "адрес", "адреса", "آدرس", "نشانی")
_CITY = _field("city", "town", "город", "місто", "شهر")
_COUNTRY = _field("country", "страна", "країна", "کشور")
_CURRENCY = _field("currency", "валюта", "واحد پول", "ارز")
_CONSENT = _field(
    "marketing_consent", "consent", "marketing", "subscribed", "newsletter", "opt in", "согласие", "подписка",
    "згода", "підписка", "رضایت", "اشتراک", type="bool",
)
_NOTES = _field(
    "notes", "note", "comment", "comments", "description", "details", "примечание", "комментарий", "описание",
    "примітка", "коментар", "опис", "یادداشت", "توضیحات", "شرح",
)
_SOURCE = _field("source", "lead source", "utm source", "источник", "джерело", "منبع")
_OWNER = _field(
    "owner", "responsible", "manager", "sales rep", "salesperson", "assigned to", "user", "ответственный",
    "менеджер", "відповідальний", "مسئول", "کارشناس", "کارشناس فروش",
)
_CONTACT = _field(
    "contact", "contact person", "контакт", "контактное лицо", "контактна особа", "مخاطب", "شخص تماس",
)
_CUSTOMER_REF = (
    "customer id", "customer name", "client", "client id", "account", "company", "buyer", "клиент",
    "код клиента", "покупатель", "компания", "клієнт", "код клієнта", "покупець", "компанія", "مشتری",
    "کد مشتری", "شناسه مشتری", "شرکت",
)

IMPORT_KINDS: dict[str, tuple[TargetField, ...]] = {
    "customers": (
        _field(
            "name", "customer", "customer name", "client", "client name", "company", "company name",
            "organisation", "organization", "account", "account name", "full name", "название",
            "наименование", "клиент", "покупатель", "компания", "организация", "название компании", "имя",
            "фио", "назва", "найменування", "клієнт", "покупець", "компанія", "організація", "назва компанії",
            "ім'я", "піб", "نام", "نام مشتری", "مشتری", "شرکت", "نام شرکت", "سازمان", required=True,
        ),
        _field("kind", "type", "customer type", "тип", "тип клиента", "тип клієнта", "نوع", "نوع مشتری"),
        _field(
            "legal_name", "legal name", "registered name", "юридическое название", "полное наименование",
            "юридична назва", "повна назва", "نام حقوقی", "نام ثبتی",
        ),
        _field(
            "registration_id", "registration number", "company number", "reg no", "огрн",
            "регистрационный номер", "єдрпоу", "код єдрпоу", "شماره ثبت", "شناسه ملی",
        ),
        _field("tax_id", "vat", "vat number", "tax number", "инн", "іпн", "کد اقتصادی", "شماره اقتصادی"),
        _EMAIL,
        _PHONE,
        _WEBSITE,
        _ADDRESS,
        _CITY,
        _COUNTRY,
        _field("industry", "sector", "отрасль", "сфера", "галузь", "صنعت", "حوزه فعالیت"),
        _field(
            "lifecycle_stage", "lifecycle", "stage", "status", "стадия", "статус", "етап", "стадія", "وضعیت",
            "مرحله",
        ),
        _SOURCE,
        _field(
            "external_ref", "id", "customer id", "client id", "customer no", "customer number",
            "account number", "code", "external id", "ref", "reference", "код", "код клиента",
            "номер клиента", "ид", "код клієнта", "номер клієнта", "شناسه", "کد", "کد مشتری", "شناسه مشتری",
            "شماره مشتری",
        ),
        _field("tags", "tag", "labels", "теги", "метки", "тег", "мітки", "برچسب", "برچسب ها"),
        _NOTES,
        _CONSENT,
        _CONTACT,
        _field("position", "job title", "должность", "посада", "سمت", "عنوان شغلی"),
    ),
    "contacts": (
        _field(
            "customer", "company", "company name", "customer name", "client", "organisation", "organization",
            "account", "компания", "клиент", "организация", "компанія", "клієнт", "організація", "شرکت",
            "مشتری", "سازمان", "نام شرکت", required=True,
        ),
        _field(
            "first_name", "first name", "given name", "forename", "имя", "ім'я", "نام", "نام کوچک",
            required=True, satisfied_by=("name",),
        ),
        _field("middle_name", "middle name", "patronymic", "отчество", "по батькові"),
        _field(
            "last_name", "last name", "surname", "family name", "фамилия", "прізвище", "نام خانوادگی",
            "فامیلی",
        ),
        _field(
            "name", "full name", "contact", "contact name", "person", "фио", "полное имя", "контакт",
            "контактное лицо", "піб", "повне ім'я", "контактна особа", "نام و نام خانوادگی", "نام کامل",
            "شخص",
        ),
        _field("position", "job title", "title", "role", "должность", "посада", "سمت", "عنوان شغلی"),
        _EMAIL,
        _PHONE,
        _field(
            "birthday", "birth date", "date of birth", "dob", "день рождения", "дата рождения",
            "день народження", "дата народження", "تاریخ تولد", "تولد", type="date",
        ),
        _NOTES,
        _CONSENT,
    ),
    "deals": (
        _field(
            "title", "deal", "deal name", "name", "subject", "opportunity", "сделка", "название",
            "название сделки", "угода", "назва", "назва угоди", "معامله", "عنوان", "نام معامله",
            required=True,
        ),
        _field("customer", *_CUSTOMER_REF, required=True),
        _CONTACT,
        _field(
            "amount", "value", "deal value", "sum", "total", "price", "сумма", "стоимость", "бюджет", "сума",
            "вартість", "مبلغ", "ارزش", "قیمت", type="decimal",
        ),
        _field(
            "cost", "costs", "себестоимость", "расходы", "собівартість", "витрати", "هزینه", "بهای تمام شده",
            type="decimal",
        ),
        _CURRENCY,
        _field("pipeline", "sales pipeline", "воронка", "воронка продаж", "воронка продажів", "قیف فروش"),
        _field("stage", "deal stage", "этап", "стадия", "етап", "стадія", "مرحله"),
        _field("status", "state", "статус", "состояние", "стан", "وضعیت"),
        _field("probability", "chance", "вероятность", "ймовірність", "احتمال", type="int"),
        _field(
            "expected_close_on", "expected close", "expected close date", "close date", "closing date",
            "дата закрытия", "планируемая дата закрытия", "дата закриття", "تاریخ بسته شدن", type="date",
        ),
        _field(
            "closed_on", "closed", "closed date", "date closed", "won date", "фактическая дата закрытия",
            "фактична дата закриття", "تاریخ بستن", type="date",
        ),
        _field(
            "lost_reason", "reason lost", "loss reason", "причина отказа", "причина проигрыша",
            "причина відмови", "دلیل از دست رفتن",
        ),
        _OWNER,
        _field(
            "external_ref", "id", "deal id", "external id", "ref", "reference", "код", "номер сделки",
            "номер угоди", "شناسه", "کد",
        ),
        _NOTES,
    ),
    "touchpoints": (
        _field("customer", *_CUSTOMER_REF, required=True),
        _field(
            "occurred_at", "date", "datetime", "date time", "time", "when", "occurred", "timestamp", "дата",
            "дата и время", "время", "дата і час", "час", "تاریخ", "زمان", "تاریخ و زمان",
            required=True, type="datetime",
        ),
        _field(
            "channel", "type", "activity type", "medium", "канал", "тип", "вид", "کانال", "نوع", "روش تماس",
        ),
        _field("direction", "inbound/outbound", "направление", "напрямок", "جهت"),
        _field("subject", "topic", "title", "тема", "заголовок", "موضوع", "عنوان"),
        _NOTES,
        _field("outcome", "result", "результат", "итог", "підсумок", "نتیجه"),
        _CONTACT,
        _field("deal", "opportunity", "сделка", "угода", "معامله"),
        _OWNER,
        _SOURCE,
    ),
    "transactions": (
        _field(
            "order", "order id", "order no", "order number", "invoice", "invoice no", "invoice number",
            "receipt", "заказ", "номер заказа", "счет", "номер счета", "чек", "замовлення",
            "номер замовлення", "рахунок", "номер рахунку", "سفارش", "شماره سفارش", "فاکتور", "شماره فاکتور",
        ),
        _field(
            "product", "sku", "stock code", "item code", "product code", "article", "артикул", "код товара",
            "код товару", "کد کالا", "کد محصول",
        ),
        _field(
            "product_name", "description", "item", "item name", "product name", "товар", "наименование",
            "наименование товара", "назва товару", "найменування", "نام کالا", "کالا", "محصول", "نام محصول",
            "شرح کالا",
        ),
        _field(
            "quantity", "qty", "count", "количество", "кол-во", "кількість", "تعداد", "مقدار", type="decimal",
        ),
        _field(
            "date", "invoice date", "order date", "transaction date", "datetime", "дата", "дата заказа",
            "дата замовлення", "تاریخ", "تاریخ فاکتور", required=True, type="datetime",
        ),
        _field(
            "unit_price", "price", "цена", "цена за единицу", "ціна", "ціна за одиницю", "قیمت", "قیمت واحد",
            "فی", type="decimal",
        ),
        _field(
            "amount", "total", "sum", "line total", "revenue", "сумма", "итого", "сума", "разом", "مبلغ",
            "جمع", "مبلغ کل", required=True, type="decimal", satisfied_by=("unit_price",),
        ),
        _CURRENCY,
        _field("customer", *_CUSTOMER_REF, required=True),
        _COUNTRY,
    ),
    "leads": (
        _field(
            "name", "full name", "contact", "contact name", "lead", "lead name", "имя", "фио", "контакт",
            "лид", "ім'я", "піб", "лід", "نام", "نام و نام خانوادگی", "سرنخ",
        ),
        _EMAIL,
        _PHONE,
        _field(
            "company", "company name", "organisation", "organization", "business", "компания", "организация",
            "компанія", "організація", "شرکت", "نام شرکت", "سازمان",
        ),
        _field("position", "job title", "title", "должность", "посада", "سمت"),
        _field(
            "source", "lead source", "utm source", "channel", "источник", "канал", "джерело", "منبع", "کانال",
        ),
        _field("status", "stage", "статус", "этап", "етап", "وضعیت"),
        _field(
            "value", "amount", "budget", "deal value", "estimated value", "сумма", "бюджет", "сума", "مبلغ",
            "بودجه", type="decimal",
        ),
        _CITY,
        _COUNTRY,
        _WEBSITE,
        _field(
            "created_at", "created", "date", "created on", "date created", "дата", "дата создания",
            "дата створення", "تاریخ", "تاریخ ایجاد", type="datetime",
        ),
        _NOTES,
        _CONSENT,
        _field(
            "outcome", "result", "converted", "purchase", "purchased", "won", "результат", "итог", "покупка",
            "підсумок", "نتیجه", "خرید",
        ),
        _field("external_ref", "id", "lead id", "external id", "ref", "reference", "код", "شناسه"),
    ),
}

_FOLD = str.maketrans({"ё": "е", "ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه"})


def header_key(text: str) -> str:
    """The form headers are compared in: case, spacing, punctuation and Arabic/Persian letter forms folded."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    return "".join(ch for ch in folded if ch.isalnum())


def resolve_mapping(
    kind: str,
    headers: Sequence[str],
    explicit: Mapping[str, str | None] | None = None,
) -> ColumnMapping:
    """Map the file's ``headers`` to the fields of ``kind``.

    ``explicit`` (field -> column, e.g. from ``parse_mapping_args``) wins over recognition; an empty or None
    column keeps the field unmapped. Raises MappingError for an unknown kind, field or column.
    """
    if kind not in IMPORT_KINDS:
        raise MappingError(f"unknown import kind {kind!r}; kinds: {', '.join(IMPORT_KINDS)}")
    targets = IMPORT_KINDS[kind]
    names = [target.name for target in targets]
    fields: dict[str, str] = {}
    declined: set[str] = set()
    for field, column in (explicit or {}).items():
        if field not in names:
            raise MappingError(f"unknown field {field!r} for {kind}; fields: {', '.join(names)}")
        if column is None or not column.strip():
            declined.add(field)
        else:
            fields[field] = _find_column(field, column, headers)

    used = set(fields.values())
    by_key: dict[str, list[str]] = {}
    for header in headers:
        by_key.setdefault(header_key(header), []).append(header)
    for target in targets:
        if target.name in fields or target.name in declined:
            continue
        for key in _keys(target):
            column = next((header for header in by_key.get(key, ()) if header not in used), None)
            if column is not None:
                fields[target.name] = column
                used.add(column)
                break

    ordered = {name: fields[name] for name in names if name in fields}
    missing = tuple(
        target.name
        for target in targets
        if target.required
        and target.name not in fields
        and not any(alternative in fields for alternative in target.satisfied_by)
    )
    unmapped = tuple(header for header in headers if header not in used)
    return ColumnMapping(kind, ordered, unmapped, missing)


def parse_mapping_args(items: Iterable[str]) -> dict[str, str]:
    """Read ``field=Column`` strings (as typed on a command line or form) into an explicit mapping."""
    mapping: dict[str, str] = {}
    for item in items:
        field, sep, column = item.partition("=")
        if not sep or not field.strip():
            raise MappingError(f"expected field=Column, got {item!r}")
        mapping[field.strip()] = column.strip()
    return mapping


def _keys(target: TargetField) -> list[str]:
    keys: list[str] = []
    for text in (target.name, *target.synonyms):
        key = header_key(text)
        if key not in keys:
            keys.append(key)
    return keys


def _find_column(field: str, column: str, headers: Sequence[str]) -> str:
    if column in headers:
        return column
    matches = [header for header in headers if header_key(header) == header_key(column)]
    if len(matches) == 1:
        return matches[0]
    raise MappingError(
        f"column {column!r} given for {field} is not in the file; columns: {', '.join(headers)}"
    )
