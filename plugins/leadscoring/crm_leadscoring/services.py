"""Scoring leads in bulk or a few at a time, training the model, and reading scores."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm_leadscoring import columns as cols
from crm_leadscoring.models import LeadModel, LeadScore
from crm_leadscoring.predictive import InsufficientHistory, LeadScoringModel, train
from crm_leadscoring.rules import RuleSet
from crm_leadscoring.scoring import ScoredChunk, ScoringConfig, score_chunk
from crmcore.models import Customer

if TYPE_CHECKING:
    from crmcore.runtime import CRM

PLUGIN = "leadscoring"
TRAINED = "trained"
TOO_LITTLE_HISTORY = "too_little_history"
CHUNK_SIZE = 50_000
WRITE_BATCH = 5_000


# -- configuration -----------------------------------------------------------------------------------------


def current_model_row(session: Session) -> LeadModel | None:
    """The newest training attempt (a trained model or the too-little-history record), or None."""
    return session.scalars(select(LeadModel).order_by(LeadModel.id.desc()).limit(1)).first()


_parsed_models: dict[int, LeadScoringModel] = {}


def _current_model(session: Session) -> LeadScoringModel | None:
    """The trained model in use, parsed once per process and kept while it stays the newest record."""
    latest = session.execute(select(LeadModel.id, LeadModel.status).order_by(LeadModel.id.desc()).limit(1)).first()
    if latest is None or latest.status != TRAINED:
        return None
    if latest.id not in _parsed_models:
        text = session.scalar(select(LeadModel.model).where(LeadModel.id == latest.id))
        if not text:
            return None
        _parsed_models.clear()
        _parsed_models[latest.id] = LeadScoringModel.from_json(text)
    return _parsed_models[latest.id]


def scoring_config(crm: CRM, session: Session) -> ScoringConfig:
    settings = crm.plugins.settings(PLUGIN)
    rules = RuleSet.from_dict(settings["rules"])
    model = _current_model(session) if settings["mode"] != "rules" else None
    weight = {"rules": 0.0, "replace": 1.0}.get(settings["mode"], settings["model_weight"] / 100.0)
    return ScoringConfig(rules=rules, model=model, weight=weight)


# -- scoring -----------------------------------------------------------------------------------------------


@functools.cache
def _upsert_statement(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (customer_id) DO UPDATE, built once per dialect."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(LeadScore.__table__)
    return statement.on_conflict_do_update(
        index_elements=[LeadScore.customer_id],
        set_={name: statement.excluded[name] for name in
              ("score", "grade", "rule_score", "model_score", "explanation", "scored_at")})


def _upsert(session: Session, scored: ScoredChunk, now: datetime) -> None:
    statement = _upsert_statement(session.get_bind().dialect.name)
    model = scored.model_score.tolist() if scored.model_score is not None else [None] * len(scored.ids)
    rows = [{"customer_id": cid, "score": round(score, 2), "grade": grade, "rule_score": round(rule, 2),
             "model_score": None if m is None else round(m, 2), "explanation": explanation, "scored_at": now}
            for cid, score, grade, rule, m, explanation in zip(
                scored.ids.tolist(), scored.score.tolist(), scored.grade.tolist(), scored.rule_score.tolist(),
                model, scored.explanations, strict=True)]
    for start in range(0, len(rows), WRITE_BATCH):
        session.execute(statement, rows[start:start + WRITE_BATCH])


def _score(crm: CRM, session: Session, config: ScoringConfig, chunk: cols.LeadChunk, now: datetime) -> ScoredChunk:
    lookback = config.lookback_days()
    parts = []
    if lookback and config.wants("touchpoint"):
        parts.append(cols.touchpoint_events(session, chunk, now, lookback))
    if lookback and (config.wants("email_open") or config.wants("email_click")):
        parts.append(cols.email_events(crm, session, chunk, now, lookback))
    events = cols.merge_events(*parts) if parts else cols.empty_events()
    return score_chunk(config, chunk, events)


def rescore_all(crm: CRM, chunk_size: int = CHUNK_SIZE) -> int:
    """Score every lead and prospect, a chunk per transaction; drop the scores of those no longer leads."""
    now = datetime.now(UTC)
    with crm.db.session() as session:
        config = scoring_config(crm, session)
        fields = config.fields()
    total = 0
    last = 0
    while True:
        with crm.db.session() as session:
            chunk = next(cols.lead_chunks(session, fields, chunk_size, after=last), None)
            if chunk is None or not len(chunk):
                break
            _upsert(session, _score(crm, session, config, chunk, now), now)
        total += len(chunk)
        last = int(chunk.ids[-1])
        if len(chunk) < chunk_size:
            break
    with crm.db.session() as session:
        session.execute(delete(LeadScore).where(LeadScore.scored_at < now))
    return total


def rescore(crm: CRM, customer_ids: Sequence[int]) -> int:
    """Score these customers now if they are leads or prospects; forget the score of any that no longer is."""
    ids = sorted({int(i) for i in customer_ids})
    if not ids:
        return 0
    now = datetime.now(UTC)
    scored = 0
    with crm.db.session() as session:
        config = scoring_config(crm, session)
        kept: set[int] = set()
        for chunk in cols.lead_chunks(session, config.fields(), CHUNK_SIZE, customer_ids=ids):
            _upsert(session, _score(crm, session, config, chunk, now), now)
            kept.update(chunk.ids.tolist())
            scored += len(chunk)
        gone = [i for i in ids if i not in kept]
        if gone:
            session.execute(delete(LeadScore).where(LeadScore.customer_id.in_(gone)))
    return scored


# -- training ----------------------------------------------------------------------------------------------


def _custom_columns(records: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """One column per custom field key; a key whose every present value reads as a number becomes numeric."""
    keys = list(dict.fromkeys(key for record in records for key in record))
    result = {}
    for key in keys:
        values = [record.get(key) for record in records]
        present = [v for v in values if v is not None and v != ""]
        if present and all(isinstance(v, bool) for v in present):
            column = np.array([np.nan if v is None else float(v) for v in values])
        else:
            try:
                column = np.array([np.nan if v is None or v == "" else float(v) for v in values])
            except (TypeError, ValueError):
                column = np.array([None if v is None else str(v) for v in values], dtype=object)
        result[f"{cols.CUSTOM_PREFIX}{key}"] = column
    return result


def train_model(crm: CRM, kind: str | None = None) -> dict[str, Any]:
    """Learn from customers with closed deals (won if any deal was won) and store the result as the current model.

    With too little history the record says so and the scores fall back to the rules.
    """
    settings = crm.plugins.settings(PLUGIN)
    kind = kind or settings["model_kind"]
    if kind not in ("logistic", "naive_bayes"):
        from crmcore.errors import ValidationFailed

        raise ValidationFailed({"kind": ["Choose logistic or naive_bayes."]})
    with crm.db.session() as session:
        _ids, won, custom, core = cols.decided_leads(session)
    rows: dict[str, Any] = {name: column for name, column in core.items()}
    rows.update(_custom_columns(custom))
    rows = {name: column for name, column in rows.items() if _informative(column)}
    record = LeadModel(kind=kind, n_leads=int(won.size), n_won=int(won.sum()), n_lost=int(won.size - won.sum()))
    try:
        if not rows:
            raise InsufficientHistory(int(won.size), record.n_won, record.n_lost, settings["min_leads"], 10)
        model = train(rows, won, kind=kind, min_leads=settings["min_leads"])
    except InsufficientHistory as exc:
        record.status, record.message = TOO_LITTLE_HISTORY, str(exc)
    else:
        record.status, record.auc, record.model = TRAINED, model.auc, model.to_json()
        record.message = None
    with crm.db.session() as session:
        session.add(record)
    return model_status(record)


def _informative(column: np.ndarray) -> bool:
    """A column with at least two distinct present values."""
    values = {v for v in column.tolist() if v is not None and not (isinstance(v, float) and math.isnan(v))}
    return len(values) > 1


def model_status(record: LeadModel | None) -> dict[str, Any]:
    if record is None:
        return {"status": "not_trained", "auc": None, "n_leads": 0, "kind": None, "trained_at": None,
                "message": "No model has been trained yet; scores come from the rules."}
    return {"status": record.status, "auc": record.auc, "n_leads": record.n_leads, "n_won": record.n_won,
            "n_lost": record.n_lost, "kind": record.kind, "trained_at": record.trained_at.isoformat(),
            "message": record.message}


# -- reading -----------------------------------------------------------------------------------------------


def call_next(session: Session, after: tuple[float, int] | None = None, limit: int = 50,
              grade: str | None = None, owner_id: int | None = None) -> list[tuple[LeadScore, str]]:
    """Leads by score, best first, keyset-paginated on (score, customer id): pass the last row's pair as after."""
    query = (select(LeadScore, Customer.name).join(Customer, Customer.id == LeadScore.customer_id)
             .order_by(LeadScore.score.desc(), LeadScore.customer_id.desc()).limit(limit))
    if after is not None:
        score, customer_id = after
        query = query.where((LeadScore.score < score)
                            | ((LeadScore.score == score) & (LeadScore.customer_id < customer_id)))
    if grade:
        query = query.where(LeadScore.grade == grade)
    if owner_id is not None:
        query = query.where(Customer.owner_id == owner_id)
    return [(row, name) for row, name in session.execute(query).all()]


def lead_score(session: Session, customer_id: int) -> LeadScore | None:
    return session.get(LeadScore, customer_id)


def save_rules(crm: CRM, rules: dict[str, Any]) -> dict[str, Any]:
    """Validate and store the admin's rules (as JSON in the plugin settings); rescoring follows separately."""
    settings = crm.plugins.settings(PLUGIN)
    settings["rules"] = rules
    return crm.plugins.save_settings(PLUGIN, settings)
