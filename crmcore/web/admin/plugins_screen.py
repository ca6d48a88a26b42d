"""Plugins (admin only): every installed plugin with its switch and its settings form, generated from the
plugin's marshmallow settings schema."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from marshmallow import fields, validate

from crmcore.errors import CRMError, ValidationFailed
from crmcore.normalize import normalize_digits
from crmcore.web.admin.base import SecureView, crm_runtime, flatten_errors


def setting_inputs(schema: Any, values: dict[str, Any]) -> list[dict[str, Any]]:
    """Describe one HTML input per schema field: its kind, current value, choices and limits."""
    inputs = []
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        spec: dict[str, Any] = {"name": name, "label": field.metadata.get("title") or name.replace("_", " "),
                                "help": field.metadata.get("description", ""), "value": values.get(name),
                                "kind": "text", "choices": None, "min": None, "max": None}
        validators = field.validators if isinstance(field.validators, list | tuple) else [field.validators]
        for validator in validators:
            if isinstance(validator, validate.OneOf):
                spec["kind"] = "select"
                spec["choices"] = [str(choice) for choice in validator.choices]
            elif isinstance(validator, validate.Range):
                spec["min"], spec["max"] = validator.min, validator.max
        if isinstance(field, fields.Boolean):
            spec["kind"] = "checkbox"
        elif isinstance(field, fields.Number) and spec["kind"] != "select":
            spec["kind"] = "number"
        elif isinstance(field, fields.List):
            spec["kind"] = "list"
            spec["value"] = ", ".join(str(item) for item in (values.get(name) or []))
        inputs.append(spec)
    return inputs


def form_settings(schema: Any, form: Any) -> dict[str, Any]:
    """Turn the submitted form back into the schema's input (checkboxes, lists, Persian digits)."""
    data: dict[str, Any] = {}
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        if isinstance(field, fields.Boolean):
            data[name] = form.get(name) == "on"
            continue
        raw = form.get(name)
        if raw is None:
            continue
        if isinstance(field, fields.Number):
            raw = normalize_digits(raw).strip()
            if raw == "":
                continue
        if isinstance(field, fields.List):
            data[name] = [part.strip() for part in raw.split(",") if part.strip()]
            continue
        data[name] = raw
    return data


class PluginsView(SecureView):
    area = "plugins"

    def _render(self, errors: dict[str, dict[str, list[str]]] | None = None,
                submitted: dict[str, dict[str, Any]] | None = None, status: int = 200) -> Any:
        crm = crm_runtime()
        plugins = []
        for info in crm.plugins.describe():
            plugin = crm.plugins.get(info["name"])
            values = (submitted or {}).get(plugin.name) or crm.plugins.settings(plugin.name)
            plugins.append({**info, "inputs": setting_inputs(plugin.settings(), values),
                            "errors": (errors or {}).get(plugin.name, {})})
        return self.render("crm/plugins.html", plugins=plugins), status

    @expose("/")
    def index(self) -> Any:
        return self._render()

    @expose("/<plugin_name>/switch", methods=("POST",))
    def switch(self, plugin_name: str) -> Any:
        name = plugin_name
        crm = crm_runtime()
        wanted = request.form.get("enabled") == "1"
        try:
            plugin = crm.plugins.get(name)
            if wanted:
                applied = crm.plugins.enable(name)
                message = gettext("%(title)s is on.", title=plugin.title)
                if applied:
                    message += " " + gettext("Migrations applied: %(steps)s.", steps=", ".join(applied))
                flash(message, "success")
            else:
                crm.plugins.disable(name)
                flash(gettext("%(title)s is off; its data is kept.", title=plugin.title), "success")
        except CRMError as exc:
            flash(exc.message, "error")
        return redirect(url_for(".index") + f"#plugin-{name}")

    @expose("/<plugin_name>/settings", methods=("POST",))
    def settings(self, plugin_name: str) -> Any:
        name = plugin_name
        crm = crm_runtime()
        try:
            plugin = crm.plugins.get(name)
        except CRMError as exc:
            flash(exc.message, "error")
            return redirect(url_for(".index"))
        data = form_settings(plugin.settings(), request.form)
        try:
            crm.plugins.save_settings(name, data)
        except ValidationFailed as exc:
            flash(gettext("The settings of %(title)s were not saved.", title=plugin.title), "error")
            return self._render(errors={name: flatten_errors(exc.errors)}, submitted={name: data}, status=422)
        flash(gettext("Settings of %(title)s saved.", title=plugin.title), "success")
        return redirect(url_for(".index") + f"#plugin-{name}")
