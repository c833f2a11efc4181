"""Alembic migrations of the metadata database (``env.py`` and ``versions/``).

Run through :mod:`cleanroom.storage.schema` (``cleanroom admin migrate``), never with an
``alembic.ini``: the engine comes from the server's settings.
"""
