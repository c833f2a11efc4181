"""Charts and number formats shared by the demo's HTML report and the web console.

- :mod:`~cleanroom.charts.number`: :class:`Number`, a released value with its interval.
- :mod:`~cleanroom.charts.intervals`: :func:`interval_chart`, an inline SVG (no script)
  with one row per group and every number's 95% interval as a whisker.
- :mod:`~cleanroom.charts.formats`: how each released column reads (%, $, thousands).

Pure: no I/O, no imports from the rest of the server.
"""

from cleanroom.charts import formats
from cleanroom.charts.intervals import Series, interval_chart
from cleanroom.charts.number import Number

__all__ = ["Number", "Series", "formats", "interval_chart"]
