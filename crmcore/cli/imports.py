"""``crm import KIND FILE``: the same import as the admin screen and the API, from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from crmcore.cli import Context, echo_json, handle_errors, pass_context
from crmcore.importing import IMPORT_KINDS, ON_DUPLICATE, ImportReport, run_import


def describe(kind: str, report: ImportReport) -> str:
    """One paragraph a person reads after an import: what was (or, in a dry run, would be) done."""
    counts = report.counts
    verb = "would be" if report.dry_run else "were"
    if kind == "transactions":
        text = (f"Read {report.read} rows: {report.created} orders {verb} imported as won deals "
                f"({counts.get('refunds', 0)} refunds, {counts.get('lines_imported', 0)} lines); "
                f"{counts.get('customers_created', 0)} customers and {counts.get('products_created', 0)} products "
                f"{verb} created; {report.skipped} orders already imported {verb} skipped; "
                f"{report.failed} rows failed.")
    else:
        text = (f"Read {report.read} rows: {report.created} {verb} created, {report.updated} updated, "
                f"{report.skipped} skipped as duplicates, {report.failed} failed.")
    if report.dry_run:
        text = "Dry run, nothing was written. " + text
    return text


def register(main: click.Group) -> None:
    @main.command("import")
    @click.argument("kind", type=click.Choice(list(IMPORT_KINDS)))
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--map", "mapping", multiple=True, metavar="FIELD=COLUMN",
                  help="Map a field to a column of the file; repeatable. Other columns are recognised by header.")
    @click.option("--dry-run", is_flag=True, help="Check the file and count what would happen; write nothing.")
    @click.option("--on-duplicate", type=click.Choice(ON_DUPLICATE), default="skip", show_default=True,
                  help="What to do with a record that already exists (or repeats in the file).")
    @click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write the rows that failed (row, column, reason) to this CSV file.")
    @click.option("--day-first", is_flag=True, help="Dates are written day first (31/12/2024).")
    @click.option("--decimal-comma", is_flag=True, help="Numbers are written with a decimal comma (1234,50).")
    @click.option("--encoding", help="The file's text encoding, when detection guesses wrong.")
    @click.option("--delimiter", help="The CSV delimiter, when detection guesses wrong.")
    @click.option("--sheet", help="The XLSX worksheet to read.")
    @click.option("--create-custom-fields/--no-custom-fields", default=None,
                  help="Turn columns no field uses into custom fields (customers; on by default for leads).")
    @click.option("--won-value", help="Leads: the value of the outcome column that means won.")
    @click.option("--as-user", "email", help="Import as this user (owner of what is created).")
    @click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
    @pass_context
    @handle_errors
    def import_command(obj: Context, kind: str, file: Path, mapping: tuple[str, ...], dry_run: bool,
                       on_duplicate: str, report_path: Path | None, day_first: bool, decimal_comma: bool,
                       encoding: str | None, delimiter: str | None, sheet: str | None,
                       create_custom_fields: bool | None, won_value: str | None, email: str | None,
                       as_json: bool) -> None:
        """Import customers, contacts, deals, touchpoints, transactions or leads from a CSV or XLSX FILE."""
        options: dict[str, object] = {"day_first": day_first}
        if create_custom_fields is not None:
            options["create_custom_fields"] = create_custom_fields
        for key, value in (("encoding", encoding), ("delimiter", delimiter), ("sheet", sheet),
                           ("won_value", won_value), ("decimal_separator", "," if decimal_comma else None)):
            if value:
                options[key] = value
        actor = obj.crm.services.users.by_email(email) if email else None
        report = run_import(obj.crm, kind, file, list(mapping), dry_run=dry_run, on_duplicate=on_duplicate,
                            actor=actor, report_path=report_path, options=options)
        if as_json:
            echo_json({"dry_run": report.dry_run, **report.summary()})
        else:
            click.echo(describe(kind, report))
        if report_path is not None and (report.errors or report.errors_omitted):
            click.echo(f"The rows that failed are listed in {report_path}.")
