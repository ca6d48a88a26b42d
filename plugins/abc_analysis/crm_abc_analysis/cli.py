"""``crm abc run``."""

from __future__ import annotations

from datetime import date, datetime

import click

from crm_abc_analysis.services import RunRequest, run_analysis, run_as_dict
from crmcore.cli import echo_json, handle_errors, pass_context


def _date(value: datetime | None) -> date | None:
    return value.date() if value else None


@click.group("abc")
def abc() -> None:
    """ABC(D), RFM and ABC-XYZ analysis of customers and products."""


@abc.command("run")
@click.option("--by", "basis", type=click.Choice(["revenue", "profit"]), default=None,
              help="Rank by net revenue or by gross profit (default: the plugin setting).")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (default: 12 months back).")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_context
@handle_errors
def run(ctx: object, basis: str | None, start: datetime | None, end: datetime | None, as_json: bool) -> None:
    """Classify customers and products and keep the result as a dated snapshot."""
    result = run_as_dict(run_analysis(ctx.crm, RunRequest(basis=basis, start=_date(start), end=_date(end))))
    if as_json:
        echo_json(result)
        return
    click.echo(f"ABC run {result['run_id']} by {result['by']}, {result['start']} to {result['end']}: "
               f"{result['customers']} customers")
    for cls, figures in result["classes"].items():
        share = figures["share"]
        click.echo(f"  {cls}: {figures['count']} customers, "
                   f"{'-' if share is None else f'{share:.1%}'} of the value")
    if result["top20_share"] is not None:
        click.echo(f"The top 20% of customers bring {result['top20_share']:.1%} of the value.")
