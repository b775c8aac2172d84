"""Coordinates: the China bounding box and great-circle distance. Pure."""

import math

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)

# Mainland, Hainan and the South China Sea islands fit in this box.
CHINA_LAT = (3.0, 54.0)
CHINA_LON = (73.0, 136.0)


class OutsideChina(ValueError):
    pass


def in_china(lat: float, lon: float) -> bool:
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in (lat, lon)):
        return False
    return CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LON[0] <= lon <= CHINA_LON[1]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
