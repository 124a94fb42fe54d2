"""Running statistics of a study: per point and metric a count, mean and sum of squared
deviations (Welford's update, numerically stable and order-fixed: results are folded in run
order, so every engine gives the same bits), and from them a Student t interval.

The interval (docs/storms.md "Statistics"): the replicates of a point are runs with independent
seeds, so a metric's per-run values are i.i.d.; the 95% interval of their mean is
    mean +- t(0.975, n-1) * s / sqrt(n),   s the sample standard deviation.
Percentile metrics (p50, p99, max latency) are per-run statistics averaged over seeds: the
interval is for that mean, by the same t formula (the central limit theorem over seeds), not
for a percentile of the pooled latencies. A compare pairs the runs of A and B by seed and
applies the same to the per-seed differences B - A: the paired t test.
"""

from __future__ import annotations

import math

LEVEL = 0.95


def t_quantile(level: float, df: int) -> float:
    from scipy.stats import t
    return float(t.ppf(0.5 + level / 2, df))


class Running:
    """n, mean and M2 of the values seen (None values are not counted)."""
    __slots__ = ("n", "mean", "m2", "first")

    def __init__(self):
        self.n, self.mean, self.m2, self.first = 0, 0.0, 0.0, None

    def add(self, x):
        if x is None:
            return
        if self.n == 0:
            self.first = x
        self.n += 1
        d = x - self.mean
        self.mean += d / self.n
        self.m2 += d * (x - self.mean)

    def summary(self, level: float = LEVEL):
        """(mean, lo, hi): the value itself when n is 1 (no interval), Nones when n is 0."""
        if self.n == 0:
            return None, None, None
        if self.n == 1:
            return self.first, None, None
        half = t_quantile(level, self.n - 1) * math.sqrt(self.m2 / (self.n - 1) / self.n)
        return self.mean, self.mean - half, self.mean + half

    def paired_test(self, level: float = LEVEL):
        """For differences: (mean, lo, hi, p): p the two-sided p-value of mean = 0."""
        mean, lo, hi = self.summary(level)
        if self.n < 2:
            return mean, lo, hi, None
        sd = math.sqrt(self.m2 / (self.n - 1))
        if sd == 0:
            return mean, lo, hi, (1.0 if mean == 0 else 0.0)
        from scipy.stats import t
        tstat = mean / (sd / math.sqrt(self.n))
        return mean, lo, hi, float(2 * t.sf(abs(tstat), self.n - 1))


class PointStats:
    """The running sums of one grid point: one Running per metric."""

    def __init__(self, metrics):
        self.runs = 0
        self.acc = {k: Running() for k in metrics}

    def add(self, row: dict):
        self.runs += 1
        for k, r in self.acc.items():
            r.add(row.get(k))

    def summary(self, level: float = LEVEL) -> dict:
        out = {"runs": self.runs}
        for k, r in self.acc.items():
            out[k], out[f"{k}_lo"], out[f"{k}_hi"] = r.summary(level)
        return out
