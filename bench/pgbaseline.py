"""Baselines (b) and (b2) of bench/matching.py: the same top-k ranking as one SQL query
per supply lot, in PostgreSQL (plain SQL haversine) and with PostGIS (a GiST index on
geography as the spatial prefilter). Uses its own database, never `test`.

Tables (recreated for each size):
  demands(id, enterprise_id, lat, lon, radius_km, remaining_kg, grade, has_licence,
          licence_from, licence_until)
  demand_codes(demand_id, code, subcategory, category, licensed)
  demand_codes_geo: demand_codes plus geog, GiST (category, geog)   -- PostGIS only
"""

import io
import math
import time
from dataclasses import dataclass

import psycopg

from market.matching.types import Demand, Settings, Supply

DSN = "host=127.0.0.1 port=5432 user=postgres dbname=bench"
EARTH_KM = 6371.0088
KM_PER_DEG = 111.195

SCHEMA = """
DROP TABLE IF EXISTS demand_codes_geo, demand_codes, demands;
CREATE TABLE demands (
    id bigint PRIMARY KEY, enterprise_id bigint NOT NULL,
    lat float8 NOT NULL, lon float8 NOT NULL, radius_km float8 NOT NULL,
    remaining_kg bigint NOT NULL, grade char(1), has_licence boolean NOT NULL,
    licence_from date, licence_until date
);
CREATE TABLE demand_codes (
    demand_id bigint NOT NULL, code text NOT NULL, subcategory text NOT NULL,
    category text NOT NULL, licensed boolean NOT NULL
);
"""

INDEXES = """
CREATE INDEX demand_codes_category ON demand_codes
    (category, demand_id) INCLUDE (code, subcategory, licensed);
CREATE INDEX demand_codes_code ON demand_codes (code, demand_id) INCLUDE (licensed);
CREATE INDEX demands_lat_lon ON demands (lat, lon);
"""

GEO = """
DROP TABLE IF EXISTS demand_codes_geo;
CREATE TABLE demand_codes_geo AS
    SELECT dc.*, ST_SetSRID(ST_MakePoint(d.lon, d.lat), 4326)::geography AS geog
    FROM demand_codes dc JOIN demands d ON d.id = dc.demand_id;
CREATE INDEX demand_codes_geo_gist ON demand_codes_geo USING gist (category, geog);
"""

# Candidate postings of the lot's category, best code level per demand (hazardous lots:
# the exact code, licensed), then the hard filters and the score over demands.
CANDIDATES_PLAIN = """
    SELECT dc.demand_id, max(CASE WHEN dc.code = %(code)s THEN 1.0::float8
                                  WHEN %(sub)s <> '' AND dc.subcategory = %(sub)s THEN 0.7::float8
                                  ELSE 0.4::float8 END) AS level
    FROM demand_codes dc
    WHERE dc.category = %(cat)s AND (NOT %(haz)s OR (dc.code = %(code)s AND dc.licensed))
    GROUP BY dc.demand_id
"""

# The GiST index on (category, geog) as the spatial prefilter: the box around the
# largest radius (`&&` with _ST_Expand is the index part of ST_DWithin); the exact
# radius check is the same haversine as in (b). ST_DWithin itself is not used: its
# row estimate here is ~1 whatever the distance, and the planner then picked a
# nested loop over a sequential scan of demands (seconds per lot at 10k).
CANDIDATES_POSTGIS = """
    SELECT dc.demand_id, max(CASE WHEN dc.code = %(code)s THEN 1.0::float8
                                  WHEN %(sub)s <> '' AND dc.subcategory = %(sub)s THEN 0.7::float8
                                  ELSE 0.4::float8 END) AS level
    FROM demand_codes_geo dc
    WHERE dc.category = %(cat)s AND (NOT %(haz)s OR (dc.code = %(code)s AND dc.licensed))
      AND dc.geog && _ST_Expand(
          ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(reach_m)s)
    GROUP BY dc.demand_id
"""

