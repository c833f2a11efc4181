"""Errors raised by the party agent.

Every message is one line and names a file, a column, a row number or a reason code,
never a raw identifier, an attribute value, a token or key material. The CLI prints
``error: <message>`` and exits with the error's ``exit_code``.

    AgentError                  exit 1: anything that is not the user's configuration
    +-- ConfigError             exit 2: bad usage, home directory or mapping
    |   +-- HomeExists          ``init`` on a directory that already holds a party home
    |   +-- HomeNotFound        no party home (or an incomplete one) at the given path
    |   +-- MatchKeyMissing     no match key for the collaboration in the home
    |   +-- MappingError        the mapping file has problems (all of them, one per line
    |                           in ``problems``; the message counts them)
    +-- InputError              exit 1: the input cannot be read, or an attribute value
    |   |                       does not parse as its declared type (column and row)
    |   +-- IdentifierInAttribute   a kept attribute holds values that look like
    |   |                       identifiers (column, pattern and count; never a value)
    |   +-- StrictWarnings      ``--strict`` and the summary has warnings (nothing written)
    +-- BatchRefused            exit 1: a protocol v2 batch from the server is malformed
    |                           (bad frame, invalid point, the identity); nothing was sent
    +-- InternalError           exit 1: a bug in the agent; please report it
"""

from __future__ import annotations

from collections.abc import Sequence


class AgentError(Exception):
    """Base class of every error the party agent raises on purpose."""

    exit_code = 1


class ConfigError(AgentError):
    """The user's command line, home directory or mapping is wrong."""

    exit_code = 2


class HomeExists(ConfigError):
    """``init`` would overwrite an existing party home without ``--force``."""


class HomeNotFound(ConfigError):
    """The given directory is not a complete party home."""


class MatchKeyMissing(ConfigError):
    """The party home has no match key for the requested collaboration."""


class MappingError(ConfigError):
    """A mapping file failed validation; ``problems`` lists every problem found."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"mapping {source} has {count} {noun}: " + "; ".join(self.problems))


class InputError(AgentError):
    """The input file cannot be read or holds a value that breaks the mapping."""


class IdentifierInAttribute(InputError):
    """A kept attribute column holds values the tripwire takes for identifiers."""


class StrictWarnings(InputError):
    """``tokenize --strict`` found warnings (zero rows, all invalid, duplicates)."""


class BatchRefused(AgentError):
    """The server relayed a malformed protocol v2 batch; the agent sent nothing back."""


class InternalError(AgentError):
    """A bug in the party agent, not a problem with the user's data or setup."""
