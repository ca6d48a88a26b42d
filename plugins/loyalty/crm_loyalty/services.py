"""The loyalty plugin's write path: enrol, earn, reverse, redeem, adjust, expire, move tiers, use codes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_loyalty.cards import generate_card_number, is_valid_card_number, normalize_card_number
from crm_loyalty.coupons import generate_coupon_code, normalize_coupon_code
from crm_loyalty.ledger import lock_member, lock_members, post, post_expiries
from crm_loyalty.models import (
    EntryKind,
    LedgerEntry,
    Lot,
    Member,
    Programme,
    Redemption,
    Reward,
    Tier,
    TierBasis,
    TierChange,
)
from crm_loyalty.points import EarningRules, earn_points, points_for_amount
from crmcore import policy
from crmcore.db import utcnow
from crmcore.errors import Conflict, NotFound, Refused, ValidationFailed
from crmcore.models import Contact, Customer, Deal, DealStatus, ImportantDate
from crmcore.normalize import searchable_phone
from crmcore.services.base import apply_changes, audit

if TYPE_CHECKING:
    from crmcore.models import User
    from crmcore.runtime import CRM

log = logging.getLogger(__name__)
ProgrammeItem = TypeVar("ProgrammeItem", Tier, Reward)
#: ``check(session, programme_id, values, record_id)`` refuses values a tier or reward may not take.
ItemCheck = Callable[[Session, int, dict[str, Any], int | None], None]

BIRTHDAY_LABELS = ("birthday", "date of birth", "birth date", "تولد", "день рождения", "день народження")


@dataclass(frozen=True)
class RedeemResult:
    redemption_id: int
    code: str
    reward: str
    points: int
    balance: int


class AdjustSchema(Schema):
    points = fields.Integer(required=True, strict=True,
                            validate=[validate.Range(min=-10_000_000, max=10_000_000),
                                      validate.NoneOf([0], error="Must not be zero.")])
    reason = fields.String(required=True, validate=validate.Length(min=3, max=300))


class RewardSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.String(load_default="coupon", validate=validate.OneOf(["coupon", "free_delivery", "gift"]))
    cost_points = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100_000_000))
    discount_percent = fields.Decimal(allow_none=True, validate=validate.Range(min=0, max=100))
    discount_amount = fields.Decimal(allow_none=True, validate=validate.Range(min=0))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    active = fields.Boolean(load_default=True)


class TierSchema(Schema):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,59}$",
                                                                 error="Lower-case letters, digits and dashes."))
    basis = fields.String(load_default="points", validate=validate.OneOf(["points", "spend"]))
    threshold = fields.Decimal(required=True, validate=validate.Range(min=0))
    multiplier = fields.Decimal(load_default=Decimal(1), validate=validate.Range(min=0, max=100))
    benefits = fields.String(load_default="", validate=validate.Length(max=2000))


def _load(schema: Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed(exc.normalized_messages()) from exc


class LoyaltyService:
    def __init__(self, crm: CRM) -> None:
        self.crm = crm

    @property
    def settings(self) -> dict[str, Any]:
        return self.crm.plugins.settings("loyalty")

    # -- programme, tiers and rewards ---------------------------------------------------------------

    def programme(self, session: Session) -> Programme:
        """The active programme, created with the defaults the first time it is needed."""
        programme = session.scalar(select(Programme).where(Programme.active.is_(True)).order_by(Programme.id))
        if programme is None:
            programme = Programme(name="Loyalty programme")
            session.add(programme)
            session.flush()
        return programme

    def configure(self, values: Mapping[str, Any], actor: User | None = None) -> Programme:
        """Change the earning rules (only the fields given)."""
        policy.require(actor, "settings")
        from crm_loyalty.settings import ProgrammeSchema

        errors: dict[str, Any] = {}
        try:
            data = ProgrammeSchema(partial=True).load(values)
        except ValidationError as exc:
            errors = exc.normalized_messages()
        segment = values.get("bonus_segment")
        if isinstance(segment, str) and segment and segment not in self.crm.segments.all():
            errors.setdefault("bonus_segment", []).append(
                f"No segment {segment!r} (is the plugin that offers it enabled?).")
        if errors:
            raise ValidationFailed(errors)
        if "bonus_segment" in data:
            data["bonus_segment"] = data["bonus_segment"] or None
        with self.crm.db.session() as session:
            programme = self.programme(session)
            changes = apply_changes(programme, data)
            if changes:
                audit(session, actor, "loyalty_programme", programme.id, "update", changes)
        return programme

    def tiers(self) -> list[Tier]:
        """The active programme's tiers, lowest threshold first."""
        with self.crm.db.session() as session:
            programme_id = self.programme(session).id
            return list(session.scalars(select(Tier).where(Tier.programme_id == programme_id)
                                        .order_by(Tier.basis, Tier.threshold, Tier.id)))

    def rewards(self) -> list[Reward]:
        """The active programme's rewards, cheapest first (inactive ones too)."""
        with self.crm.db.session() as session:
            programme_id = self.programme(session).id
            return list(session.scalars(select(Reward).where(Reward.programme_id == programme_id)
                                        .order_by(Reward.cost_points, Reward.id)))

    @staticmethod
    def _tier_name_free(session: Session, programme_id: int, values: dict[str, Any], tier_id: int | None) -> None:
        if "name" not in values:
            return
        taken = select(Tier.id).where(Tier.programme_id == programme_id, Tier.name == values["name"])
        if tier_id is not None:
            taken = taken.where(Tier.id != tier_id)
        if session.scalar(taken) is not None:
            raise ValidationFailed({"name": [f"A tier named {values['name']!r} exists."]})

    def _add(self, model: type[ProgrammeItem], entity: str, schema: Schema, data: Mapping[str, Any],
             actor: User | None, check: ItemCheck | None = None) -> ProgrammeItem:
        policy.require(actor, "settings")
        values = _load(schema, data)
        with self.crm.db.session() as session:
            programme_id = self.programme(session).id
            if check is not None:
                check(session, programme_id, values, None)
            record = model(programme_id=programme_id, **values)
            session.add(record)
            session.flush()
            audit(session, actor, entity, record.id, "create", values)
        return record

    def _update(self, model: type[ProgrammeItem], entity: str, schema: Schema, record_id: int,
                data: Mapping[str, Any], actor: User | None, check: ItemCheck | None = None) -> ProgrammeItem:
        policy.require(actor, "settings")
        values = _load(schema, data)
        with self.crm.db.session() as session:
            record = session.get(model, record_id) if isinstance(record_id, int) else None
            if record is None:
                raise NotFound(f"No {entity.replace('_', ' ')} with id {record_id}.")
            if check is not None:
                check(session, record.programme_id, values, record.id)
            changes = apply_changes(record, values)
            if changes:
                audit(session, actor, entity, record.id, "update", changes)
        return record

    def add_tier(self, data: Mapping[str, Any], actor: User | None = None) -> Tier:
        return self._add(Tier, "loyalty_tier", TierSchema(), data, actor, check=self._tier_name_free)

    def update_tier(self, tier_id: int, data: Mapping[str, Any], actor: User | None = None) -> Tier:
        """Change a tier (only the fields given). Members move on their next purchase or the nightly review."""
        return self._update(Tier, "loyalty_tier", TierSchema(partial=True), tier_id, data, actor,
                            check=self._tier_name_free)

    def add_reward(self, data: Mapping[str, Any], actor: User | None = None) -> Reward:
        return self._add(Reward, "loyalty_reward", RewardSchema(), data, actor)

    def update_reward(self, reward_id: int, data: Mapping[str, Any], actor: User | None = None) -> Reward:
        """Change a reward (only the fields given); an inactive one is no longer offered at the counter."""
        return self._update(Reward, "loyalty_reward", RewardSchema(partial=True), reward_id, data, actor)

    # -- members ------------------------------------------------------------------------------------

    def _new_card(self, session: Session) -> str:
        settings = self.settings
        for _ in range(10):
            number = generate_card_number(prefix=settings["card_prefix"], length=settings["card_length"])
            if session.scalar(select(Member.id).where(Member.card_number == number)) is None:
                return number
        raise Conflict("Could not draw a free card number; lengthen the card numbers.")

    def enroll(self, customer_id: int, actor: User | None = None, session: Session | None = None) -> Member:
        """Make the customer a member with a new card (or return the membership they have)."""
        policy.require(actor, "customers")
        if session is None:
            with self.crm.db.session() as own:
                return self.enroll(customer_id, actor, own)
        customer = session.get(Customer, customer_id) if isinstance(customer_id, int) else None
        if customer is None:
            raise ValidationFailed({"customer_id": [f"No customer with id {customer_id}."]})
        policy.require_record(actor, self.crm.settings, customer)
        member = session.scalar(select(Member).where(Member.customer_id == customer_id))
        if member is not None:
            return member
        member = Member(customer_id=customer_id, programme_id=self.programme(session).id,
                        card_number=self._new_card(session), balance=0)
        try:
            with session.begin_nested():
                session.add(member)
        except IntegrityError:  # enrolled at the same moment by another process
            member = session.scalar(select(Member).where(Member.customer_id == customer_id))
            if member is None:
                raise
            return member
        audit(session, actor, "loyalty_member", member.id, "create", {"customer_id": [None, customer_id]})
        return member

    def find(self, query: str, limit: int = 10) -> list[tuple[Member, Customer]]:
        """Members by card number (with a valid check digit) or by phone, for the counter screen."""
        text = (query or "").strip()
        if not text:
            return []
        conditions = []
        try:
            number = normalize_card_number(text)
        except ValueError:
            number = None
        if number and is_valid_card_number(number):
            conditions.append(Member.card_number == number)
        phone = searchable_phone(text)
        if phone:
            conditions.append(Customer.phone == phone)
        if not conditions:
            return []
        with self.crm.db.session() as session:
            rows = session.execute(select(Member, Customer).join(Customer, Customer.id == Member.customer_id)
                                   .where(or_(*conditions)).order_by(Member.id).limit(limit)).all()
        return [(member, customer) for member, customer in rows]

    def member_for(self, session: Session, customer_id: int) -> Member | None:
        return session.scalar(select(Member).where(Member.customer_id == customer_id))

    # -- earning ------------------------------------------------------------------------------------

    def _in_segment(self, key: str | None, customer_id: int, session: Session) -> bool:
        if not key:
            return False
        try:
            ids = self.crm.segments.customer_ids(key).subquery()
        except NotFound:
            return False
        return bool(session.scalar(select(exists().where(ids.c[0] == customer_id))))

    @staticmethod
    def _birthday(session: Session, customer_id: int) -> date | None:
        """A "birthday" important date of the customer, else the first contact person's birthday."""
        rows = session.execute(select(ImportantDate.label, ImportantDate.date)
                               .where(ImportantDate.customer_id == customer_id)).all()
        for label, day in rows:
            if label.strip().lower() in BIRTHDAY_LABELS:
                return day
        return session.scalar(select(Contact.birthday).where(Contact.customer_id == customer_id,
                                                             Contact.birthday.is_not(None))
                              .order_by(Contact.id).limit(1))

    @staticmethod
    def _is_first_purchase(session: Session, deal: Deal) -> bool:
        earlier = select(Deal.id).where(Deal.customer_id == deal.customer_id, Deal.status == DealStatus.WON,
                                        Deal.amount > 0, Deal.id != deal.id,
                                        or_(Deal.closed_on < deal.closed_on,
                                            and_(Deal.closed_on == deal.closed_on, Deal.id < deal.id)))
        return not session.scalar(select(exists(earlier)))

    def rules_for(self, session: Session, programme: Programme, member: Member, customer_id: int) -> EarningRules:
        multiplier = Decimal(1)
        if member.tier_id is not None:
            tier = session.get(Tier, member.tier_id)
            if tier is not None:
                multiplier *= tier.multiplier
        if self._in_segment(programme.bonus_segment, customer_id, session):
            multiplier *= programme.segment_multiplier
        return EarningRules(points_per_unit=programme.points_per_unit, unit_amount=programme.unit_amount,
                            rounding=programme.rounding, step=programme.step,
                            points_per_purchase=programme.points_per_purchase,
                            first_purchase_bonus=programme.first_purchase_bonus,
                            birthday_month_bonus=programme.birthday_month_bonus, multiplier=multiplier)

    def earn_for_deal(self, deal: Deal) -> LedgerEntry | None:
        """Points for a won deal, once per deal however often the event arrives; a refund takes points back."""
        if deal.status is not DealStatus.WON or deal.amount == 0:
            return None
        kind = EntryKind.EARN if deal.amount > 0 else EntryKind.REFUND
        with self.crm.db.session() as session:
            member = self.member_for(session, deal.customer_id)
            if member is None:
                if not self.settings["auto_enroll"] or deal.amount < 0:
                    return None
                member = self.enroll(deal.customer_id, session=session)
            member = lock_member(session, member.id)
            if session.scalar(select(LedgerEntry.id).where(LedgerEntry.deal_id == deal.id,
                                                           LedgerEntry.kind == kind)) is not None:
                return None  # already posted: a second delivery of the same event
            programme = session.get(Programme, member.programme_id)
            purchase_day = deal.closed_on or date.today()
            if kind is EntryKind.EARN:
                rules = self.rules_for(session, programme, member, deal.customer_id)
                earned = earn_points(deal.amount, rules, purchase_date=purchase_day,
                                     is_first_purchase=self._is_first_purchase(session, deal),
                                     birthday=self._birthday(session, deal.customer_id))
                points = earned.total
                reason = "; ".join(f"{label} {value}" for label, value in earned.breakdown)
            else:
                points = -points_for_amount(-deal.amount, points_per_unit=programme.points_per_unit,
                                            unit_amount=programme.unit_amount, rounding=programme.rounding,
                                            step=programme.step)
                reason = "refund"
            if points == 0:
                return None
            try:
                with session.begin_nested():
                    entry = post(session, member, kind, points, reason=reason, deal_id=deal.id,
                                 validity_days=programme.validity_days)
            except IntegrityError:
                return None
            self._update_tier(session, member)
        return entry

    def reverse_deal(self, deal_id: int, customer_id: int, actor: User | None = None) -> LedgerEntry | None:
        """A deleted deal takes back what it earned (or gives back what its refund took), once."""
        with self.crm.db.session() as session:
            member = self.member_for(session, customer_id)
            if member is None:
                return None
            member = lock_member(session, member.id)
            posted = session.scalar(select(func.coalesce(func.sum(LedgerEntry.points), 0))
                                    .where(LedgerEntry.deal_id == deal_id,
                                           LedgerEntry.kind.in_([EntryKind.EARN, EntryKind.REFUND])))
            already = session.scalar(select(LedgerEntry.id).where(LedgerEntry.deal_id == deal_id,
                                                                  LedgerEntry.kind == EntryKind.REVERSE))
            if not posted or already is not None:
                return None
            try:
                with session.begin_nested():
                    entry = post(session, member, EntryKind.REVERSE, -int(posted), reason="deal deleted",
                                 deal_id=deal_id, user_id=actor.id if actor else None)
            except IntegrityError:
                return None
            self._update_tier(session, member)
        return entry

    # -- spending -----------------------------------------------------------------------------------

    def redeem(self, member_id: int, reward_id: int, actor: User | None = None) -> RedeemResult:
        """Spend points on a reward. The balance is checked under the member's lock, so it never overspends."""
        policy.require(actor, "customers")
        with self.crm.db.session() as session:
            member = lock_member(session, member_id)
            customer = session.get(Customer, member.customer_id)
            policy.require_record(actor, self.crm.settings, customer)
            reward = session.get(Reward, reward_id) if isinstance(reward_id, int) else None
            if reward is None or not reward.active or reward.programme_id != member.programme_id:
                raise ValidationFailed({"reward_id": [f"No active reward with id {reward_id}."]})
            if member.balance < reward.cost_points:
                raise Refused(f"Not enough points: {member.balance} available, {reward.cost_points} needed.")
            entry = post(session, member, EntryKind.REDEEM, -reward.cost_points, reason=reward.name,
                         user_id=actor.id if actor else None)
            code = generate_coupon_code(prefix=self.settings["coupon_prefix"])
            redemption = Redemption(member_id=member.id, reward_id=reward.id, ledger_id=entry.id,
                                    code=normalize_coupon_code(code))
            session.add(redemption)
            session.flush()
            audit(session, actor, "loyalty_redemption", redemption.id, "create",
                  {"reward_id": [None, reward.id], "points": [None, reward.cost_points]})
            return RedeemResult(redemption.id, code, reward.name, reward.cost_points, member.balance)

    def use_code(self, code: str, actor: User | None = None) -> Redemption:
        """Accept a coupon code at the till: valid once, then refused."""
        policy.require(actor, "customers")
        canonical = normalize_coupon_code(code or "")
        with self.crm.db.session() as session:
            used = session.execute(update(Redemption).where(Redemption.code == canonical,
                                                            Redemption.used_at.is_(None))
                                   .values(used_at=utcnow(), used_by=actor.id if actor else None)).rowcount
            redemption = session.scalar(select(Redemption).where(Redemption.code == canonical))
            if redemption is None:
                raise ValidationFailed({"code": ["No such code."]})
            if not used:
                raise Refused("This code has already been used.")
            audit(session, actor, "loyalty_redemption", redemption.id, "use", {})
        return redemption

    def adjust(self, member_id: int, data: Mapping[str, Any], actor: User | None = None) -> LedgerEntry:
        """A manual correction with its reason and the user who made it."""
        policy.require(actor, "reports")
        values = _load(AdjustSchema(), data)
        with self.crm.db.session() as session:
            member = lock_member(session, member_id)
            if member.balance + values["points"] < 0:
                raise ValidationFailed({"points": [f"The balance is {member.balance}; it cannot go below zero."]})
            programme = session.get(Programme, member.programme_id)
            entry = post(session, member, EntryKind.ADJUST, values["points"], reason=values["reason"],
                         user_id=actor.id if actor else None, validity_days=programme.validity_days)
            audit(session, actor, "loyalty_member", member.id, "adjust", {"points": [None, values["points"]]})
        return entry

    # -- expiry -------------------------------------------------------------------------------------

    def expire_members(self, session: Session, member_ids: list[int], today: date) -> int:
        """Post the points of these members that lapsed by ``today`` in one transaction."""
        return post_expiries(session, lock_members(session, member_ids), today)

    def expire_due(self, today: date | None = None, batch: int = 1000) -> int:
        """Expire every lot that lapsed by ``today``, a batch of members per transaction.

        The members due come from one range scan of the lots' expiry index. Safe to run again: an expired lot
        is gone, so a second run finds nothing.
        """
        today = today or date.today()
        with self.crm.db.session() as session:
            due = session.scalars(select(Lot.member_id).distinct().where(Lot.expires_on <= today)
                                  .order_by(Lot.member_id)).all()
        total = 0
        for start in range(0, len(due), batch):
            with self.crm.db.session() as session:
                total += self.expire_members(session, list(due[start:start + batch]), today)
        return total

    # -- tiers --------------------------------------------------------------------------------------

    def tier_measures(self, session: Session, member: Member, since: date) -> dict[TierBasis, Decimal]:
        earned = session.scalar(select(func.coalesce(func.sum(LedgerEntry.points), 0))
                                .where(LedgerEntry.member_id == member.id,
                                       LedgerEntry.kind.in_([EntryKind.EARN, EntryKind.REFUND, EntryKind.REVERSE]),
                                       LedgerEntry.created_at >= since))
        spend = session.scalar(select(func.coalesce(func.sum(Deal.amount), 0))
                               .where(Deal.customer_id == member.customer_id, Deal.status == DealStatus.WON,
                                      Deal.closed_on >= since))
        return {TierBasis.POINTS: Decimal(earned or 0), TierBasis.SPEND: Decimal(spend or 0)}

    def _update_tier(self, session: Session, member: Member, today: date | None = None) -> TierChange | None:
        tiers = session.scalars(select(Tier).where(Tier.programme_id == member.programme_id)).all()
        if not tiers:
            return None
        since = (today or date.today()) - timedelta(days=365)
        measures = self.tier_measures(session, member, since)
        reached = [t for t in tiers if measures[t.basis] >= t.threshold]
        best = max(reached, key=lambda t: (t.multiplier, t.threshold), default=None)
        new_id = best.id if best is not None else None
        if new_id == member.tier_id:
            return None
        rank = {t.id: (t.multiplier, t.threshold) for t in tiers}
        old = rank.get(member.tier_id, (Decimal(-1), Decimal(-1)))
        new = rank.get(new_id, (Decimal(-1), Decimal(-1)))
        change = TierChange(member_id=member.id, from_tier_id=member.tier_id, to_tier_id=new_id,
                            direction="up" if new > old else "down")
        member.tier_id = new_id
        session.add(change)
        session.flush()
        return change

    def review_tiers(self, today: date | None = None, batch: int = 1000) -> int:
        """Re-check every member's tier (moves down happen when old spending leaves the 12-month window)."""
        moved = 0
        last_id = 0
        while True:
            with self.crm.db.session() as session:
                members = session.scalars(select(Member).where(Member.id > last_id).order_by(Member.id)
                                          .limit(batch)).all()
                if not members:
                    return moved
                for member in members:
                    moved += self._update_tier(session, member, today) is not None
                last_id = members[-1].id
