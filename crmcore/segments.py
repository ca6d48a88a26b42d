"""Segments: named sets of customers any plugin can contribute and any plugin can target."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Select, func, select

from crmcore.errors import NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crmcore.runtime import CRM


@dataclass(frozen=True)
class Segment:
    """``key`` is stable and namespaced (``abc:class-a``); ``query`` returns a SELECT of customer ids."""

    key: str
    title: str
    query: Callable[[], Select]
    description: str = ""
    plugin: str = ""


class SegmentRegistry:
    def __init__(self, crm: CRM) -> None:
        self.crm = crm

    def all(self) -> dict[str, Segment]:
        found: dict[str, Segment] = {}
        for contributed in self.crm.hook.segments(crm=self.crm):
            for segment in contributed or []:
                found[segment.key] = segment
        return found

    def get(self, key: str) -> Segment:
        try:
            return self.all()[key]
        except KeyError:
            raise NotFound(f"No segment {key!r} (is the plugin that offers it enabled?).") from None

    def customer_ids(self, *keys: str) -> Select:
        """The union of the given segments, as a SELECT of distinct customer ids usable in a subquery."""
        if not keys:
            raise NotFound("Choose at least one segment.")
        queries = [self.get(key).query() for key in keys]
        if len(queries) == 1:
            return queries[0]
        union = queries[0].union(*queries[1:]).subquery()
        return select(union.c[0])

    def count(self, session: Session, *keys: str) -> int:
        subquery = self.customer_ids(*keys).subquery()
        return session.scalar(select(func.count()).select_from(subquery)) or 0
