"""Run a query from a form built from what the effective policy allows.

    GET  /ui/c/{id}/query    analysts and party_admins (the API's ``requester_for`` check)
    POST /ui/c/{id}/query    runs it through :func:`cleanroom.server.routes.queries.run_query`
                             (the one release path); a refusal is shown in plain words

The form offers only allowed templates, windows, dimensions, attribution models (with
their parameter bounds) and receivers, and the policy's epsilon choices, each with the
budget it would leave; the budget left in the period is on the page before anything is
submitted. ``conversions`` may compare several models side by side in one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

import policies
from cleanroom.console.deps import ConsoleScopeDep, PostedDep, VisitorDep
from cleanroom.console.pages.signin import redirect
from cleanroom.console.render import page
from cleanroom.console.views import nav_for
from cleanroom.errors import CleanRoomError, NoEffectivePolicy, RequestInvalid
from cleanroom.policy.document import parse_policy
from cleanroom.policy.store import effective_policy as signed_policy
from cleanroom.query.plan import party_rules
from cleanroom.server.deps import ClockDep, Scope, SessionDep, SettingsDep
from cleanroom.server.query_schemas import QueryCreate
from cleanroom.server.routes.datasets import list_datasets
from cleanroom.server.routes.queries import get_budget, run_query
from cleanroom.storage.models import Member, Role
from protocols import FAMILIES

router = APIRouter(prefix="/ui/c/{collaboration_id}/query", include_in_schema=False)
WINDOW_CHOICES = ("1d", "3d", "7d", "14d", "30d", "60d", "90d")
FIELDS = ("template", "exposures", "purchases", "spend", "join", "window", "by")
#: The templates that take an attribution model (conversions also takes credit models).
ATTRIBUTED = ("conversions", "time_to_conversion")
SINGLE_TOUCH = ("last_touch", "first_touch")
COMPARE = "compare."  # one checkbox per model: ``compare.linear=on``


@dataclass(frozen=True)
class AttributionChoices:
    """The attribution models the effective policy allows, and their parameter bounds."""

    models: list[str]
    end_weight: tuple[str, str] | None  # position_based: each end's share, min and max
    half_life: tuple[str, str] | None  # time_decay: shortest and longest half-life


def _attribution(effective: policies.EffectivePolicy) -> AttributionChoices:
    order = [*SINGLE_TOUCH, *(str(m) for m in policies.Attribution if m not in SINGLE_TOUCH)]
    allowed = sorted((str(m) for m in effective.allowed_models), key=order.index)
    rules = effective.attribution
    weights = rules.end_weight
    half = rules.half_life
    return AttributionChoices(
        models=allowed,
        end_weight=None
        if weights is None or "position_based" not in allowed
        else (policies.fraction_text(weights.min), policies.fraction_text(weights.max)),
        half_life=None
        if half is None or "time_decay" not in allowed
        else (str(half.min), str(half.max)),
    )


@dataclass(frozen=True)
class EpsilonChoice:
    value: str
    leaves: Fraction
    fits: bool


@dataclass(frozen=True)
class QueryForm:
    """The choices the effective policy leaves open, and the budget they spend from."""

    templates: list[str]
    datasets: dict[str, list[str]]
    windows: list[str]
    dimensions: list[tuple[str, str]]  # (name, "exposures" | "purchases")
    receivers: list[str]
    joins: list[str]
    epsilons: list[EpsilonChoice]
    per_query: Fraction
    left: Fraction  # in the period and, where capped, over the lifetime
    budget: dict[str, Any]
    k: int
    attribution: AttributionChoices


def _effective(session: Session, collaboration_id: str) -> policies.EffectivePolicy:
    version = signed_policy(session, collaboration_id)
    if version is None:
        raise NoEffectivePolicy("no policy version is approved by every party yet")
    members = select(Member.party).where(
        Member.collaboration_id == collaboration_id, Member.role == Role.PARTY_ADMIN
    )
    rules = party_rules(session, collaboration_id, set(session.scalars(members)))
    return policies.effective_policy(parse_policy(version.text), rules)


def _windows(bounds: policies.WindowBounds) -> list[str]:
    ok = [w for w in WINDOW_CHOICES if bounds.contains(policies.Duration.parse(w))]
    return sorted({str(bounds.min), *ok, str(bounds.max)}, key=lambda w: policies.Duration.parse(w))


def build_form(scope: Scope, session: Session, clock: ClockDep) -> QueryForm:
    principal = scope.principal
    budget = get_budget(scope, session, clock)  # the API's role check for the budget
    effective = _effective(session, scope.id)
    left = Fraction(budget["remaining"]["exact"])
    lifetime = budget["lifetime"]["remaining"]
    if lifetime is not None:  # the lifetime cap may leave less than the period does
        left = min(left, Fraction(lifetime["exact"]))
    choices = sorted(effective.epsilon_choices, reverse=True)
    kinds: dict[str, list[str]] = {"exposures": [], "purchases": [], "spend": []}
    for dataset in list_datasets(scope, session):
        kinds.setdefault(dataset.kind, []).append(dataset.name)
    dims = [(d, "exposures") for d in sorted(effective.dimensions.exposures)]
    dims += [(d, "purchases") for d in sorted(effective.dimensions.purchases)]
    receivers = sorted(effective.receivers)
    if principal.role is not Role.ANALYST:
        receivers = [r for r in receivers if r == principal.party]
    return QueryForm(
        templates=sorted(str(t) for t in effective.templates),
        datasets=kinds,
        windows=_windows(effective.window),
        dimensions=dims,
        receivers=receivers,
        joins=list(FAMILIES),
        epsilons=[EpsilonChoice(policies.fraction_text(e), left - e, e <= left) for e in choices],
        per_query=choices[0] if choices else Fraction(0),
        left=left,
        budget=budget,
        k=effective.k,
        attribution=_attribution(effective),
    )


def _render(
    request: Request,
    scope: Scope,
    visitor: VisitorDep,
    form: QueryForm,
    status: int = 200,
    **extra: Any,
) -> Response:
    context = {"visitor": visitor, "nav": nav_for(visitor.role, scope.id), "form": form}
    context.update(collaboration=scope.collaboration, values={}, denial=None)
    context.update(extra)
    return page(request, "query.html", status, **context)


@router.get("")
def query_form(
    request: Request,
    scope: ConsoleScopeDep,
    visitor: VisitorDep,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    scope.principal.requester_for(None)  # analysts and party_admins only, as on the API
    return _render(request, scope, visitor, build_form(scope, session, clock))


def _models(fields: dict[str, str]) -> dict[str, Any]:
    """The attribution part of the request: the model, the models compared with it, and
    the parameters of the models that take them (only for the templates that attribute)."""
    template = fields.get("template", "")
    model = fields.get("attribution") or "last_touch"
    if template not in ATTRIBUTED:
        return {}
    if template != "conversions":
        return {"attribution": model}
    others = [
        name[len(COMPARE) :]
        for name, value in fields.items()
        if name.startswith(COMPARE) and value == "on" and name[len(COMPARE) :] != model
    ]
    models = [model, *others]
    data: dict[str, Any] = {"attribution": models if others else model}
    if "position_based" in models and (fields.get("position_first") or fields.get("position_last")):
        data["position_weights"] = [fields.get("position_first"), fields.get("position_last")]
    if "time_decay" in models and fields.get("half_life"):
        data["half_life"] = fields["half_life"]
    return data


def _body(fields: dict[str, str]) -> QueryCreate:
    data: dict[str, Any] = {name: fields[name] for name in FIELDS if fields.get(name)}
    data.update(_models(fields))
    data["epsilon"] = fields.get("epsilon") or None
    data["receiver"] = fields.get("receiver") or None
    data["remainder"] = fields.get("remainder") == "on"
    try:
        return QueryCreate.model_validate(data)
    except ValidationError as error:
        where = ", ".join(".".join(str(p) for p in e["loc"]) for e in error.errors()[:5])
        raise RequestInvalid(f"these fields are not valid: {where}") from None


@router.post("")
def submit(
    request: Request,
    scope: ConsoleScopeDep,
    visitor: VisitorDep,
    fields: PostedDep,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    scope.principal.requester_for(None)
    try:
        body = _body(fields)
        reply = run_query(body, scope, session, settings, clock, Response())
    except CleanRoomError as error:
        if error.status >= 500:
            raise
        session.rollback()
        reasons = error.extra.get("reasons") or []
        denial = {"title": error.title, "detail": error.detail, "reasons": reasons}
        form = build_form(scope, session, clock)
        return _render(request, scope, visitor, form, error.status, values=fields, denial=denial)
    suffix = "?reused=1" if reply["reused"] else ""
    return redirect(f"/ui/c/{scope.id}/results/{reply['id']}{suffix}")
