"""The HTTP server: app factory, dependencies, auth, problem translation, wire schemas, routes.

:func:`create_app` builds the FastAPI app over opened storage; one router per resource
lives in :mod:`cleanroom.server.routes`. Routes translate wire models to domain values
and call the layers below (query, uploads, policy, audit, storage); every error becomes
problem+json in :mod:`cleanroom.server.problems`.
"""

from cleanroom.server.app import create_app
from cleanroom.server.auth import Principal, bootstrap_admin

__all__ = ["Principal", "bootstrap_admin", "create_app"]
