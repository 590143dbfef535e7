"""Pure cost arithmetic, per order, in USD. No I/O, no Pyomo: easy to check by hand.

Taxes follow Vietnamese practice: import duty = dutiable value x duty rate;
VAT = (dutiable value + import duty) x VAT rate (no special consumption tax in the
default categories).
"""
from __future__ import annotations

import numpy as np

DAYS_PER_YEAR = 365.0


def dutiable_value(sale_value_usd, declared_value_share, on_sale_price):
    """Value the taxes are assessed on (USD per order): the sale price, or the declared import
    (customs) value = sale price x ``declared_value_share``, per ``on_sale_price`` (bool, vectorised)."""
    return np.where(on_sale_price, sale_value_usd, np.asarray(sale_value_usd) * declared_value_share)


def emissions_kg(weight_kg, km, kg_co2e_per_tonne_km):
    """kg CO2e per order over one leg: weight (tonnes) x km x factor (kg CO2e per tonne-km)."""
    return np.asarray(weight_kg) / 1000.0 * np.asarray(km) * kg_co2e_per_tonne_km


def import_duty(value_usd, duty_rate):
    """Import duty per order (USD) = dutiable value x duty rate."""
    return value_usd * duty_rate


def import_vat(value_usd, duty_rate, vat_rate):
    """Import VAT per order (USD) on (value + duty)."""
    return (value_usd + import_duty(value_usd, duty_rate)) * vat_rate


def import_taxes(value_usd, duty_rate, vat_rate):
    """Duty + VAT per order (USD)."""
    return import_duty(value_usd, duty_rate) + import_vat(value_usd, duty_rate, vat_rate)


def output_vat(sale_value_usd, vat_rate):
    """VAT on a domestic sale (USD per order): what the state keeps once import VAT is credited."""
    return np.asarray(sale_value_usd) * vat_rate


def cbec_taxes(value_usd, duty_rate, vat_rate, duty_factor, vat_factor):
    """(duty, VAT) of a CBEC retail import (USD per order): duty x ``duty_factor``, then VAT on
    (value + that duty) x ``vat_factor`` (China: factors 0 and 0.7 within the limits)."""
    duty = import_duty(np.asarray(value_usd), np.asarray(duty_rate) * duty_factor)
    return duty, (np.asarray(value_usd) + duty) * vat_rate * vat_factor


def de_minimis_exempt(value_usd, de_minimis_usd):
    """True where a parcel's value is at or below the exemption threshold ("up to VND 1 M",
    Decision 78/2010/QD-TTg); a threshold of 0 exempts nothing."""
    value = np.asarray(value_usd)
    return (value <= de_minimis_usd) & (de_minimis_usd > 0)


def direct_mail_taxes(value_usd, duty_rate, vat_rate, de_minimis_usd):
    """Duty + VAT on a direct-mail parcel: nothing at or below the de-minimis value, else the full amount."""
    taxes = import_taxes(value_usd, duty_rate, vat_rate)
    return np.where(de_minimis_exempt(value_usd, de_minimis_usd), 0.0, taxes)


def duty_financing_cost(amount_usd, cost_of_capital, days_paid_before_sale):
    """Cost of capital on taxes paid ``days`` before the sale: A x r x d / 365 (USD)."""
    return amount_usd * cost_of_capital * days_paid_before_sale / DAYS_PER_YEAR


def inventory_cost(value_usd, cost_of_capital, obsolescence_rate, days_in_stock):
    """Capital tied up in stock plus dead-stock risk: value x (r + obsolescence) x days / 365 (USD)."""
    return value_usd * (cost_of_capital + obsolescence_rate) * days_in_stock / DAYS_PER_YEAR


def freight_cost(weight_kg, usd_per_kg, usd_per_order=0.0):
    """International freight per order: weight x rate per kg + charge per order (USD)."""
    return weight_kg * usd_per_kg + usd_per_order


def trucking_cost(weight_kg, road_km, usd_per_kg_km):
    """Gateway -> site trucking per order (USD)."""
    return weight_kg * road_km * usd_per_kg_km


def last_mile_cost(weight_kg, road_km, base_usd_per_order, usd_per_kg_km):
    """Parcel delivery to the zone per order: base + weight x km x rate (USD)."""
    return base_usd_per_order + weight_kg * road_km * usd_per_kg_km


def waiting_cost(value_usd, share_per_day, lead_hours):
    """What the buyer's wait costs (USD per order): value x share lost per day x days from order to
    delivery (lost sales, discounts, value of time)."""
    return np.asarray(value_usd) * np.asarray(share_per_day) * np.asarray(lead_hours) / 24.0


def stocked_returns_cost(return_rate, reverse_last_mile_usd, inspection_usd, value_usd, resale_share):
    """Returns of a stocked order (USD per order sold): return rate x (the reverse last mile to the
    site + inspection and restocking + the value not recovered by reselling, (1 - resale) x value)."""
    return np.asarray(return_rate) * (np.asarray(reverse_last_mile_usd) + inspection_usd
                                      + (1.0 - resale_share) * np.asarray(value_usd))


def parcel_returns_cost(return_rate, reverse_last_mile_usd, return_freight_usd, value_usd):
    """Returns of a cross-border parcel (USD per order sold): return rate x (the reverse last mile to
    the gateway + the cheaper of shipping it back abroad and writing it off, min(freight, value))."""
    return np.asarray(return_rate) * (np.asarray(reverse_last_mile_usd)
                                      + np.minimum(np.asarray(return_freight_usd), np.asarray(value_usd)))
