"""``crm clv fit`` and ``crm clv score``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from crm_clv.service import ClvService
from crmcore.cli import echo_json, handle_errors, pass_context


def _date(_ctx: Any, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 1997-09-30.", param=param) from None


@click.group("clv")
def clv() -> None:
    """Customer lifetime value: fit the models, score the customers."""


@clv.command("fit")
@click.option("--end", callback=_date, help="Last day of the calibration period (default: newest purchase minus "
              "the hold-out weeks of the settings).")
@click.option("--holdout-end", callback=_date, help="Last day of the hold-out check (default: newest purchase).")
@click.option("--sample", type=click.IntRange(min=2), help="Customers drawn at random to estimate the parameters.")
@click.option("--seed", type=int, help="Seed of the random sample.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_context
@handle_errors
def fit(obj: Any, end: dt.date | None, holdout_end: dt.date | None, sample: int | None, seed: int | None,
        as_json: bool) -> None:
    """Fit BG/NBD and Gamma-Gamma on the won deals and store the model."""
    result = ClvService(obj.crm).fit(end=end, holdout_end=holdout_end, sample=sample, seed=seed)
    if as_json:
        echo_json(result.to_dict())
        return
    bg, gg = result.bgnbd, result.gamma_gamma
    click.echo(f"Fitted model {result.model_id} on {result.sample_size} of {result.customers} customers "
               f"up to {result.calibration_end.isoformat()}.")
    click.echo(f"BG/NBD r={bg.r:.4g} alpha={bg.alpha:.4g} a={bg.a:.4g} b={bg.b:.4g} "
               f"log-likelihood={bg.log_likelihood:.1f}")
    click.echo(f"Gamma-Gamma p={gg.p:.4g} q={gg.q:.4g} gamma={gg.gamma:.4g} "
               f"log-likelihood={gg.log_likelihood:.2f} ({gg.n_customers} repeat buyers)")
    if result.tracking:
        t = result.tracking
        click.echo(f"Hold-out ({t['holdout_weeks']:g} weeks): predicted {t['predicted']:.0f} repeat purchases, "
                   f"actual {t['actual']}.")


@clv.command("score")
@click.option("--as-of", callback=_date, help="Score as of this day (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_context
@handle_errors
def score(obj: Any, as_of: dt.date | None, as_json: bool) -> None:
    """Write every buyer's P(active), expected purchases and CLV with the newest model."""
    result = ClvService(obj.crm).score(as_of=as_of)
    if as_json:
        echo_json(result.to_dict())
        return
    click.echo(f"Scored {result.customers} customers with model {result.model_id}; {result.at_risk} at risk; "
               f"{result.tasks_created} tasks created.")
