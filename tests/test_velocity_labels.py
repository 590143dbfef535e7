"""velocity.png: no two labels overlap (model.report.velocity.curves_figure), on hand-made curves: two
stocked regimes breaking even at 100 and 110 orders/SKU/yr (labels that met at the top of the plot) and
three classes at neighbouring velocities with the same cost (labels on one spot)."""
import itertools

import numpy as np

from model.report.velocity import curves_figure

V = np.geomspace(0.1, 1e6, 240)
CURVES = {
    "product": "cosmetics", "template": "cosmetics:head", "velocity": V,
    "parcel": {"direct_mail": 3.0},
    "path": {"bonded": 1.0, "general_trade": 1.2},
    "stocked": {"bonded": 1.0 + 200 / V, "general_trade": 1.2 + 198 / V},
    "cheapest_parcel": "direct_mail",
    "break_even": {"bonded": 100.0, "general_trade": 110.0},
    "classes": [{"item": f"cosmetics:{k}", "sku_class": k, "velocity": v, "orders": 1e5, "bonded": 2.0,
                 "general_trade": 2.0, "direct_mail": 3.0}
                for k, v in (("head", 1000.0), ("torso", 1100.0), ("tail", 1210.0))],
}


def test_velocity_labels_do_not_overlap():
    fig = curves_figure(CURVES)
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    texts = [t for t in ax.texts if t.get_text()]
    assert len(texts) == 5  # two break-even labels, three classes
    fig.canvas.draw()  # the tick labels exist once drawn
    ticks = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()
             and ax.get_xlim()[0] <= t.get_position()[0] <= ax.get_xlim()[1]]
    assert [t.get_text() for t in ticks] == ["0.1", "1", "10", "100", "1,000", "10,000", "100 k", "1 M"]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts + ticks]
    boxes.append(("legend", ax.get_legend().get_window_extent(renderer)))
    for (a, ba), (b, bb) in itertools.combinations(boxes, 2):
        assert not ba.overlaps(bb), f"{a!r} overlaps {b!r}"
    # each break-even label stays beside its own line: its left edge just right of the line
    for t in texts[:2]:
        x_line = ax.transData.transform((float(t.get_text().split()[1].replace(",", "")), 1))[0]
        assert 0 <= t.get_window_extent(renderer).x0 - x_line < 10
