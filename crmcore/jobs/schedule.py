from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Schedule:
    """A periodic job: ``func`` is ``"package.module:function"`` called as ``function(crm, **kwargs)``.

    Give ``cron`` (``"0 3 * * *"``, server time) or ``interval`` in seconds.
    """

    name: str
    func: str
    cron: str | None = None
    interval: int | None = None
    queue: str = "low"
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.cron is None) == (self.interval is None):
            raise ValueError(f"schedule {self.name!r}: give exactly one of cron or interval")
