"""Errors of ``cleanroom demo``; each becomes one line ``error: ...`` and an exit code.

    DemoError            1  a step failed (the message names the step and its error line)
    +-- DemoUsageError   2  a bad option or an unusable --workdir

Messages never quote the synthetic identifiers: a failed step is reported with the
child command's own ``error:`` line, which by the project's rules names columns,
counts and reasons only.
"""

from __future__ import annotations


class DemoError(Exception):
    """A demo step failed; the demo stops the server and exits non-zero."""

    exit_code = 1


class DemoUsageError(DemoError):
    """The demo cannot start with these options."""

    exit_code = 2
