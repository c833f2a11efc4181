"""The ``cleanroom`` command line (entry point :func:`cleanroom.cli.main.main`).

One module per command group: ``serve``, ``admin``, ``policy``, ``audit``; ``demo`` is
:mod:`cleanroom.demo.command`. Nothing outside the entry points imports this package.
"""
