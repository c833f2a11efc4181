"""One module per query template: the SQL text and the typed rows it returns.

The SQL reads the views ``exposures``, ``purchases`` and ``spend`` (created by
:mod:`cleanroom.engine.duck`) and enforces every per-user contribution bound itself.
"""