RANK = """
WITH cand AS ({candidates}),
scored AS (
    SELECT d.id, c.level, g.km,
           %(w_code)s * c.level
         + %(w_dist)s * greatest(0.0, least(1.0, 1.0 - g.km / d.radius_km))
         + %(w_cap)s * least(1.0, greatest(0.0, d.remaining_kg::float8 / greatest(%(qty)s, 1)))
         + %(w_credit)s * CASE d.grade WHEN 'A' THEN %(g_a)s WHEN 'B' THEN %(g_b)s
                                       WHEN 'C' THEN %(g_c)s ELSE %(g_none)s END AS score
    FROM cand c
    JOIN demands d ON d.id = c.demand_id
    CROSS JOIN LATERAL (SELECT round(1000 * 2 * {earth} * asin(least(1.0, sqrt(
        sin((radians(d.lat) - radians(%(lat)s)) / 2) ^ 2
        + cos(radians(%(lat)s)) * cos(radians(d.lat)) * sin(radians(d.lon - %(lon)s) / 2) ^ 2
    )))) / 1000 AS km) g  -- whole metres, the boundary rule of market.matching
    WHERE d.enterprise_id <> %(ent)s
      AND d.lat BETWEEN %(lat_lo)s AND %(lat_hi)s
      AND d.lon BETWEEN %(lon_lo)s AND %(lon_hi)s
      AND g.km <= d.radius_km
      AND d.remaining_kg > 0
      AND CASE WHEN d.has_licence THEN %(today)s BETWEEN d.licence_from AND d.licence_until
               ELSE NOT %(haz)s END
      AND d.grade IS DISTINCT FROM 'D'
)
SELECT id, score, km FROM scored ORDER BY score DESC, km ASC, id ASC LIMIT %(k)s
"""


@dataclass(frozen=True)
class Row:
    """One SQL result, shaped like a Match for the comparison."""

    id: int
    score: float
    distance_km: float


def connect() -> psycopg.Connection:
    conn = psycopg.connect(DSN, autocommit=True)
    conn.execute("SET work_mem = '64MB'")
    conn.execute("SET jit = off")  # compiling costs more than short queries gain
    conn.execute("SET plan_cache_mode = force_custom_plan")  # plans depend on the category
    return conn


def postgis_available(conn: psycopg.Connection) -> bool:
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    except psycopg.Error:
        return False
    return True


def _demand_rows(demands: list[Demand]):
    for d in demands:
        yield (
            d.id,
            d.enterprise_id,
            d.lat,
            d.lon,
            d.radius_km,
            d.remaining_kg,
            d.grade,
            d.has_licence,
            d.licence_from,
            d.licence_until,
        )


def _code_lines(demands: list[Demand]) -> bytes:
    out = io.StringIO()
    for d in demands:
        for key in d.codes:
            licensed = "t" if key.code in d.licence_codes else "f"
            out.write(f"{d.id}\t{key.code}\t{key.subcategory}\t{key.category}\t{licensed}\n")
    return out.getvalue().encode()


def load(conn: psycopg.Connection, demands: list[Demand]) -> float:
    """Recreate and fill the tables with COPY, index them; seconds taken."""
    start = time.perf_counter()
    conn.execute(SCHEMA)
    with conn.cursor() as cur:
        with cur.copy("COPY demands FROM STDIN") as copy:
            for row in _demand_rows(demands):
                copy.write_row(row)
        with cur.copy("COPY demand_codes FROM STDIN") as copy:
            copy.write(_code_lines(demands))
    conn.execute(INDEXES)
    conn.execute("VACUUM ANALYZE demands")
    conn.execute("VACUUM ANALYZE demand_codes")
    return time.perf_counter() - start


def load_postgis(conn: psycopg.Connection) -> float:
    start = time.perf_counter()
    conn.execute(GEO)
    conn.execute("VACUUM ANALYZE demand_codes_geo")
    return time.perf_counter() - start


def params(supply: Supply, settings: Settings, today, k: int, reach_km: float) -> dict:
    """Query parameters; the bounding box spans the largest radius (reach_km)."""
    w, g = settings.weights, settings.grade_value
    dlat = reach_km / KM_PER_DEG + 0.01
    dlon = dlat / max(0.05, _cos_deg(abs(supply.lat) + dlat))
    return {
        "code": supply.code.code, "sub": supply.code.subcategory, "cat": supply.code.category,
        "haz": supply.code.hazardous, "ent": supply.enterprise_id, "qty": supply.quantity_kg,
        "lat": supply.lat, "lon": supply.lon, "today": today, "k": k,
        "lat_lo": supply.lat - dlat, "lat_hi": supply.lat + dlat,
        "lon_lo": supply.lon - dlon, "lon_hi": supply.lon + dlon,
        "reach_m": reach_km * 1000.0 + 1000.0,
        "w_code": w.code, "w_dist": w.distance, "w_cap": w.capacity, "w_credit": w.credit,
        "g_a": g("A"), "g_b": g("B"), "g_c": g("C"), "g_none": g(None),
    }  # fmt: skip


def _cos_deg(deg: float) -> float:
    return math.cos(math.radians(min(deg, 89.0)))


def query(postgis: bool) -> str:
    candidates = CANDIDATES_POSTGIS if postgis else CANDIDATES_PLAIN
    return RANK.format(candidates=candidates, earth=EARTH_KM)


def rank(conn: psycopg.Connection, sql: str, p: dict) -> list[Row]:
    return [Row(int(i), float(s), float(km)) for i, s, km in conn.execute(sql, p).fetchall()]
