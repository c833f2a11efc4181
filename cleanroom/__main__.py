"""``python -m cleanroom`` is the ``cleanroom`` command."""

from cleanroom.cli.main import main

main()
