"""`cleanroom demo`: the whole closed loop on one machine, with synthetic data."""
