"""``cleanroom serve``: run the server under uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from cleanroom.cli.admin import fail


def serve(
    data_dir: Annotated[Path, typer.Option("--data-dir", envvar="CLEANROOM_DATA_DIR")],
    host: Annotated[str | None, typer.Option(help="Bind address [127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [8000]")] = None,
    database_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL, e.g. postgresql://host/db")
    ] = None,
) -> None:
    """Run the server under uvicorn (one process; prints a bootstrap token on first start).
    The web console is at /ui.

    Example: cleanroom serve --data-dir server --host 127.0.0.1 --port 8000
    """
    import uvicorn

    from cleanroom.console import install_console
    from cleanroom.errors import StartupRefused
    from cleanroom.server.app import create_app
    from cleanroom.server.auth import bootstrap_admin
    from cleanroom.settings import Settings
    from cleanroom.uploads.sessions import open_for_serving

    flags: dict[str, Any] = {"host": host, "port": port, "database_url": database_url}
    try:
        settings = Settings(data_dir=data_dir, **{k: v for k, v in flags.items() if v is not None})
    except ValidationError as error:
        fail(f"invalid settings: {error.errors()[0]['msg']}", 2)
    from cleanroom.query import engine_unavailable

    reason = engine_unavailable(settings)
    if reason is not None:
        fail(f"CLEANROOM_ENGINE={settings.engine}: {reason}", 1)
    try:
        storage = open_for_serving(settings)
    except StartupRefused as refused:
        fail(refused.detail, 1)
    issued = bootstrap_admin(storage)
    if issued is not None:
        typer.echo(f"bootstrap admin token ({issued[0]}), shown once: {issued[1]}", err=True)
    app_ = install_console(create_app(settings, storage))
    uvicorn.run(app_, host=settings.host, port=settings.port, log_level=settings.log_level)
