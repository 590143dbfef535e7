"""Stock per SKU class: what it costs a site to hold every SKU of a velocity class (pure functions).

A product category's orders are split into SKU classes (``data/sku_classes.csv``: head, torso,
tail, ...). A site that holds a class holds every one of its ``n`` SKUs; with the class's
throughput ``X`` at the site (orders = units per year), each SKU sells

    mu = X / (365 n)                                      units per day at the site,

and, per review period ``R`` and replenishment lead time ``L`` (days), its demand over the
protection period P = L + R has mean ``lam = mu P`` and variance ``vmr x lam``. The
variance-to-mean ratio ``vmr = max(1, cv^2 x mu_w)`` comes from the class's coefficient of
variation ``cv`` of one SKU's national weekly demand ``mu_w``: variance proportional to the mean,
as in Daskin, Coullard & Shen (2002), so that ``k`` sites sharing the demand equally hold
``sqrt(k)`` times the safety stock of one (the square-root law); vmr >= 1, Poisson at least.

Per SKU (units), order-up-to level and mean stock on hand:

    S = max(m, lam + z sqrt(vmr lam))        m = min_units_per_sku (case pack / presentation floor)
    I = S - mu (L + R/2)                     cycle stock mu R / 2 + safety stock (+ the floor's excess)

and the stock left when the SKU is delisted (every ``life`` days) is the newsvendor leftover
``E[(S - D)^+]`` of the protection period's demand D (Poisson when vmr = 1, else negative
binomial with that mean and variance), written off at ``1 - salvage``. So, USD per year,

    C(X) = n v [ h I + (1 - salvage) 365 / life x E[(S - D)^+] ],   C(0) = 0 (the class not held),

with ``v`` the value per unit and ``h`` the cost of capital. C jumps to ``n v m (h + w)`` as X
leaves 0 (each SKU's floor): the fixed charge of the assortment. C is neither concave nor convex
(the floor), so the model holds it as a piecewise-linear function in a multiple-choice
formulation (:func:`pwl_segments`), exact at its points on the plan's range (:data:`PLAN_RANGE`);
:func:`pwl_error` measures the rest.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAYS_PER_YEAR = 365.0
DAYS_PER_WEEK = 7.0


def service_z(cycle_service_level: float) -> float:
    """Safety factor z of a cycle service level (P[no stock-out in a cycle]), standard normal."""
    from scipy import stats  # here, not at import: scipy.stats costs 0.5 s at every start of solve.py

    return float(stats.norm.ppf(cycle_service_level))


def variance_to_mean(cv: float, national_orders: float, n_sku: float) -> float:
    """vmr of one SKU's demand: max(1, cv^2 x national weekly units per SKU)."""
    mu_w = national_orders / n_sku / (DAYS_PER_YEAR / DAYS_PER_WEEK)
    return max(1.0, cv * cv * mu_w)


def sku_stock(mu_day, vmr, lead_days, review_days, z, min_units):
    """(S, I, lam) per SKU in units: order-up-to level, mean stock on hand, mean protection-period demand."""
    mu = np.asarray(mu_day, dtype=float)
    lam = mu * (lead_days + review_days)
    s = np.maximum(min_units, lam + z * np.sqrt(vmr * lam))
    return s, s - mu * (lead_days + review_days / 2.0), lam


def poisson_leftover(s, lam):
    """E[(S - D)^+] for D ~ Poisson(lam), S >= 0 (units): S F(j) - lam F(j - 1) with j = floor(S)
    (since sum_{k<=j} k P(k) = lam F(j - 1))."""
    from scipy import stats

    s, lam = np.broadcast_arrays(np.asarray(s, float), np.asarray(lam, float))
    j = np.floor(s)
    return s * stats.poisson.cdf(j, lam) - lam * stats.poisson.cdf(j - 1, lam)


def leftover(s, lam, vmr):
    """E[(S - D)^+] (units), D with mean ``lam`` and variance ``vmr x lam``: Poisson for vmr = 1, else
    negative binomial NB(r, p), p = 1/vmr, r = lam / (vmr - 1), where sum_{k<=j} k P(k) = lam F'(j - 1)
    with F' the cdf of NB(r + 1, p)."""
    if vmr <= 1.0 + 1e-12:
        return poisson_leftover(s, lam)
    from scipy import stats

    s, lam = np.broadcast_arrays(np.asarray(s, float), np.asarray(lam, float))
    p = 1.0 / vmr
    r = np.maximum(lam, 1e-300) / (vmr - 1.0)
    j = np.floor(s)
    return s * stats.nbinom.cdf(j, r, p) - lam * stats.nbinom.cdf(j - 1, r + 1.0, p)


