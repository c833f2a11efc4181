"""Mounting the console on the API's app: its pages, its assets, its error pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from cleanroom.console.errors import install_pages
from cleanroom.console.pages import audit, overview, query, results, signin
from cleanroom.console.render import HERE
from cleanroom.console.sessions import SessionStore

PAGES = (signin, overview, results, query, audit)


def install_console(app: FastAPI) -> FastAPI:
    """Serve the console under ``/ui`` on ``app`` (built by ``create_app``); returns it."""
    app.state.console_sessions = SessionStore()
    for module in PAGES:
        app.include_router(module.router)
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="console-static")
    install_pages(app)
    return app
