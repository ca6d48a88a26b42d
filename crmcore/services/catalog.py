from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from crmcore import policy
from crmcore.errors import ValidationFailed
from crmcore.models import Product, User
from crmcore.schemas import ProductSchema
from crmcore.services.base import Service, Transaction, apply_changes, audit


class ProductService(Service):
    schema = ProductSchema()

    def create(self, data: Mapping[str, Any], actor: User | None = None, tx: Transaction | None = None) -> Product:
        policy.require(actor, "catalog")
        values = self.validate(self.schema, data)
        with self.transaction(tx) as t:
            if t.session.scalar(select(Product.id).where(Product.sku == values["sku"])):
                raise ValidationFailed({"sku": ["A product with this SKU exists."]})
            product = Product(**values)
            t.session.add(product)
            t.session.flush()
            audit(t.session, actor, "product", product.id, "create", {"sku": [None, product.sku]})
        return product

    def update(self, product_id: int, data: Mapping[str, Any], actor: User | None = None) -> Product:
        policy.require(actor, "catalog")
        values = self.validate(self.schema, data, partial=True)
        with self.transaction() as t:
            product = self.fetch(t.session, Product, product_id, "product")
            changes = apply_changes(product, values)
            if changes:
                audit(t.session, actor, "product", product.id, "update", changes)
        return product
