"""The ``party-agent`` commands, one module per command group.

- :mod:`~party_agent.commands.tokenize`: ``tokenize`` (offline; the only reader of raw
  identifiers)
- :mod:`~party_agent.commands.collaboration`: ``join``, ``keys create|fetch``,
  ``policy show|approve``
- :mod:`~party_agent.commands.credentials`: ``credentials list|set|default`` (the
  home's collaborations and their tokens)
- :mod:`~party_agent.commands.upload`: ``upload``
- :mod:`~party_agent.commands.datasets`: ``datasets [NAME]``
- :mod:`~party_agent.commands.query`: ``query overlap|conversions|lift``, ``result``,
  ``export``, ``budget``
- :mod:`~party_agent.commands.power`: ``power`` (offline with ``--policy``: what a
  policy lets each campaign show, before any budget is spent)
- :mod:`~party_agent.commands.plan`: ``plan-budget``, ``report`` (post-processing of
  stored results: next period's spend, one HTML page; no budget charged)

Each module defines a ``register(app)`` that adds its commands to the Typer app of
:mod:`party_agent.cli`; ``init`` and ``version`` live there.
"""
