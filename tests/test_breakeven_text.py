"""The break-even switches in one sentence each (model.report.breakeven_text) and the grouping of the
zones that change regime (model.studies.breakeven.mode_shifts), on hand-made results: no solve."""
from __future__ import annotations

from model.report.breakeven_text import interval_text, parameter_words, switch_sentences
from model.report.insight_text import insight_markdown
from model.studies.breakeven import mode_shifts

ZONES = {"01": "Hà Nội", "31": "Hải Phòng", "79": "Hồ Chí Minh", "92": "Cần Thơ"}
REGIONS = {"01": "Red River Delta", "31": "Red River Delta", "79": "Southeast", "92": "Mekong Delta"}


def _point(modes: dict, products: dict, sites=("K01",)) -> dict:
    return {"sites": {k: "small" for k in sites}, "dominant_mode": modes, "product_modes": products}


BELOW = _point({"01": "bonded", "31": "bonded", "92": "bonded", "79": "bonded"},
               {"cosmetics": {"bonded": 900.0, "general_trade": 100.0},
                "supplements_fmcg": {"bonded": 500.0},
                "electronics": {"general_trade": 300.0}})
ABOVE = _point({"01": "general_trade", "31": "general_trade", "92": "general_trade", "79": "bonded"},
               {"cosmetics": {"bonded": 300.0, "general_trade": 700.0},
                "supplements_fmcg": {"bonded": 200.0, "general_trade": 300.0},
                "electronics": {"general_trade": 300.0}}, sites=("K01", "K02"))


def test_zones_changing_the_same_way_are_one_group_with_the_products_that_move():
    """Three zones go bonded -> general trade; cosmetics (600 of 1000 orders) and supplements (300 of 500)
    move that way, electronics (general trade on both sides) does not."""
    assert mode_shifts(BELOW, ABOVE) == [{"below": "bonded", "above": "general_trade", "zones": ["01", "31", "92"],
                                          "products": ["cosmetics", "supplements_fmcg"], "every_product": False}]
    without_electronics = {p: m for p, m in ABOVE["product_modes"].items() if p != "electronics"}
    shift, = mode_shifts({**BELOW, "product_modes": {p: m for p, m in BELOW["product_modes"].items()
                                                     if p != "electronics"}},
                         {**ABOVE, "product_modes": without_electronics})
    assert shift["every_product"]
    assert switch_sentences({"below": 0.63, "above": 0.69, "shifts": [shift]}, "policy.cbec_tax_factor")[0].startswith(
        "bonded CBEC stock replaces general trade for every product below a CBEC tax factor of 0.66")


def test_one_sentence_per_switch_names_the_regimes_products_threshold_and_provinces_by_region():
    switch = {"below": 0.63, "above": 0.69, "change": {"opens": ["K02"], "closes": [], "mode_changes": {}},
              "shifts": mode_shifts(BELOW, ABOVE)}
    lines = switch_sentences(switch, "policy.cbec_tax_factor", "share", ZONES, REGIONS, {"K02": "Bắc Ninh DC"})
    assert lines[0] == ("bonded CBEC stock replaces general trade for cosmetics and supplements fmcg below a "
                        "CBEC tax factor of 0.66 (0.63-0.69), in 3 provinces: Red River Delta (01 Hà Nội, "
                        "31 Hải Phòng); Mekong Delta (92 Cần Thơ).")
    assert lines[1] == "Above a CBEC tax factor of 0.66 (0.63-0.69) the plan opens K02 Bắc Ninh DC."
    assert len(lines) == 2


def test_interval_has_the_digits_that_tell_its_ends_apart_and_the_key_reads_as_words():
    assert interval_text(0.65625, 0.6625) == "0.659 (0.656-0.662)"
    assert interval_text(0.0048, 0.0052, "USD per kg km") == "0.005 USD per kg km (0.0048-0.0052)"
    assert parameter_words("policy.vat_rate") == "VAT rate"


def test_report_opens_the_breakeven_section_with_the_sentences_not_a_line_per_zone():
    """34 zones switching the same way are one sentence, 'every province', not 34 'zone NN' lines."""
    zones = {f"{i:02d}": f"P{i}" for i in range(1, 35)}
    switch = {"below": 0.63, "above": 0.69, "objective_below": 1e6, "objective_above": 1.1e6,
              "change": {"opens": [], "closes": [], "mode_changes": {z: ["bonded", "general_trade"] for z in zones}},
              "text": "x"}  # stored before 'shifts' existed: grouped from mode_changes
    be = {"range": [0.3, 1.0], "unit": "share", "grid": 5, "tol": 0.01, "solves": 10, "seconds": 3, "gap": 0.002,
          "switches": [switch], "near_ties": []}
    lines = insight_markdown({"insight": {"breakeven": {"policy.cbec_tax_factor": be}}}, zones)
    head = lines.index("## Break-even values of `policy.cbec_tax_factor`")
    assert lines[head + 2] == ("- bonded CBEC stock replaces general trade below a CBEC tax factor of 0.66 "
                               "(0.63-0.69), in every province (34).")
    assert not any("zone 0" in x for x in lines)
    assert any("bonded CBEC stock \u2192 general trade in 34 provinces" in x for x in lines)