@dataclass(frozen=True)
class ClassStock:
    """One SKU class's stock rule (units, days, USD).

    ``n_sku``: SKUs; ``national_orders``: the class's orders per year in the country;
    ``value``: USD per unit (one unit per order); ``cv``: CV of one SKU's national weekly demand;
    ``min_units``: floor per SKU and site; ``lead_days``: replenishment lead time; ``review_days``:
    review period; ``z``: safety factor; ``holding_rate``: cost of capital per year; ``life_days``:
    days a SKU stays listed; ``salvage``: share of the value recovered from leftover stock.
    """

    n_sku: float
    national_orders: float
    value: float
    cv: float
    min_units: float
    lead_days: float
    review_days: float
    z: float
    holding_rate: float
    life_days: float
    salvage: float

    @property
    def vmr(self) -> float:
        return variance_to_mean(self.cv, self.national_orders, self.n_sku)

    @property
    def write_off_rate(self) -> float:
        """(1 - salvage) x delistings per year: the share of the leftover's value lost per year."""
        return (1.0 - self.salvage) * DAYS_PER_YEAR / self.life_days

    def parts(self, throughput):
        """(holding, dead stock) USD per year at a site with ``throughput`` orders per year (> 0)."""
        x = np.asarray(throughput, dtype=float)
        mu = x / (DAYS_PER_YEAR * self.n_sku)
        s, on_hand, lam = sku_stock(mu, self.vmr, self.lead_days, self.review_days, self.z, self.min_units)
        scale = self.n_sku * self.value
        return (scale * self.holding_rate * on_hand,
                scale * self.write_off_rate * leftover(s, lam, self.vmr))

    def cost(self, throughput):
        """C(X), USD per year; C(0) = 0 (the class is not held). Vectorised."""
        x = np.asarray(throughput, dtype=float)
        hold, dead = self.parts(np.maximum(x, 1e-300))
        return np.where(x > 0, hold + dead, 0.0)

    def fixed_charge(self) -> float:
        """lim C(X) as X -> 0+: every SKU's floor held and, at the end of its life, written off (USD/yr)."""
        return self.n_sku * self.value * self.min_units * (self.holding_rate + self.write_off_rate)


@dataclass(frozen=True)
class Segment:
    """One band of the piecewise-linear C: throughput in [lo, hi], cost = intercept + slope x X."""

    lo: float
    hi: float
    intercept: float
    slope: float


def _line(x0, c0, x1, c1):
    slope = (c1 - c0) / (x1 - x0)
    return c0 - slope * x0, slope


#: The PWL is fitted and its error measured on the plan's range [PLAN_RANGE x x_max, x_max]: a pool
#: carrying less than 1/30 of what it could (the class's national orders, or the site's capacity)
#: is below the share one of 24 candidate sites takes when a class is spread evenly over all of
#: them; below that the first band's line runs on to 0+ (its intercept is the fixed charge).
PLAN_RANGE = 1.0 / 30.0


def _grid(x_max: float) -> np.ndarray:
    return np.unique(np.concatenate([np.geomspace(x_max * PLAN_RANGE, x_max, 600),
                                     np.linspace(x_max * PLAN_RANGE, x_max, 400)]))


def pwl_breaks(stock: ClassStock, x_max: float, max_segments: int = 1, tolerance: float = 0.0) -> np.ndarray:
    """Points p_0 < ... < p_B of the plan's range, geometric from PLAN_RANGE x x_max to x_max, through
    which the PWL runs (exact there): the fewest bands B <= ``max_segments`` whose largest relative
    error on the range is at most ``tolerance``."""
    lo = x_max * PLAN_RANGE
    for b in range(1, max(1, int(max_segments)) + 1):
        points = np.geomspace(lo, x_max, b + 1)
        if pwl_error(stock, points) <= tolerance:
            break
    return points


def pwl_segments(stock: ClassStock, points: np.ndarray) -> list[Segment]:
    """Band b = [p_{b-1}, p_b] (the first from 0), cost the line through (p, C(p)) at its two ends."""
    cs = stock.cost(points)
    segs = []
    for b in range(1, len(points)):
        icpt, slope = _line(points[b - 1], cs[b - 1], points[b], cs[b])
        segs.append(Segment(0.0 if b == 1 else float(points[b - 1]), float(points[b]), float(icpt), float(slope)))
    return segs


def pwl_error(stock: ClassStock, points: np.ndarray) -> float:
    """Largest |PWL - C| / C on the plan's range [p_0, p_B], on a fine grid (share)."""
    grid = np.unique(np.concatenate([np.geomspace(points[0], points[-1], 600),
                                     np.linspace(points[0], points[-1], 400)]))
    exact = stock.cost(grid)
    return float(np.max(np.abs(np.interp(grid, points, stock.cost(points)) - exact) / np.maximum(exact, 1e-12)))


def pwl_value(segments: list[Segment], x: float) -> float:
    """The PWL at x (0 at x = 0: the class not held)."""
    if x <= 0:
        return 0.0
    for s in segments:
        if x <= s.hi + 1e-9 * max(1.0, s.hi):
            return s.intercept + s.slope * x
    raise ValueError(f"throughput {x:g} above the last breakpoint {segments[-1].hi:g}")


def subadditive(segments: list[Segment]) -> bool:
    """Whether the PWL f (f(0) = 0) has f(x + y) <= f(x) + f(y) wherever x + y is in range.

    Exact: f(x + y) - f(x) - f(y) is linear on each cell of the arrangement of the lines x = b,
    y = b and x + y = b (b a breakpoint, 0+ included), so its largest value is at a vertex of it:
    x and y both breakpoints, or one a breakpoint and x + y another (and, since f jumps at 0,
    just above 0)."""
    b = np.array([0.0] + [s.hi for s in segments])
    top = b[-1]
    eps = top * 1e-12
    pts = set()
    for u in b:
        for v in b:
            for x, y in ((u, v), (u, v - u)):
                if 0 <= y and x + y <= top * (1 + 1e-12):
                    pts.add((max(float(x), eps), max(float(y), eps)))
    for x, y in pts:
        if pwl_value(segments, min(x + y, top)) > pwl_value(segments, x) + pwl_value(segments, y) + 1e-9 * max(
                1.0, pwl_value(segments, min(x + y, top))):
            return False
    return True
