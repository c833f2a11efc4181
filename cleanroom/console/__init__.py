"""The web console: the collaboration, its results and its audit trail in a browser.

Server-rendered pages (Jinja2, no script) under ``/ui`` on the API's own app, for
analysts, party admins, auditors and server admins. A visitor signs in with an API
token; the session (:mod:`~cleanroom.console.sessions`) resolves to the same
:class:`~cleanroom.server.auth.Principal` as a bearer token, and every page calls the
API's route functions, so the console can never show more than the API would.

- :mod:`~cleanroom.console.app`: :func:`install_console` mounts pages and assets.
- :mod:`~cleanroom.console.pages`: one module per page group.
- :mod:`~cleanroom.console.views`: result tables, charts (:mod:`reports`), CSV.
- :mod:`~cleanroom.console.render`: templates, number formats, security headers.
- :mod:`~cleanroom.console.errors`: an HTML error page for every problem.
"""

from cleanroom.console.app import install_console
from cleanroom.console.sessions import SessionStore

__all__ = ["SessionStore", "install_console"]
