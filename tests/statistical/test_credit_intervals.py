"""Coverage of the credited conversions and credited revenue intervals.

The released interval of a credited number covers its true (bounded) value when the
discrete Laplace noise is within the half-width: one group released 1,000 times through
:func:`cleanroom.release.attribution.credit_table` (OpenDP noise, unseeded; two models,
so each statistic gets epsilon / 5). The half-width is ``floor`` of the exact 95%
accuracy, so coverage is at least 95%; measured 0.945 to 0.965 over several runs. The
test allows 0.925 (3.6 standard errors below 0.95) so that it fails for a wrong
interval, not for an unlucky run.
"""

from __future__ import annotations

from fractions import Fraction

from cleanroom.engine import Attribution, CreditCell, CreditCells, GroupKeys
from cleanroom.release import ReleasePolicy
from cleanroom.release.attribution import credit_table

RELEASES = 1_000
MODELS = (Attribution.LINEAR, Attribution.W_SHAPED)
TRUE = ((12_345_678, 98_765), (13_500_000, 100_001))


def test_credited_intervals_cover_at_least_95_percent() -> None:
    policy = ReleasePolicy(Fraction(1), 1, 3, 4, Fraction(50), keys=GroupKeys(("a",)))
    found = CreditCells(None, MODELS, (CreditCell("a", None, 400, TRUE, 1000.0),))
    hits: dict[str, int] = {}
    for _ in range(RELEASES):
        (row,) = credit_table(found, policy, None).rows
        for i, model in enumerate(MODELS):
            for column, truth in (
                ("credited_conversions", TRUE[i][0] / 1_000_000),
                ("credited_revenue", TRUE[i][1] / 100),
                ("roas", TRUE[i][1] / 100 / 1000.0),
            ):
                est = row.values[f"{model}.{column}"]
                assert est is not None
                name = f"{model}.{column}"
                hits[name] = hits.get(name, 0) + int(est.low <= truth <= est.high)
    for name, count in hits.items():
        assert 0.925 <= count / RELEASES <= 0.985, (name, count / RELEASES)


def test_a_wrong_interval_would_fail() -> None:
    """The bound is not vacuous: a half-width 20% too narrow covers well below it."""
    import math

    from policies.calibration import discrete_laplace_accuracy

    scale, alpha = 50.0, 0.05
    half = math.floor(0.8 * discrete_laplace_accuracy(scale, alpha))
    q = math.exp(-1 / scale)
    covered = (1 - q) / (1 + q) * (1 + 2 * sum(q**x for x in range(1, half + 1)))
    assert covered < 0.925
