#!/usr/bin/env python3
"""altgen: a second, independent generator of `tracklane-stream/1` streams.

Written from docs/simulation-format.md and the SP-API Tracking model only, so
that `tracklane replay` can be judged on a world it was not built beside:

- China to US, Canada, the EU, the UK and Japan, with its own warehouses,
  forwarders, services and mode mix (ocean-heavy, China-Europe rail, air, express).
- Durations are log-normal legs with gamma tails: weekly sailings that get
  rolled over, transshipment via Busan or Singapore, multi-day berth queues at
  congested ports, gauge-change queues at the EU rail border, customs holds.
- Carriers report differently: in real time, every hour, every six hours or
  once a day; some name the shipment in every item, some only the tracking
  number; one has carrier-wide feed outages that it backfills; scans go
  missing, arrive days late, out of order and twice.
- Ground truth (`truth` lines) is computed from the definitions in the format
  document.

Standard library only. Deterministic for a seed:

    python3 tools/altgen/altgen.py --seed 7 --shipments 2000 --days 120 --out world.ndjson
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import sys

GENERATOR = "altgen (tools/altgen, python)"
FORMAT = "tracklane-stream/1"
HOUR = 3600
DAY = 86400
EPOCH_START = int(dt.datetime(2026, 1, 4, tzinfo=dt.timezone.utc).timestamp())  # a Sunday
STALE_AFTER = 48 * HOUR
MISSING_GRACE = 24 * HOUR

# --------------------------------------------------------------------------- world

# code, name, marketplace, city, region, postal, country, tz, lat, lon, capacity/day
WAREHOUSES = [
    ("USWRV1", "Riverside West", "US", "Riverside", "CA", "92507", "US", "America/Los_Angeles", 33.95, -117.39, 160000),
    ("USWTRC2", "Tracy", "US", "Tracy", "CA", "95304", "US", "America/Los_Angeles", 37.74, -121.43, 90000),
    ("USSPHX1", "Goodyear", "US", "Goodyear", "AZ", "85338", "US", "America/Phoenix", 33.44, -112.36, 70000),
    ("USCDFW3", "Haslet", "US", "Haslet", "TX", "76052", "US", "America/Chicago", 32.97, -97.35, 110000),
    ("USCIND5", "Plainfield", "US", "Plainfield", "IN", "46168", "US", "America/Indiana/Indianapolis", 39.70, -86.40, 95000),
    ("USEPA7", "Breinigsville", "US", "Breinigsville", "PA", "18031", "US", "America/New_York", 40.54, -75.63, 120000),
    ("USESAV2", "Pooler", "US", "Pooler", "GA", "31322", "US", "America/New_York", 32.11, -81.25, 80000),
    ("CAYYZ4", "Brampton", "CA", "Brampton", "ON", "L6T 5M1", "CA", "America/Toronto", 43.73, -79.76, 60000),
    ("CAYVR2", "Delta", "CA", "Delta", "BC", "V4G 1N2", "CA", "America/Vancouver", 49.14, -122.98, 40000),
    ("DERHB1", "Rheinberg", "DE", "Rheinberg", "NW", "47495", "DE", "Europe/Berlin", 51.54, 6.60, 70000),
    ("DELEJ2", "Leipzig", "DE", "Leipzig", "SN", "04347", "DE", "Europe/Berlin", 51.39, 12.41, 55000),
    ("GBRUG1", "Rugeley", "UK", "Rugeley", "STS", "WS15 1LX", "GB", "Europe/London", 52.76, -1.93, 65000),
    ("GBDUN3", "Dunstable", "UK", "Dunstable", "BDF", "LU5 4RE", "GB", "Europe/London", 51.89, -0.52, 45000),
    ("FRLYS1", "Saint-Priest", "FR", "Saint-Priest", "ARA", "69800", "FR", "Europe/Paris", 45.70, 4.94, 40000),
    ("ITMXP2", "Castel San Giovanni", "IT", "Castel San Giovanni", "PC", "29015", "IT", "Europe/Rome", 45.06, 9.43, 35000),
    ("ESMAD4", "San Fernando de Henares", "ES", "San Fernando de Henares", "MD", "28830", "ES", "Europe/Madrid", 40.42, -3.53, 35000),
    ("JPICH1", "Ichikawa", "JP", "Ichikawa", "12", "272-0193", "JP", "Asia/Tokyo", 35.68, 139.93, 60000),
    ("JPSKI2", "Sakai", "JP", "Sakai", "27", "590-0985", "JP", "Asia/Tokyo", 34.57, 135.47, 45000),
]

# Per warehouse: gateway port (city, region, country, ocean transit median days,
# transshipment chance), airport (city, region, country), drive days from the
# gateway to the warehouse (median).
GATEWAYS = {
    "USWRV1": (("Long Beach", "CA", "US", 16.0, 0.0), ("Los Angeles", "CA", "US"), 0.8),
    "USWTRC2": (("Oakland", "CA", "US", 17.5, 0.0), ("San Francisco", "CA", "US"), 0.6),
    "USSPHX1": (("Long Beach", "CA", "US", 16.0, 0.0), ("Los Angeles", "CA", "US"), 1.6),
    "USCDFW3": (("Houston", "TX", "US", 31.0, 0.3), ("Dallas", "TX", "US"), 1.5),
    "USCIND5": (("Long Beach", "CA", "US", 16.0, 0.0), ("Chicago", "IL", "US"), 5.5),
    "USEPA7": (("Newark", "NJ", "US", 34.0, 0.2), ("New York", "NY", "US"), 1.2),
    "USESAV2": (("Savannah", "GA", "US", 32.0, 0.2), ("Atlanta", "GA", "US"), 0.6),
    # Brampton through Tacoma (US) and a cross-border drive: a transit country.
    "CAYYZ4": (("Tacoma", "WA", "US", 15.0, 0.0), ("Toronto", "ON", "CA"), 6.0),
    "CAYVR2": (("Vancouver", "BC", "CA", 15.0, 0.0), ("Vancouver", "BC", "CA"), 0.5),
    # Germany through Rotterdam (NL), the UK through Felixstowe.
    "DERHB1": (("Rotterdam", "ZH", "NL", 33.0, 0.35), ("Frankfurt", "HE", "DE"), 1.0),
    "DELEJ2": (("Hamburg", "HH", "DE", 35.0, 0.35), ("Leipzig", "SN", "DE"), 1.0),
    "GBRUG1": (("Felixstowe", "SFK", "GB", 35.0, 0.3), ("London", "LND", "GB"), 1.0),
    "GBDUN3": (("Southampton", "HAM", "GB", 36.0, 0.3), ("London", "LND", "GB"), 0.7),
    "FRLYS1": (("Le Havre", "NOR", "FR", 34.0, 0.35), ("Paris", "IDF", "FR"), 1.2),
    "ITMXP2": (("Genoa", "LIG", "IT", 28.0, 0.3), ("Milan", "LOM", "IT"), 0.7),
    "ESMAD4": (("Valencia", "VC", "ES", 30.0, 0.3), ("Madrid", "MD", "ES"), 0.8),
    "JPICH1": (("Tokyo", "13", "JP", 5.5, 0.4), ("Narita", "12", "JP"), 0.5),
    "JPSKI2": (("Osaka", "27", "JP", 5.0, 0.4), ("Osaka", "27", "JP"), 0.4),
}

# Origin city, province, postal code, export port, airport, rail terminal.
ORIGINS = [
    ("Shenzhen", "GD", "518000", ("Yantian", "GD"), ("Shenzhen", "GD"), ("Chongqing", "CQ"), 0.24),
    ("Dongguan", "GD", "523000", ("Yantian", "GD"), ("Shenzhen", "GD"), ("Chongqing", "CQ"), 0.12),
    ("Guangzhou", "GD", "510000", ("Nansha", "GD"), ("Guangzhou", "GD"), ("Chongqing", "CQ"), 0.10),
    ("Xiamen", "FJ", "361000", ("Xiamen", "FJ"), ("Xiamen", "FJ"), ("Xi'an", "SN"), 0.06),
    ("Ningbo", "ZJ", "315000", ("Ningbo", "ZJ"), ("Shanghai", "SH"), ("Yiwu", "ZJ"), 0.12),
    ("Yiwu", "ZJ", "322000", ("Ningbo", "ZJ"), ("Shanghai", "SH"), ("Yiwu", "ZJ"), 0.14),
    ("Suzhou", "JS", "215000", ("Shanghai", "SH"), ("Shanghai", "SH"), ("Xi'an", "SN"), 0.12),
    ("Qingdao", "SD", "266000", ("Qingdao", "SD"), ("Qingdao", "SD"), ("Xi'an", "SN"), 0.10),
]

MARKETPLACE_SHARE = [("US", 0.50), ("DE", 0.11), ("UK", 0.10), ("FR", 0.04), ("IT", 0.03),
                     ("ES", 0.03), ("JP", 0.11), ("CA", 0.08)]
MODE_MIX = {
    "US": [("OCEAN", 0.62), ("AIR", 0.14), ("EXPRESS", 0.24)],
    "CA": [("OCEAN", 0.70), ("AIR", 0.10), ("EXPRESS", 0.20)],
    "JP": [("OCEAN", 0.45), ("AIR", 0.20), ("EXPRESS", 0.35)],
    "EU": [("OCEAN", 0.45), ("RAIL", 0.25), ("AIR", 0.10), ("EXPRESS", 0.20)],
}
EU = {"DE", "UK", "FR", "IT", "ES"}
ALL_MARKETS = ["US", "CA", "DE", "UK", "FR", "IT", "ES", "JP"]

# code, name, modes, marketplaces, capabilities, tracking prefix,
# report style (kind, period h, offset h), names the shipment in items,
# scan loss, late-report chance, late tracking chance
CARRIERS = [
    ("HAIXIN_LOGISTICS", "Haixin International Logistics", ["OCEAN", "RAIL"],
     ["US", "CA", "DE", "UK", "FR", "IT", "ES"], ["ship_track", "smart_reroute", "dw_automation"],
     "HXL", ("periodic", 24, 1.5), "confirmation", 0.04, 0.03, 0.03),
    ("PEARL_RIVER_FWD", "Pearl River Forwarding", ["OCEAN", "AIR"], ["US", "CA", "JP"],
     ["ship_track", "smart_reroute"], "PRF", ("periodic", 6, 5.0), "shipment", 0.08, 0.05, 0.10),
    ("YUNDA_XB", "Yunda Cross-Border Express", ["EXPRESS", "AIR"], ALL_MARKETS,
     ["ship_track", "dw_automation"], "YXB", ("realtime", 0, 0), None, 0.03, 0.02, 0.02),
    ("EURASIA_RAIL", "Eurasia Rail Bridge", ["RAIL", "OCEAN"], ["DE", "UK", "FR", "IT", "ES"],
     ["ship_track", "smart_reroute", "dw_automation"], "EAR", ("periodic", 12, 0.0), "confirmation",
     0.06, 0.04, 0.04),
    ("NIPPON_BRIDGE", "Nippon Bridge Logistics", ["OCEAN", "AIR", "EXPRESS"], ["JP", "US"],
     ["ship_track", "smart_reroute", "dw_automation"], "NBJ", ("periodic", 1, 0.66), "confirmation",
     0.02, 0.02, 0.02),
    ("MAPLE_CROSSING", "Maple Crossing Freight", ["OCEAN", "AIR"], ["CA", "US"],
     ["ship_track", "smart_reroute"], "MPC", ("periodic", 1, 0.25), None, 0.05, 0.03, 0.25),
]

SERVICES = {
    ("OCEAN", "FTL"): ["OCEAN_FCL_PREMIUM", "OCEAN_FCL"],
    ("OCEAN", "LTL"): ["OCEAN_LCL", "OCEAN_LCL_ECONOMY"],
    ("AIR", "LTL"): ["AIR_CONSOL", "AIR_DIRECT"],
    ("AIR", "SMALL_PARCEL"): ["AIR_PARCEL"],
    ("EXPRESS", "SMALL_PARCEL"): ["EXPRESS_DDP", "EXPRESS_SAVER"],
    ("RAIL", "FTL"): ["RAIL_BLOCKTRAIN"],
    ("RAIL", "LTL"): ["RAIL_GROUPAGE"],
}

# What sellers quote themselves, in days from the ship date (their window guess).
QUOTED_DAYS = {"OCEAN": 34.0, "AIR": 10.0, "EXPRESS": 7.0, "RAIL": 24.0}

SELLER_WORDS = ["Anhe", "Brightway", "Chenguang", "Dawei", "Everbright", "Fenghua", "Goldleaf",
                "Hengda", "Jinma", "Kaixuan", "Longteng", "Minghui", "Nanfeng", "Oriental",
                "Pinghe", "Qiaoxing", "Ruyi", "Shengli", "Tianyu", "Wanjia", "Xinhe", "Yaolan",
                "Zhongxing", "Baicao", "Cuiwei", "Dongsheng", "Fuxing", "Guanghua"]
SELLER_TRADES = ["Home", "Outdoor", "Toys", "Electronics", "Kitchen", "Pets", "Sports", "Beauty"]


def iso(t: float) -> str:
    return dt.datetime.fromtimestamp(int(t), tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_of(t: float) -> dt.date:
    return dt.datetime.fromtimestamp(int(t), tz=dt.timezone.utc).date()


def midnight(d: dt.date) -> int:
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.timezone.utc).timestamp())


def week_of(d: dt.date) -> tuple[dt.date, dt.date]:
    """The Sunday–Saturday week holding `d`."""
    start = d - dt.timedelta(days=(d.weekday() + 1) % 7)
    return start, start + dt.timedelta(days=6)


def pick(rng: random.Random, weighted):
    x = rng.random() * sum(w for _, w in weighted)
    for value, w in weighted:
        x -= w
        if x <= 0:
            return value
    return weighted[-1][0]


def lognormal_days(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma)) * DAY


def gamma_days(rng: random.Random, shape: float, scale: float) -> float:
    return rng.gammavariate(shape, scale) * DAY


class Uuid:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def __call__(self, prefix: str) -> str:
        b = bytearray(self.rng.getrandbits(128).to_bytes(16, "big"))
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        h = b.hex()
        return f"{prefix}{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


# --------------------------------------------------------------------------- congestion


class Congestion:
    """Time-varying queues: berth waits per port, gauge-change waits at the EU
    rail border, and receiving backlogs per warehouse."""

    def __init__(self, rng: random.Random, start: int, end: int):
        self.rng = rng
        self.start = start
        self.end = end
        self.port_episodes: dict[str, list[tuple[int, int, float]]] = {}
        self.border = self._episodes(rng, 0.035, 6, 20, 2.0, 7.0)
        self.warehouse_episodes = {
            w[0]: self._episodes(rng, 0.03 if w[2] == "US" else 0.02, 8, 28, 4.0, 11.0)
            for w in WAREHOUSES
        }
        self.base_backlog_days = {w[0]: rng.uniform(0.6, 2.4) for w in WAREHOUSES}

    def _episodes(self, rng, rate_per_day, min_days, max_days, min_level, max_level):
        out = []
        t = self.start - 20 * DAY
        while t < self.end:
            t += int(rng.expovariate(rate_per_day) * DAY)
            length = rng.uniform(min_days, max_days) * DAY
            out.append((t, int(t + length), rng.uniform(min_level, max_level)))
            t += int(length)
        return out

    @staticmethod
    def _level(episodes, t):
        for s, e, level in episodes:
            if s <= t < e:
                # Ramps up over the first third, down over the last third.
                frac = (t - s) / (e - s)
                return level * min(1.0, 3 * frac, 3 * (1 - frac))
        return 0.0

    def berth_wait(self, port: str, t: float) -> float:
        if port not in self.port_episodes:
            busy = port in ("Long Beach", "Oakland", "Rotterdam", "Felixstowe", "Savannah", "Tacoma")
            self.port_episodes[port] = self._episodes(
                self.rng, 0.03 if busy else 0.012, 10, 35, 2.5, 9.0)
        level = self._level(self.port_episodes[port], t)
        if level <= 0:
            return self.rng.uniform(0.1, 0.8) * DAY
        return gamma_days(self.rng, 4.0, level / 4.0)

    def border_wait(self, t: float) -> float:
        level = self._level(self.border, t)
        return gamma_days(self.rng, 2.0, 0.6) + (gamma_days(self.rng, 3.0, level / 3.0) if level else 0)

    def backlog_days(self, code: str, t: float) -> float:
        return self.base_backlog_days[code] + self._level(self.warehouse_episodes[code], t)


# --------------------------------------------------------------------------- journeys


class Step:
    __slots__ = ("code", "sub", "city", "region", "country", "t")

    def __init__(self, code, sub, place, t):
        self.code = code
        self.sub = sub
        self.city, self.region, self.country = place
        self.t = int(t)


def customs(rng, steps, t, place, hold_chance):
    """Customs at `place` from `t`: maybe a hold, then cleared. Returns the new clock."""
    if rng.random() < 0.5:
        steps.append(Step("CUSTOMS_PROCESSING", None, place, t))
        t += lognormal_days(rng, 0.3, 0.5)
    if rng.random() < hold_chance:
        kind = pick(rng, [(("CUSTOMS_HOLD", "PENDING_INSPECTION"), 0.45),
                          (("CUSTOMS_HOLD", "INSUFFICIENT_PAPERWORK"), 0.25),
                          (("CUSTOMS_PAYMENT_REQUIRED", "DUTIES_TAX_PENDING"), 0.15),
                          (("CUSTOMS_HOLD_DISCHARGE_PORT", None), 0.15)])
        steps.append(Step(kind[0], kind[1], place, t))
        t += gamma_days(rng, 1.6, 2.2) + 0.3 * DAY
    else:
        t += lognormal_days(rng, 0.6, 0.6)
    steps.append(Step("CUSTOMS_CLEARED", None, place, t))
    return t


def last_mile(rng, steps, t, hub, warehouse_place, drive_median, freight, fail_chance):
    """From the gateway to the warehouse door: returns nothing, appends steps."""
    steps.append(Step("DEPARTED_TERMINAL", None, hub, t))
    drive = lognormal_days(rng, drive_median, 0.35)
    if drive > 3 * DAY:
        mid = t + drive * rng.uniform(0.45, 0.7)
        steps.append(Step("ARRIVED_AT_TERMINAL", None, warehouse_place, mid))
    t += drive
    # Deliveries land in the receiving hours of the warehouse (UTC-agnostic here).
    if freight and rng.random() < 0.55:
        steps.append(Step("OUT_FOR_DELIVERY", None, warehouse_place, t - rng.uniform(2, 6) * HOUR))
    elif not freight:
        steps.append(Step("OUT_FOR_DELIVERY", None, warehouse_place, t - rng.uniform(1, 5) * HOUR))
    if rng.random() < fail_chance:
        steps.append(Step("DELIVERY_ATTEMPTED",
                          rng.choice(["APPOINTMENT_REQUIRED", "BUSINESS_CLOSED", "CARRIER_NO_ACCESS",
                                      "DELIVERY_DATE_MISMATCH"]), warehouse_place, t))
        t += gamma_days(rng, 1.5, 1.1) + 0.4 * DAY
        steps.append(Step("OUT_FOR_DELIVERY", None, warehouse_place, t - rng.uniform(1, 4) * HOUR))
    steps.append(Step("DELIVERED", None, warehouse_place, t))


def journey(rng, cong: Congestion, s) -> list[Step]:
    """Every true milestone of a shipment, in time order."""
    origin = s["origin"]
    wh = s["wh"]
    port, airport, drive = GATEWAYS[wh[0]]
    dest_country = wh[6]
    wplace = (wh[3], wh[4], wh[6])
    cn = lambda city_region: (city_region[0], city_region[1], "CN")  # noqa: E731
    steps: list[Step] = []
    t = s["pickup"]
    steps.append(Step("PICKED_UP", None, (origin[0], origin[1], "CN"), t))
    mode = s["freight_mode"]
    freight = s["shipping_mode"] != "SMALL_PARCEL"
    if mode == "OCEAN":
        cfs = cn(origin[3])
        t += lognormal_days(rng, 1.1, 0.5)
        steps.append(Step("RECEIVED_AT_ORIGIN", None, cfs, t))
        economy = s["service"] in ("OCEAN_LCL_ECONOMY", "OCEAN_LCL") if s["service"] else False
        # Weekly sailings on the lane's weekday, cut-off 36 h before.
        weekday = (hash_str(origin[3][0] + wh[0]) % 7)
        sail = day_start(t + 36 * HOUR)
        while dt.datetime.fromtimestamp(sail, tz=dt.timezone.utc).weekday() != weekday:
            sail += DAY
        sail += int(rng.uniform(10, 20) * HOUR)
        if s["shipping_mode"] == "LTL" and rng.random() < 0.5:
            steps.append(Step("CONTAINERIZED", None, cfs, t + rng.uniform(0.3, 0.8) * (sail - t)))
        rolls = 0
        roll_chance = 0.16 if economy else 0.08
        while rng.random() < roll_chance and rolls < 3:
            rolls += 1
            steps.append(Step("DELAYED", rng.choice(["CARRIER_NO_CAPACITY", "SCHEDULE_ADJUSTMENT"]),
                              cfs, sail - rng.uniform(6, 30) * HOUR))
            sail += 7 * DAY
        steps.append(Step("LOADED", None, cfs, sail - rng.uniform(8, 20) * HOUR))
        steps.append(Step("DEPARTED", None, cfs, sail))
        transit = lognormal_days(rng, port[3], 0.06)
        if rng.random() < 0.07:
            transit += gamma_days(rng, 2.0, 1.5)  # weather, blank sailing, slow steaming
        t = sail
        if rng.random() < port[4]:
            hub = ("Busan", "26", "KR") if dest_country in ("JP", "US", "CA") else ("Singapore", "SG", "SG")
            t += transit * 0.3
            steps.append(Step("ARRIVED", None, hub, t))
            t += gamma_days(rng, 2.5, 1.2)
            steps.append(Step("DEPARTED", None, hub, t))
            t += transit * 0.75
        else:
            t += transit
        gate = (port[0], port[1], port[2])
        steps.append(Step("ARRIVED", None, gate, t))
        t += cong.berth_wait(port[0], t)
        steps.append(Step("UNLOADED", None, gate, t))
        t += lognormal_days(rng, 0.4, 0.5)
        hold = 0.06 if dest_country == "US" else 0.035
        t = customs(rng, steps, t, gate, hold)
        t += lognormal_days(rng, 0.8, 0.5)
        if port[2] != dest_country:
            # Cross-border truck: the first scan in the destination country.
            mid = t + lognormal_days(rng, drive * 0.5, 0.3)
            steps.append(Step("DEPARTED_TERMINAL", None, gate, t))
            steps.append(Step("ARRIVED_AT_TERMINAL", None, (airport[0], airport[1], airport[2]), mid))
            last_mile(rng, steps, mid + lognormal_days(rng, 0.5, 0.4), (airport[0], airport[1], airport[2]),
                      wplace, drive * 0.5, freight, 0.03)
        else:
            last_mile(rng, steps, t, gate, wplace, drive, freight, 0.03)
    elif mode == "AIR":
        ap = cn(origin[4])
        t += lognormal_days(rng, 0.7, 0.5)
        steps.append(Step("RECEIVED_AT_ORIGIN", None, ap, t))
        t += lognormal_days(rng, 1.3, 0.6)
        if rng.random() < 0.09:  # offloaded: no space on the booked flight
            steps.append(Step("DELAYED", "CARRIER_NO_CAPACITY", ap, t))
            t += gamma_days(rng, 2.0, 1.2)
        steps.append(Step("DEPARTED", None, ap, t))
        gate = (airport[0], airport[1], airport[2])
        t += lognormal_days(rng, 1.2, 0.35)
        steps.append(Step("ARRIVED", None, gate, t))
        t += lognormal_days(rng, 0.5, 0.6)
        t = customs(rng, steps, t, gate, 0.04)
        t += lognormal_days(rng, 0.5, 0.5)
        last_mile(rng, steps, t, gate, wplace, min(drive, 1.5), freight, 0.02)
    elif mode == "EXPRESS":
        hub = cn(origin[4])
        t += lognormal_days(rng, 0.4, 0.5)
        steps.append(Step("SORTED", None, hub, t))
        t += lognormal_days(rng, 0.8, 0.5)
        steps.append(Step("DEPARTED", None, hub, t))
        gate = (airport[0], airport[1], airport[2]) if airport[2] == dest_country else wplace
        t += lognormal_days(rng, 1.0, 0.3)
        steps.append(Step("ARRIVED_IN_DESTINATION_COUNTRY", None, gate, t))
        t = customs(rng, steps, t, gate, 0.025)
        t += lognormal_days(rng, 0.4, 0.5)
        steps.append(Step("ARRIVED_AT_TERMINAL", None, wplace, t))
        t += lognormal_days(rng, 0.6 + 0.2 * drive, 0.4)
        if rng.random() < 0.025:
            steps.append(Step("DELIVERY_ATTEMPTED", rng.choice(["BUSINESS_CLOSED", "APPOINTMENT_REQUIRED"]),
                              wplace, t))
            t += gamma_days(rng, 1.5, 0.8) + 0.5 * DAY
        steps.append(Step("OUT_FOR_DELIVERY", None, wplace, t - rng.uniform(2, 6) * HOUR))
        steps.append(Step("DELIVERED", None, wplace, t))
    else:  # RAIL, China to Europe
        term = cn(origin[5])
        t += lognormal_days(rng, 2.0 if origin[5][0] != origin[0] else 0.6, 0.4)
        steps.append(Step("ARRIVED_AT_RAIL_TERMINAL", None, term, t))
        t += lognormal_days(rng, 2.5, 0.5)
        steps.append(Step("LOADED_TRAIN", None, term, t))
        t += lognormal_days(rng, 0.4, 0.5)
        steps.append(Step("DEPARTED_RAIL_TERMINAL", None, term, t))
        kz = ("Dostyk", "ABY", "KZ")
        t += lognormal_days(rng, 4.0, 0.2)
        steps.append(Step("ARRIVED_AT_RAIL_TERMINAL", None, kz, t))
        t += gamma_days(rng, 2.0, 0.7)
        steps.append(Step("DEPARTED_RAIL_TERMINAL", None, kz, t))
        pl = ("Malaszewicze", "LU", "PL")
        t += lognormal_days(rng, 7.5, 0.15)
        steps.append(Step("ARRIVED_AT_RAIL_TERMINAL", None, pl, t))
        t += cong.border_wait(t)
        t = customs(rng, steps, t, pl, 0.05)
        steps.append(Step("DEPARTED_RAIL_TERMINAL", None, pl, t + 0.3 * DAY))
        t += lognormal_days(rng, 2.2, 0.25)
        de = ("Duisburg", "NW", "DE")
        steps.append(Step("ARRIVED_AT_RAIL_TERMINAL", None, de, t))
        t += lognormal_days(rng, 0.7, 0.4)
        steps.append(Step("UNLOADED_TRAIN", None, de, t))
        t += lognormal_days(rng, 0.5, 0.4)
        onward = {"DE": 0.6, "UK": 2.5, "FR": 1.6, "IT": 2.0, "ES": 2.6}[s["marketplace"]]
        last_mile(rng, steps, t, de, wplace, onward, freight, 0.03)
    steps.sort(key=lambda x: x.t)
    return steps


def hash_str(text: str) -> int:
    h = 2166136261
    for ch in text.encode():
        h = ((h ^ ch) * 16777619) & 0xFFFFFFFF
    return h


def day_start(t: float) -> int:
    return int(t) // DAY * DAY


# --------------------------------------------------------------------------- reporting


class Carrier:
    def __init__(self, row, rng: random.Random, start: int, end: int):
        (self.code, self.name, self.modes, self.markets, self.caps, self.prefix, self.style,
         self.names_shipment, self.loss, self.late, self.late_tracking) = row
        self.outages: list[tuple[int, int]] = []
        if self.code == "PEARL_RIVER_FWD":
            # Feed outages: nothing arrives, then everything held back at once.
            t = start
            while t < end:
                t += int(rng.expovariate(1 / 35.0) * DAY)
                length = int(rng.uniform(2.5, 7.0) * DAY)
                self.outages.append((t, t + length))
                t += length

    def push_time(self, rng: random.Random, ready: float) -> int:
        """When an item that can be sent from `ready` reaches the hub."""
        kind, period, offset = self.style
        if kind == "realtime":
            at = ready + rng.lognormvariate(math.log(25 * 60), 0.8)
            at = (int(at) // 600 + 1) * 600 - 1  # gathered in ten-minute posts
        else:
            ready += rng.uniform(10, 50) * 60
            p = int(period * HOUR)
            o = int(offset * HOUR)
            at = ((int(ready) - o) // p + 1) * p + o
        for s, e in self.outages:
            if s <= at < e:
                at = e + int(rng.uniform(5, 90) * 60)
        return int(at)


# --------------------------------------------------------------------------- generation


def generate(seed: int, shipments: int, days: int, warmup_days: int, invalid_rate: float,
             max_boxes: int = 28, backlog_days: int = 1):
    rng = random.Random(seed)
    uuid = Uuid(random.Random(seed * 7919 + 1))
    start = EPOCH_START
    create_end = start + days * DAY
    horizon_end = create_end + 150 * DAY
    cong = Congestion(rng, start, horizon_end)
    carriers = [Carrier(row, rng, start, horizon_end) for row in CARRIERS]

    sellers = []
    for i in range(28):
        sid = "A" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(12))
        sellers.append({
            "id": sid,
            "name": f"{SELLER_WORDS[i]} {rng.choice(SELLER_TRADES)} Co., Ltd.",
            # How sellers guess: optimistic or padded, and how loosely.
            "bias": rng.gauss(-1.5, 2.5),
            "noise": rng.uniform(1.0, 5.0),
            "automation": rng.random() < 0.75,
            "late": rng.uniform(0.0, 0.25),
            "weight": rng.paretovariate(1.2),
        })

    world = []
    for w in WAREHOUSES:
        code, name, market, city, region, postal, country, tz, lat, lon, cap = w
        world.append({
            "type": "warehouse", "code": code, "name": name, "marketplace": market,
            "address": {"name": f"Amazon {code}", "addressLine1": f"{rng.randint(100, 9999)} Logistics Way",
                        "city": city, "stateOrProvinceCode": region, "postalCode": postal,
                        "countryCode": country},
            "timeZone": tz, "latitude": lat, "longitude": lon,
            "receivingCapacityUnitsPerDay": cap,
            "backlogUnits": int(cap * cong.backlog_days(code, start)),
        })
    for c in carriers:
        world.append({
            "type": "carrier", "code": c.code, "name": c.name,
            "website": f"https://www.{c.code.lower().replace('_', '-')}.example",
            "marketplaces": c.markets, "modes": c.modes, "capabilities": c.caps,
        })
    for s in sellers:
        world.append({"type": "seller", "id": s["id"], "name": s["name"]})

    events: list[tuple[int, int, dict]] = []  # (at, tie-break, line)
    seq = [0]

    def emit(at, line, prio=5):
        seq[0] += 1
        events.append((int(at), prio, seq[0], line))

    # Milestone items waiting for their push: (carrier code, at) -> items
    pushes: dict[tuple[str, int], list[dict]] = {}
    truths = []
    tracking_serial = [rng.randint(10_000_000, 20_000_000)]
    invalid_items = [0]
    confirmation_seen = set()
    by_market = {}
    for w in WAREHOUSES:
        by_market.setdefault(w[2], []).append(w)

    for n in range(shipments):
        # Creation: more on weekdays, a lull around the Lunar New Year (mid-Feb 2026).
        while True:
            created = start + rng.random() * days * DAY
            d = day_of(created)
            weight = 0.55 if d.weekday() >= 5 else 1.0
            if dt.date(2026, 2, 14) <= d <= dt.date(2026, 2, 24):
                weight *= 0.35
            if rng.random() < weight:
                break
        created = day_start(created) + int(rng.uniform(0.5, 11.0) * HOUR)  # China office hours
        seller = pick(rng, [(s, s["weight"]) for s in sellers])
        market = pick(rng, MARKETPLACE_SHARE)
        wh = rng.choice(by_market[market])
        mode = pick(rng, MODE_MIX["EU" if market in EU else market])
        if mode == "EXPRESS":
            shipping = "SMALL_PARCEL"
        elif mode == "AIR":
            shipping = "LTL" if rng.random() < 0.75 else "SMALL_PARCEL"
        else:
            shipping = "FTL" if rng.random() < 0.35 else "LTL"
        able = [c for c in carriers if mode in c.modes and market in c.markets]
        carrier = rng.choice(able)
        service = rng.choice(SERVICES[(mode, shipping)]) if rng.random() > 0.07 else None
        origin = pick(rng, [(o, o[6]) for o in ORIGINS])
        while True:
            confirmation = "FBA" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTVWXYZ") for _ in range(9))
            if confirmation not in confirmation_seen:
                confirmation_seen.add(confirmation)
                break
        if shipping == "SMALL_PARCEL":
            nboxes = min(1 + int(rng.expovariate(1 / 3.0)), 24, max_boxes)
            per = [rng.randint(12, 96) for _ in range(nboxes)]
        elif shipping == "LTL":
            nboxes = min(rng.randint(2, 16), max_boxes)
            per = [rng.randint(150, 800) for _ in range(nboxes)]
        else:
            nboxes = min(rng.randint(20, 28), max_boxes)
            per = [rng.randint(300, 900) for _ in range(nboxes)]
        unit_grams = rng.uniform(120, 1400)
        boxes = [{"boxId": f"{confirmation}U{i + 1:06d}", "units": u,
                  "weightGrams": int(u * unit_grams) + (18000 if shipping != "SMALL_PARCEL" else 600)}
                 for i, u in enumerate(per)]
        lead = {"EXPRESS": 2.0, "AIR": 3.0, "OCEAN": 6.0, "RAIL": 5.0}[mode]
        ship_date = day_of(created + lognormal_days(rng, lead, 0.4) + DAY)
        pickup = midnight(ship_date) + rng.uniform(2, 11) * HOUR
        if rng.random() < seller["late"]:
            pickup += gamma_days(rng, 1.5, 1.5)  # the seller is not ready
        s = {"origin": origin, "wh": wh, "freight_mode": mode, "shipping_mode": shipping,
             "service": service, "marketplace": market, "pickup": pickup}
        steps = journey(rng, cong, s)
        fate = rng.random()
        vanished_at = None
        lost_scan = False
        if fate < 0.006 and len(steps) > 4:  # the freight vanishes after some scan
            cut = rng.randint(2, len(steps) - 2)
            steps = steps[:cut]
            vanished_at = steps[-1].t
        elif fate < 0.009 and len(steps) > 4:  # the carrier admits it lost the freight
            cut = rng.randint(2, len(steps) - 2)
            lost = Step("LOST", "SHIPMENT_MISSING", (steps[cut - 1].city, steps[cut - 1].region,
                                                     steps[cut - 1].country),
                        steps[cut - 1].t + gamma_days(rng, 3.0, 2.0))
            steps = steps[:cut] + [lost]
            lost_scan = True
        arrived = next((st.t for st in steps if st.code == "DELIVERED"), None)

        # The seller's window: the week of its own guess.
        window = None
        if rng.random() > 0.04:
            guess = pickup + (QUOTED_DAYS[mode] + seller["bias"] + rng.gauss(0, seller["noise"])) * DAY
            window = week_of(day_of(max(guess, created + 2 * DAY)))
        allows = seller["automation"] if rng.random() > 0.15 else not seller["automation"]

        sid = uuid("sh")
        line = {
            "type": "shipment", "at": iso(created), "shipmentId": sid, "inboundPlanId": uuid("wf"),
            "confirmationId": confirmation, "seller": seller["id"],
            "origin": {"name": seller["name"], "addressLine1": f"No. {rng.randint(1, 300)} Industrial Road",
                       "city": origin[0], "stateOrProvinceCode": origin[1], "postalCode": origin[2],
                       "countryCode": "CN"},
            "warehouse": wh[0], "marketplace": market, "shippingMode": shipping, "freightMode": mode,
            "boxes": boxes, "shipDate": ship_date.isoformat(),
        }
        # Optional fields, left out now and then to prove they are optional.
        if rng.random() > 0.05:
            line["name"] = f"{seller['name'].split()[0]} {mode.lower()} {ship_date.isoformat()}"
        if service is not None:
            line["service"] = service
        if rng.random() > 0.03:
            line["carrier"] = carrier.code
        if window is not None:
            line["deliveryWindow"] = {"startDate": window[0].isoformat(), "endDate": window[1].isoformat()}
        if allows or rng.random() < 0.5:
            line["allowsWindowAutomation"] = allows
        emit(created, line, prio=0)

        # Tracking numbers: one per box for parcels, one PRO for freight.
        numbers = []
        for _ in range(nboxes if shipping == "SMALL_PARCEL" else 1):
            tracking_serial[0] += rng.randint(1, 97)
            numbers.append(f"{carrier.prefix}{tracking_serial[0]:010d}")
        upload = created + rng.uniform(0.2, 1.0) * max(midnight(ship_date) - created, HOUR)
        if rng.random() < carrier.late_tracking:
            upload = midnight(ship_date) + MISSING_GRACE + gamma_days(rng, 2.0, 1.6)
        never_uploaded = vanished_at is not None and rng.random() < 0.3
        items = []
        for i, num in enumerate(numbers):
            item = {"trackingNumber": num}
            if shipping == "SMALL_PARCEL":
                item["boxId"] = boxes[i]["boxId"]
                item["mode"] = "SMALL_PARCEL"
            elif rng.random() < 0.8:
                item["mode"] = shipping
            items.append(item)
        if not never_uploaded:
            emit(upload, {"type": "tracking", "at": iso(upload), "carrier": carrier.code,
                          "shipmentId": sid if rng.random() < 0.7 else confirmation, "items": items}, prio=1)
        known_tracking = upload if not never_uploaded else math.inf

        # Reports: which scans of which box reach the hub, and when.
        units = range(nboxes) if shipping == "SMALL_PARCEL" else [0]
        known_step = [math.inf] * len(steps)
        first_push_with_id = math.inf
        feed_gap = None
        if rng.random() < 0.025 and arrived is not None:  # this shipment's feed goes dark a while
            a = rng.randint(1, len(steps) - 1)
            feed_gap = (steps[a].t, steps[a].t + gamma_days(rng, 3.0, 2.0))
        for u in units:
            jitter = 0 if shipping != "SMALL_PARCEL" else rng.randint(0, 3 * HOUR)
            for k, st in enumerate(steps):
                occurred = st.t + (jitter if k > 0 else 0)
                essential = st.code in ("DELIVERED", "LOST")
                loss = carrier.loss * (2.5 if st.country == "KZ" else 1.0)
                if st.code == "DELIVERED":
                    loss = 0.012
                if not essential and rng.random() < loss:
                    continue
                ready = occurred
                if feed_gap and feed_gap[0] <= occurred < feed_gap[1]:
                    ready = feed_gap[1]
                if rng.random() < carrier.late:
                    ready += gamma_days(rng, 1.6, 1.2)
                if carrier.names_shipment is None:
                    # Without the shipment in the item, nothing can land before the numbers do.
                    if known_tracking == math.inf:
                        continue
                    ready = max(ready, known_tracking + 600)
                at = carrier.push_time(rng, ready)
                item = {"trackingNumber": numbers[u]}
                if carrier.names_shipment == "confirmation":
                    item["shipmentId"] = confirmation
                elif carrier.names_shipment == "shipment":
                    item["shipmentId"] = sid
                if shipping == "SMALL_PARCEL" and carrier.names_shipment:
                    item["boxId"] = boxes[u]["boxId"]
                status = {"code": st.code}
                if st.sub:
                    status["subCode"] = st.sub
                if rng.random() < 0.3:
                    status["description"] = st.code.replace("_", " ").capitalize()
                item["status"] = status
                if rng.random() > 0.02:
                    addr = {"city": st.city, "countryCode": st.country}
                    if st.region and rng.random() < 0.7:
                        addr["region"] = st.region
                    item["location"] = {"address": addr}
                item["occurredAt"] = iso(occurred)
                if rng.random() > 0.1:
                    item["eventId"] = f"{carrier.prefix}-{rng.getrandbits(48):012X}"
                if rng.random() < invalid_rate:
                    # Meant to be refused, as the API refuses it: a broken time.
                    item["occurredAt"] = iso(occurred).replace("T", " ").rstrip("Z")
                    invalid_items[0] += 1
                    pushes.setdefault((carrier.code, at), []).append(item)
                    continue
                pushes.setdefault((carrier.code, at), []).append(item)
                known_step[k] = min(known_step[k], at)
                if carrier.names_shipment:
                    first_push_with_id = min(first_push_with_id, at)
                if rng.random() < 0.03:  # sent again with a later push
                    again = carrier.push_time(rng, at + rng.uniform(1, 30) * HOUR)
                    pushes.setdefault((carrier.code, again), []).append(dict(item))

        # Ground truth, from the format document's definitions.
        exceptions = []
        # Missing tracking: from 24 h after the ship date until the hub first knows a number.
        deadline = midnight(ship_date) + MISSING_GRACE
        first_known = min(known_tracking, first_push_with_id)
        if first_known > deadline:
            ep = {"kind": "missing_tracking", "start": iso(deadline)}
            if first_known != math.inf:
                ep["end"] = iso(first_known)
            exceptions.append(ep)
        # Customs holds and failed deliveries: to the next true milestone.
        for k, st in enumerate(steps):
            kind = None
            if st.code in ("CUSTOMS_HOLD", "CUSTOMS_HOLD_DISCHARGE_PORT", "CUSTOMS_PAYMENT_REQUIRED"):
                kind = "customs_hold"
            elif st.code == "DELIVERY_ATTEMPTED":
                kind = "delivery_failed"
            if kind:
                ep = {"kind": kind, "start": iso(st.t)}
                if k + 1 < len(steps):
                    ep["end"] = iso(steps[k + 1].t)
                exceptions.append(ep)
        # Stale tracking: while a true milestone over 48 h old is unknown to the
        # hub and nothing later has happened (and not before the hub knows a
        # number: until then the shipment is missing tracking).
        stale = []
        for k, st in enumerate(steps):
            if st.code == "LOST":
                continue
            begin = max(st.t + STALE_AFTER, first_known)
            end = known_step[k]
            if k + 1 < len(steps):
                end = min(end, steps[k + 1].t)
            if begin < end:
                stale.append([begin, end])
        if vanished_at is not None and first_known < math.inf:
            stale.append([max(vanished_at + STALE_AFTER, first_known), math.inf])
        stale.sort()
        merged = []
        for b, e in stale:
            if merged and b <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([b, e])
        for b, e in merged:
            ep = {"kind": "stale_tracking", "start": iso(b)}
            if e != math.inf:
                ep["end"] = iso(e)
            exceptions.append(ep)
        # Probably lost: from a vanished shipment's last scan, or the step before LOST.
        if vanished_at is not None:
            exceptions.append({"kind": "probably_lost", "start": iso(vanished_at)})
        if lost_scan:
            exceptions.append({"kind": "probably_lost", "start": iso(steps[-2].t)})
        truth = {"type": "truth", "shipmentId": sid}
        if arrived is not None:
            truth["arrivedAt"] = iso(arrived)
        truth["exceptions"] = exceptions
        truths.append(truth)

        # The seller steps in now and then.
        if window is not None and arrived is not None and rng.random() < 0.08:
            when = pickup + rng.uniform(0.3, 0.7) * (arrived - pickup)
            guess = arrived + rng.gauss(0, 3.0) * DAY
            new = week_of(day_of(max(guess, when + DAY)))
            emit(when, {"type": "window", "at": iso(when), "shipmentId": rng.choice([sid, confirmation]),
                        "startDate": new[0].isoformat(), "endDate": new[1].isoformat()})
        if rng.random() < 0.05:
            when = created + rng.uniform(1, 20) * DAY
            emit(when, {"type": "automation", "at": iso(when), "shipmentId": sid,
                        "allowed": not allows})

    # Pushes, split into lines of at most 500 items.
    for (code, at), items in pushes.items():
        rng.shuffle(items)
        for i in range(0, len(items), 500):
            emit(at, {"type": "milestones", "at": iso(at), "carrier": code,
                      "milestones": items[i:i + 500]}, prio=3)

    # Backlog readings: every warehouse, every morning (06:00 UTC) or every few.
    last = max(e[0] for e in events)
    t = start + 6 * HOUR
    while t <= last:
        for w in WAREHOUSES:
            units = int(w[10] * cong.backlog_days(w[0], t) * rng.uniform(0.93, 1.07))
            emit(t, {"type": "backlog", "at": iso(t), "warehouse": w[0], "backlogUnits": units}, prio=2)
        t += DAY * backlog_days

    events.sort(key=lambda e: (e[0], e[1], e[2]))
    header = {"type": "header", "format": FORMAT, "generator": GENERATOR, "seed": seed,
              "measureFrom": iso(start + warmup_days * DAY),
              # Not part of the format: how many milestone items were broken on purpose.
              "altgenInvalidItems": invalid_items[0]}
    return header, world, [e[3] for e in events], truths


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--shipments", type=int, default=2000, help="shipments created, warm-up included")
    p.add_argument("--days", type=int, default=120, help="days over which shipments are created")
    p.add_argument("--warmup-days", type=int, default=30, help="created in the first days: warm-up")
    p.add_argument("--invalid-rate", type=float, default=0.0005,
                   help="share of milestone items broken on purpose (the API must refuse them)")
    p.add_argument("--max-boxes", type=int, default=28,
                   help="cap on boxes or pallets per shipment (small test streams)")
    p.add_argument("--backlog-days", type=int, default=1, help="days between backlog readings")
    p.add_argument("--out", default="-", help="the NDJSON file (default stdout)")
    a = p.parse_args(argv)
    header, world, events, truths = generate(a.seed, a.shipments, a.days, a.warmup_days, a.invalid_rate,
                                            a.max_boxes, a.backlog_days)
    out = sys.stdout if a.out == "-" else open(a.out, "w", encoding="utf-8", newline="\n")
    try:
        for obj in [header, *world, *events, *truths]:
            out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"altgen: {a.shipments} shipments, {len(events)} event lines, "
          f"{header['altgenInvalidItems']} invalid items on purpose -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
