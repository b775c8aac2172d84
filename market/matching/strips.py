"""Sites sorted into quarter-degree latitude strips and, inside a strip, by longitude,
so "every site within r km" is a few contiguous runs of the arrays. Pure numpy.

A query takes, per strip its circle crosses, the longitude span of the circle's cap
(asin(sin d / cos lat), the exact extent of a spherical cap), and two binary searches
per range give runs that sit next to each other in memory. The callers keep only what
is within the radius (market.matching.index: from the chord, the haversine near the
radius). Longitudes do not wrap at ±180° (the sites are in China).
"""

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


def query_bounds_many(
    numbers: np.ndarray, reach: np.ndarray, lat_deg: np.ndarray, lon_deg: np.ndarray, cos_lat
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Key ranges [lo, hi] for circles around many points, each group number with its
    great-circle radius in radians: one range per point, group and strip the circle
    crosses, point after point, with the point each range belongs to. cos_lat: the
    cosine of each point's latitude."""
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
