"""``crm leadscoring train`` and ``crm leadscoring rescore``."""

from __future__ import annotations

import click

from crm_leadscoring.services import rescore_all, train_model
from crmcore.cli import echo_json, handle_errors, pass_context


@click.group("leadscoring")
def leadscoring() -> None:
    """Lead scores: train the model, rescore every lead."""


@leadscoring.command("train")
@click.option("--kind", type=click.Choice(["logistic", "naive_bayes"]), default=None,
              help="Model kind (default: the plugin setting).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_context
@handle_errors
def train(ctx: object, kind: str | None, as_json: bool) -> None:
    """Learn from won and lost deals, report the held-out AUC, and rescore every lead."""
    status = train_model(ctx.crm, kind)
    status["scored"] = rescore_all(ctx.crm)
    if as_json:
        echo_json(status)
    elif status["status"] == "trained":
        click.echo(f"Trained a {status['kind']} model on {status['n_leads']} leads: held-out AUC "
                   f"{status['auc']:.3f}. Rescored {status['scored']} leads.")
    else:
        click.echo(f"{status['message']}. Scores come from the rules; rescored {status['scored']} leads.")


@leadscoring.command("rescore")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_context
@handle_errors
def rescore(ctx: object, as_json: bool) -> None:
    """Score every lead and prospect now."""
    scored = rescore_all(ctx.crm)
    if as_json:
        echo_json({"scored": scored})
    else:
        click.echo(f"Rescored {scored} leads.")
