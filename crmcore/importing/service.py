"""``run_import``: one entry point for the CLI, the admin screen, the API and background jobs."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, BinaryIO

from crmcore import policy
from crmcore.errors import ValidationFailed
from crmcore.importing.mapping import IMPORT_KINDS, MappingError, parse_mapping_args, resolve_mapping
from crmcore.importing.reader import ImportFileError, open_table
from crmcore.importing.report import ImportReport

if TYPE_CHECKING:
    from crmcore.models import User
    from crmcore.runtime import CRM

ON_DUPLICATE = ("skip", "update", "create")
#: Options a caller may pass, with what they mean (the CLI and the screens offer the same ones).
OPTIONS = {
    "encoding": "text encoding of a CSV file (detected when absent)",
    "delimiter": "CSV delimiter (detected when absent)",
    "sheet": "XLSX worksheet name (the active one when absent)",
    "day_first": "dates written day first (31/12/2024) rather than month first",
    "decimal_separator": "',' when numbers are written 1234,50",
    "batch_size": "records written per transaction",
    "create_custom_fields": "turn columns no field uses into custom fields (customers; on by default for leads)",
    "won_value": "leads: the outcome value that means the lead was won",
    "name": "the file name shown in messages",
}


@contextmanager
def application_frozen() -> Iterator[None]:
    """Keep the objects that exist before an import out of the garbage collector's full passes while it runs.

    An import makes objects by the million, and every few thousand rows a full pass walked each object of the
    loaded application again (about 150 ms with every plugin enabled): a sixth of the import's CPU. The objects
    go back to the collector when the import ends, so nothing is kept longer than it would have been. A process
    that freezes objects itself (a server preloading the application before it forks) is left to its own policy.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _explicit(mapping: Mapping[str, str | None] | Iterable[str] | None) -> dict[str, str | None] | None:
    if mapping is None:
        return None
    if isinstance(mapping, Mapping):
        return dict(mapping)
    return dict(parse_mapping_args(mapping))


def run_import(
    crm: CRM,
    kind: str,
    source: str | os.PathLike[str] | BinaryIO,
    mapping: Mapping[str, str | None] | Iterable[str] | None = None,
    *,
    dry_run: bool = False,
    on_duplicate: str = "skip",
    actor: User | None = None,
    report_path: str | os.PathLike[str] | None = None,
    options: Mapping[str, Any] | None = None,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import a CSV/XLSX file of ``kind`` (customers, contacts, deals, touchpoints, transactions, leads).

    ``mapping`` maps fields to the file's columns (``{"customer": "CustomerID"}`` or ``["customer=CustomerID"]``);
    columns it leaves out are recognised from their headers. Every good row is imported and every bad one is
    reported (row, column, reason) in the returned report, also written as CSV to ``report_path``. A dry run
    writes nothing and reports what would happen. Refuses (ValidationFailed) a file that cannot be read or a
    mapping that leaves a required field without a column, before anything is written.
    """
    policy.require(actor, "customers")
    options = dict(options or {})
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ValidationFailed({"options": [f"Unknown option {', '.join(unknown)}; options: {', '.join(OPTIONS)}."]})
    if kind not in IMPORT_KINDS:
        raise ValidationFailed({"kind": [f"Unknown import kind {kind!r}; kinds: {', '.join(IMPORT_KINDS)}."]})
    if on_duplicate not in ON_DUPLICATE:
        raise ValidationFailed({"on_duplicate": [f"Choose one of {', '.join(ON_DUPLICATE)}."]})
    report = ImportReport(dry_run=dry_run)
    try:
        explicit = _explicit(mapping)
        with open_table(source, name=options.get("name"), encoding=options.get("encoding"),
                        delimiter=options.get("delimiter"), sheet=options.get("sheet")) as table:
            resolved = resolve_mapping(kind, table.headers, explicit)
            if resolved.missing:
                raise ValidationFailed({"mapping": [
                    f"No column for the required field {name}; map it with {name}=<column>. "
                    f"Columns: {', '.join(table.headers)}." for name in resolved.missing]})
            importer = _importer(crm, kind, resolved, report, actor=actor, dry_run=dry_run,
                                 on_duplicate=on_duplicate, options=options, progress=progress)
            with application_frozen():
                for row in table:
                    importer.feed(row)
                importer.finish()
    except ImportFileError as exc:
        raise ValidationFailed({"file": [str(exc)]}) from exc
    except MappingError as exc:
        raise ValidationFailed({"mapping": [str(exc)]}) from exc
    if report_path is not None:
        report.write_csv(report_path)
    return report


def _importer(crm: CRM, kind: str, mapping: Any, report: ImportReport, *, actor: User | None, dry_run: bool,
              on_duplicate: str, options: dict[str, Any], progress: Callable[[ImportReport], None] | None) -> Any:
    common = {"actor": actor, "dry_run": dry_run, "on_duplicate": on_duplicate, "progress": progress,
              "day_first": bool(options.get("day_first")), "decimal_separator": options.get("decimal_separator")}
    if options.get("batch_size"):
        common["batch_size"] = max(1, int(options["batch_size"]))
    if kind == "transactions":
        from crmcore.importing.transactions import TransactionImporter

        return TransactionImporter(crm, mapping, report, **common)
    from crmcore.importing.bulk import BULK_KINDS, BulkImporter
    from crmcore.importing.records import RecordImporter

    # A leads file is mostly attributes the scoring learns from, so its other columns are kept unless told not to.
    keep_columns = options.get("create_custom_fields", kind == "leads")
    importer = BulkImporter if kind in BULK_KINDS else RecordImporter
    return importer(crm, kind, mapping, report, create_custom_fields=bool(keep_columns),
                    won_value=options.get("won_value"), **common)
