"""Schema versions: Alembic revisions under ``cleanroom/storage/migrations/versions``.

A server opens only a database at the newest revision this build knows (an empty
database is created at it). An older one is refused until ``cleanroom admin migrate``
upgrades it; a newer one (made by a later build) is refused outright; each with one line.
A database from before migrations existed (tables but no ``alembic_version``) is at the
baseline revision, the first release's schema.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from cleanroom.errors import StartupRefused

MIGRATIONS = Path(__file__).parent / "migrations"
BASELINE = "0001"


def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def head_revision() -> str:
    return str(_scripts().get_current_head())


def known_revisions() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}


def _stamped(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def current_revision(engine: Engine) -> str | None:
    """The database's revision; ``None`` if it is empty."""
    with engine.connect() as connection:
        revision = _stamped(connection)
        if revision is None and inspect(connection).get_table_names():
            return BASELINE
    return revision


def _refuse_newer(revision: str | None) -> None:
    if revision is not None and revision not in known_revisions():
        raise StartupRefused(
            f"the database schema is at revision {revision}, newer than this server knows "
            f"(up to {head_revision()}); run the cleanroom release that made it"
        )


def require_current(engine: Engine) -> None:
    """Create an empty database at the head revision; refuse any other revision."""
    revision, head = current_revision(engine), head_revision()
    if revision is None:
        upgrade(engine)
        return
    _refuse_newer(revision)
    if revision != head:
        raise StartupRefused(
            f"the database schema is at revision {revision}, this server needs {head}; "
            "back it up, then run `cleanroom admin migrate`"
        )


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Upgrade to the head revision in one transaction; returns (from, to)."""
    before = current_revision(engine)
    _refuse_newer(before)
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        if before == BASELINE and _stamped(connection) is None:
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")
    return before, head_revision()
