"""velocity.png: cost per order of each regime against SKU velocity, for one product.

A stocked regime's cost per order is its path (handling, last mile, taxes, returns, inbound: the
demand-weighted mean of ``ModelInputs.regime_paths`` over the product's classes, the stock taken
out) plus the stock a hub holding all of a class needs per order, which falls with the class's
velocity v = orders per SKU per year (each SKU's floor and safety stock spread over more orders).
A parcel regime holds no stock: its cost is flat. Where the two meet is the break-even velocity:
above it stocking the class is cheaper, below it the parcel is.

The stock curve is one class's :class:`model.economics.assortment.ClassStock` (default: the product's class
with the most orders) with its SKU count varied so that national_orders / n_sku = v, held at one
hub: C(national_orders) / national_orders. The classes' actual velocities are marked with their
own stock (their CV, floor and life differ from the curve's class) and their own path cost.

Pure functions (:func:`stock_per_order`, :func:`break_even_velocity`, :func:`velocity_curves`) and
a renderer (:func:`velocity_figure`, :func:`write_velocity_png`) usable from docs.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import optimize

from model import regimes
from model.core.plain_text import plain_text
from model.statistics.kpis import regime_costs_by_item

VELOCITY_RANGE = (1e-1, 1e6)  # orders per SKU per year on the x-axis


def stock_per_order(stock, velocity) -> np.ndarray:
    """Stock cost per order (USD) of ``stock``'s class at ``velocity`` orders per SKU per year, one
    hub holding all of it: a copy with n_sku = national_orders / velocity, C(national) / national."""
    v = np.atleast_1d(np.asarray(velocity, dtype=float))
    out = np.empty(len(v))
    for j, x in enumerate(v):
        s = dataclasses.replace(stock, n_sku=stock.national_orders / x)
        out[j] = float(s.cost(s.national_orders)) / s.national_orders
    return out if np.ndim(velocity) else out[0]


def break_even_velocity(path_usd: float, parcel_usd: float, stock, lo: float = VELOCITY_RANGE[0],
                        hi: float = VELOCITY_RANGE[1], points: int = 400) -> float | None:
    """The velocity (orders per SKU per year) above which the stocked regime (``path_usd`` per order +
    :func:`stock_per_order`) is cheaper than the parcel (``parcel_usd`` per order): the highest
    crossing in [lo, hi], found on a log grid and refined by Brent's method. None when there is
    no crossing there (stocking cheaper at every velocity, or at none)."""
    def gap(v):
        return path_usd + stock_per_order(stock, v) - parcel_usd

    grid = np.geomspace(lo, hi, points)
    d = gap(grid)
    above = np.nonzero(d > 0)[0]  # stocked dearer
    if not len(above) or above[-1] == len(grid) - 1:
        return None
    i = int(above[-1])
    return float(optimize.brentq(gap, grid[i], grid[i + 1], xtol=1e-12 * grid[i + 1], rtol=1e-12))


def largest_product(inputs) -> str:
    """The product (category) with the most orders."""
    cat = inputs.demand["product"].map(inputs.items["category"])
    return str(inputs.demand.groupby(cat)["orders"].sum().idxmax())


def velocity_curves(inputs, product: str | None = None, template: str | None = None,
                    velocities: np.ndarray | None = None) -> dict:
    """What velocity.png draws, for ``product`` (default: :func:`largest_product`), as plain data:

    - ``velocity``: the x grid (orders per SKU per year);
    - ``parcel``: {mode: USD per order} of each parcel regime (flat);
    - ``stocked``: {mode: USD per order along the grid}: path + stock of the ``template`` class
      (default: the product's class with most orders), and ``path``: {mode: its path without stock};
    - ``break_even``: {stocked mode: velocity or None} against the cheapest parcel regime;
    - ``classes``: [{item, sku_class, velocity, orders, <mode>: USD per order}] at the classes' own velocity;
    - ``product``, ``template``, ``cheapest_parcel``.
    Raises ValueError when the inputs have no SKU classes or no regime paths.
    """
    stocks = inputs.class_stocks or {}
    if not stocks or inputs.regime_paths is None or not len(inputs.regime_paths):
        raise ValueError("velocity curves need SKU classes (stock.sku_classes = 1) and regime paths")
    product = product or largest_product(inputs)
    its = inputs.items[(inputs.items["category"] == product) & inputs.items.index.isin(list(stocks))]
    if not len(its):
        raise ValueError(f"product {product!r} has no SKU class with stock")
    by_item = regime_costs_by_item(inputs.regime_paths, inputs.demand)
    by_item = by_item[by_item["product"].isin(its.index)]
    pooled = {i: float(stocks[i].cost(stocks[i].national_orders)) / stocks[i].national_orders for i in its.index}
    stocked_modes = set(regimes.STOCKED)
    by_item = by_item.assign(path=by_item["usd_per_order"] - np.where(
        by_item["mode"].isin(stocked_modes), by_item["product"].map(pooled), 0.0))
    by_item = by_item.assign(_w=by_item["path"] * by_item["orders"])
    mean = by_item.groupby("mode")[["_w", "orders"]].sum()
    mean = (mean["_w"] / mean["orders"]).to_dict()
    order = [md for md in regimes.MODES if md in mean]
    parcel = {md: mean[md] for md in order if md not in stocked_modes}
    path = {md: mean[md] for md in order if md in stocked_modes}
    template = template or max(its.index, key=lambda i: stocks[i].national_orders)
    if template not in its.index:  # a class name
        template = next(i for i in its.index if its.at[i, "sku_class"] == template)
    v = np.geomspace(*VELOCITY_RANGE, 240) if velocities is None else np.asarray(velocities, float)
    curve = stock_per_order(stocks[template], v)
    cheapest = min(parcel, key=parcel.get) if parcel else None
    classes = []
    for i in its.index:
        s = stocks[i]
        row = {"item": i, "sku_class": its.at[i, "sku_class"], "velocity": s.national_orders / s.n_sku,
               "orders": s.national_orders}
        own = by_item[by_item["product"] == i].set_index("mode")
        for md in order:
            if md in own.index:
                row[md] = float(own.at[md, "path"]) + (pooled[i] if md in stocked_modes else 0.0)
        classes.append(row)
    return {"product": product, "template": template, "velocity": v, "parcel": parcel, "path": path,
            "stocked": {md: p + curve for md, p in path.items()}, "cheapest_parcel": cheapest,
            "break_even": {md: (break_even_velocity(p, parcel[cheapest], stocks[template]) if cheapest else None)
                           for md, p in path.items()},
            "classes": classes}


def velocity_tick(x: float) -> str:
    """A velocity tick in plain text: 0.1, 1, 1,000, 100 k, 1 M."""
    if x >= 1e6:
        return f"{x / 1e6:g} M"
    if x >= 1e5:
        return f"{x / 1e3:g} k"
    return f"{x:,g}"


def velocity_figure(inputs, product: str | None = None, template: str | None = None):
    """A matplotlib Figure (Agg, no pyplot) of :func:`velocity_curves` (drawn by :func:`curves_figure`)."""
    return curves_figure(velocity_curves(inputs, product, template))


def separate_labels(fig, labels: list, avoid: list = (), step_pt: float = 2.0, tries: int = 60) -> None:
    """Move each annotation of ``labels`` (placed with ``textcoords="offset points"``), in order, down by
    its own height until its box meets no box placed before it nor any artist of ``avoid`` (the legend),
    so no two labels overlap. Measured on the figure's renderer after its layout is final."""
    renderer = fig.canvas.get_renderer()
    placed = [a.get_window_extent(renderer) for a in avoid if a is not None]
    k = fig.dpi / 72  # points -> pixels
    for t in labels:
        for _ in range(tries):
            bb = t.get_window_extent(renderer)
            if not any(bb.overlaps(p) for p in placed):
                break
            dx, dy = t.xyann
            t.xyann = (dx, dy - bb.height / k - step_pt)
        placed.append(t.get_window_extent(renderer))


@plain_text
def curves_figure(c: dict):
    """The figure of curves ``c`` (:func:`velocity_curves`' dict): log x-axis of velocity, USD per order,
    each stocked regime's curve, each parcel regime flat, the break-even velocity as a vertical line
    labelled beside it, and the classes as points; labels moved apart (:func:`separate_labels`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fig = Figure(figsize=(8, 5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    colours = {md: r.colour for md, r in regimes.REGISTRY.items()}
    v = c["velocity"]
    for md, y in c["stocked"].items():
        ax.plot(v, y, color=colours.get(md), lw=2, label=f"{regimes.label(md)} (path + stock at one hub)")
    for md, y in c["parcel"].items():
        ax.axhline(y, color=colours.get(md), lw=2, ls="--", label=regimes.label(md))
    labels = []
    for md, be in c["break_even"].items():
        if be is not None:
            ax.axvline(be, color=colours.get(md), lw=1, ls=":")
            # horizontal, just right of its line, near the top: moved down below another label it would meet
            labels.append(ax.annotate(f"break-even {be:,.3g}\norders/SKU/yr", (be, 0.97),
                                      xycoords=("data", "axes fraction"), textcoords="offset points",
                                      xytext=(3, 0), ha="left", va="top", fontsize=8, color=colours.get(md),
                                      bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none", alpha=0.8)))
    markers = iter("osD^vP*X")
    for r in c["classes"]:
        mk = next(markers, "o")
        for md in (*c["stocked"], *c["parcel"]):
            if md in r:
                ax.scatter([r["velocity"]], [r[md]], color=colours.get(md), marker=mk, zorder=5, s=36,
                           edgecolor="black", linewidth=0.5)
        labels.append(ax.annotate(str(r["sku_class"]), (r["velocity"], max(r.get(md, 0.0) for md in
                                                                          (*c["stocked"], *c["parcel"]) if md in r)),
                                  textcoords="offset points", xytext=(4, 6), fontsize=8))
    ax.set_xscale("log")
    ax.set_xlim(*v[[0, -1]])
    # plain tick labels: the log axis's default ones are mathtext ($\mathdefault{10^{3}}$), drawn as raw
    # text, long and overlapping, where mathtext is off (model.core.plain_text)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: velocity_tick(x)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    top = max([*c["parcel"].values(), *[r.get(md, 0.0) for r in c["classes"] for md in c["stocked"]], 1.0])
    ax.set_ylim(0, top * 1.6)
    ax.set_xlabel("SKU velocity (orders per SKU per year, log scale)")
    ax.set_ylabel("USD per order (fixed and compliance costs left out)")
    ax.set_title(f"{c['product']}: cost per order against SKU velocity\n"
                 f"stock curve: the {c['template']} class's stock rule; points: each class at its own velocity",
                 fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    legend = ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    separate_labels(fig, labels, avoid=[legend])
    return fig


@plain_text
def write_velocity_png(inputs, path, product: str | None = None, dpi: int = 130) -> None:
    """velocity.png of ``inputs`` (a :class:`model.formulation.ModelInputs`) at ``path``."""
    velocity_figure(inputs, product).savefig(path, dpi=dpi)


def velocity_writers(result) -> dict:
    """{"velocity.png": writer} for :func:`model.report.writer.write_results` when the result has SKU
    classes and regime paths, else {}."""
    inputs = getattr(result, "inputs", None)
    if not getattr(inputs, "class_stocks", None) or getattr(inputs, "regime_paths", None) is None:
        return {}
    try:
        velocity_curves(inputs)
    except ValueError:  # e.g. the largest product's classes are never stocked: nothing to draw
        return {}
    return {"velocity.png": lambda p: write_velocity_png(inputs, p)}


def velocity_table(inputs, product: str | None = None) -> pd.DataFrame:
    """The classes of :func:`velocity_curves` as a table (item, sku_class, velocity, orders, USD per mode)."""
    return pd.DataFrame(velocity_curves(inputs, product)["classes"])
