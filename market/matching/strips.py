"""Sites sorted into quarter-degree latitude strips and, inside a strip, by longitude,
so "every site within r km" is a few contiguous runs of the arrays. Pure numpy.

A query takes, per strip its circle crosses, the longitude span of the circle's cap
(asin(sin d / cos lat), the exact extent of a spherical cap) with two binary searches
for the whole query, then computes the haversine over the runs, which sit next to
each other in memory. The callers keep only what is within the radius. Longitudes do
not wrap at ±180° (the sites are in China).
"""

import math

import numpy as np

EARTH_KM = 6371.0088
STRIPS_PER_DEGREE = 4
GROUP_SPAN = 1_000_000.0  # key = group * GROUP_SPAN + (strip + 400) * 1000 + lon + 180
SLACK_DEG = 1e-6  # the keys are exact to ~1e-7° at the largest group numbers


def strip_of(lat_deg):
    return np.floor(np.asarray(lat_deg, np.float64) * STRIPS_PER_DEGREE)


def keys(group: np.ndarray, lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """Sort keys: by group, then strip, then longitude."""
    strip = strip_of(lat_deg) + 400
    return group * GROUP_SPAN + strip * 1000.0 + (np.asarray(lon_deg, np.float64) + 180.0)


def query_bounds(
    numbers: np.ndarray, reach: np.ndarray, lat_deg: float, lon_deg: float
) -> tuple[np.ndarray, np.ndarray]:
    """Key ranges [lo, hi] for circles around one point, one per group number with its
    great-circle radius in radians: one range per group and strip the circle crosses."""
    cos_lat = math.cos(math.radians(lat_deg))
    dlat = np.degrees(reach) + SLACK_DEG
    ratio = np.sin(reach) / cos_lat if cos_lat > 0 else np.full(len(reach), 2.0)
    dlon = np.where(ratio >= 1, 180.0, np.degrees(np.arcsin(np.minimum(ratio, 1.0))) + SLACK_DEG)
    first = np.floor((lat_deg - dlat) * STRIPS_PER_DEGREE)
    count = (np.floor((lat_deg + dlat) * STRIPS_PER_DEGREE) - first).astype(np.int64) + 1
    which = np.repeat(np.arange(len(numbers)), count)
    step = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    base = numbers[which] * GROUP_SPAN + (first[which] + step + 400.0) * 1000.0
    lo = base + np.maximum(lon_deg - dlon[which] + 180.0, 0.0)
    hi = base + np.minimum(lon_deg + dlon[which] + 180.0, 360.0)
    return lo, hi


def query_bounds_many(
    numbers: np.ndarray, reach: np.ndarray, lat_deg: np.ndarray, lon_deg: np.ndarray, cos_lat
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """query_bounds for many points (cos_lat: the cosine of each latitude, as math.cos
    gives it), point after point, with the point each range belongs to."""
    n_groups = len(numbers)
    if n_groups == 0 or len(lat_deg) == 0:
        empty = np.empty(0)
        return empty, empty, np.empty(0, np.int64)
    lat, c = np.asarray(lat_deg)[:, None], np.asarray(cos_lat)[:, None]
    dlat = np.degrees(reach) + SLACK_DEG
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(c > 0, np.sin(reach) / c, 2.0)
    dlon = np.where(ratio >= 1, 180.0, np.degrees(np.arcsin(np.minimum(ratio, 1.0))) + SLACK_DEG)
    first = np.floor((lat - dlat) * STRIPS_PER_DEGREE)
    count = (np.floor((lat + dlat) * STRIPS_PER_DEGREE) - first).astype(np.int64).ravel() + 1
    which = np.repeat(np.arange(count.size), count)
    step = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    point = which // n_groups
    base = numbers[which % n_groups] * GROUP_SPAN + (first.ravel()[which] + step + 400.0) * 1000.0
    lon, dlon = np.asarray(lon_deg)[point], dlon.ravel()[which]
    lo = base + np.maximum(lon - dlon + 180.0, 0.0)
    hi = base + np.minimum(lon + dlon + 180.0, 360.0)
    return lo, hi, point


def runs(sorted_keys: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Positions of every key inside any [lo, hi] (disjoint ranges), in key order."""
    start = np.searchsorted(sorted_keys, lo, side="left")
    end = np.searchsorted(sorted_keys, hi, side="right")
    length = np.maximum(end - start, 0)
    total = int(length.sum())
    if total == 0:
        return np.empty(0, np.int64)
    offset = np.repeat(start - (np.cumsum(length) - length), length)
    return offset + np.arange(total, dtype=np.int64)


def haversine_km_pairs(lat_rad, lon_rad, cos_lat, lat0_rad, lon0_rad, cos_lat0) -> np.ndarray:
    """Great-circle km between points pairwise (cos_lat0: as math.cos gives it)."""
    h = np.sin((lat_rad - lat0_rad) * 0.5) ** 2
    h += cos_lat0 * cos_lat * np.sin((lon_rad - lon0_rad) * 0.5) ** 2
    return (2.0 * EARTH_KM) * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


def haversine_km(lat_rad, lon_rad, cos_lat, lat0_rad: float, lon0_rad: float) -> np.ndarray:
    """Great-circle km from one point to many (the formula of market.geo)."""
    h = np.sin((lat_rad - lat0_rad) * 0.5) ** 2
    h += math.cos(lat0_rad) * cos_lat * np.sin((lon_rad - lon0_rad) * 0.5) ** 2
    return (2.0 * EARTH_KM) * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
