"""Alembic's environment: migrate on the connection :mod:`cleanroom.storage.schema` passes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from cleanroom.storage import (
    blinding_tables,  # noqa: F401  # registers the protocol v2 relay table
    query_tables,  # noqa: F401  # registers the query-layer tables
)
from cleanroom.storage.models import Base

connection: Connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
