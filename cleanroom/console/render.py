"""Pages from Jinja2 templates, with the console's security headers and number formats.

Autoescaping is on for every template; the only markup inserted unescaped is the SVG
that :mod:`reports` and :func:`cleanroom.audit.report.budget_chart` build,
which escape every text they hold. No page has a script, an inline style or an
external origin, so the Content-Security-Policy allows nothing but this server's CSS.
"""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reports.style import Style

HERE = Path(__file__).parent
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def when(value: datetime | str | None) -> str:
    """``2026-12-01 09:16 UTC`` (stored times are UTC, some without a zone)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def epsilon(value: Fraction | str | float) -> str:
    """Exact where short (``1/4``), else 4 significant digits."""
    exact = Fraction(value)
    if exact.denominator == 1 or len(str(exact)) <= 6:
        return str(exact)
    return f"{float(exact):.4g}"


def percent(value: Fraction | float) -> str:
    return f"{100 * float(value):.0f}%"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=when,
        epsilon=epsilon,
        percent=percent,
        count=Style().count,
        money=Style().money_short,
        thousands=lambda n: f"{n:,}",
    )
    return env


ENV = _environment()


def secure(response: Response) -> Response:
    response.headers.update(HEADERS)
    return response


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with ``context`` plus the request (for the navigation)."""
    html = ENV.get_template(template).render(request=request, **context)
    response = HTMLResponse(html, status_code=status)
    secure(response)
    return response
