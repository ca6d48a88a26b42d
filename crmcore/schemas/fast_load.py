"""Loading many flat records with one schema for about half of what ``Schema.load`` costs a record.

An import validates up to millions of rows with the services' schemas, and ``Schema.load`` spends about as long on
its own bookkeeping (an error store, a closure per field and record, the hook look-ups) as the fields spend
checking the values. ``FastLoader`` calls the schema's own field objects, ``@validates`` and ``@validates_schema``
methods in the order ``Schema.load`` does, so the rules stay the schema's alone. A record that fails anywhere,
and every record of a schema using what it does not replay (pre- or post-load hooks, ``many``, ``partial``,
unknown fields included or excluded, dotted attributes), goes to ``Schema.load`` itself: every error reported is
the schema's own. tests/importing/test_import_fast_load.py compares the two on many generated records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, missing
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA


class FastLoader:
    """``FastLoader(schema).load(data)`` returns what ``schema.load(data)`` returns and raises what it raises."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.replays = _replayable(schema)
        self._partial = {} if schema.partial is None else {"partial": schema.partial}
        #: (data key, attribute, field) of each field, in the schema's order.
        self._fields = [(field.data_key or name, field.attribute or name, field)
                        for name, field in schema.load_fields.items()]
        self._known = frozenset(key for key, _, _ in self._fields)
        self._field_validators: list[tuple[Callable[..., Any], str, str, str]] = []
        self._schema_validators: list[tuple[Callable[..., Any], bool]] = []
        if self.replays:
            self._collect_validators()

    def load(self, data: Mapping[str, Any]) -> dict[str, Any]:
        if not self.replays or not isinstance(data, Mapping) or not self._known.issuperset(data):
            return self.schema.load(data)
        try:
            return self._load(data)
        except ValidationError:
            return self.schema.load(data)

    def _load(self, data: Mapping[str, Any]) -> dict[str, Any]:
        result = self.schema.dict_class()
        for key, attribute, field in self._fields:
            value = field.deserialize(data.get(key, missing), key, data, **self._partial)
            if value is not missing:
                result[attribute] = value
        for validator, name, attribute, key in self._field_validators:
            if attribute in result and validator(result[attribute], data_key=key) is missing:
                result.pop(name, None)
        for validator, pass_original in self._schema_validators:
            arguments = (result, data) if pass_original else (result,)
            validator(*arguments, partial=self.schema.partial, many=False, unknown=self.schema.unknown)
        return result

    def _collect_validators(self) -> None:
        schema = self.schema
        for attr_name, _, options in schema._hooks[VALIDATES]:
            for name in options["field_names"]:
                field = schema.fields.get(name)
                if field is not None:
                    self._field_validators.append((getattr(schema, attr_name), name, field.attribute or name,
                                                   field.data_key or name))
                elif name not in schema.declared_fields:
                    self.replays = False  # Schema.load raises ValueError for it: let it
        # Schema.load runs the validators that take the whole collection first, then those per record.
        for whole_collection in (True, False):
            for attr_name, hook_many, options in schema._hooks[VALIDATES_SCHEMA]:
                if hook_many == whole_collection:
                    self._schema_validators.append((getattr(schema, attr_name),
                                                    bool(options.get("pass_original", False))))


def _replayable(schema: Schema) -> bool:
    return (not schema.many and schema.unknown == RAISE and schema.partial in (None, False)
            and not schema._hooks[PRE_LOAD] and not schema._hooks[POST_LOAD]
            and not any("." in (field.attribute or name) for name, field in schema.load_fields.items()))
