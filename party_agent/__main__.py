"""``python -m party_agent`` runs the ``party-agent`` command line."""

from party_agent.cli import main

main()
