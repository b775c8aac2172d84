"""Where DemandIndex spends its time: cProfile of the build and of many rank calls on
the same synthetic data as bench/matching.py.

    python -m bench.profile_matching --size 1000000 --lots 500
    python -m bench.profile_matching --size 100000 --lots 5000 --sort tottime
"""

import argparse
import cProfile
import pstats
import sys

from bench import synthetic
from market.matching.index import DemandIndex
from market.matching.types import Settings


def profiled(what: str, call, sort: str, top: int):
    profile = cProfile.Profile()
    result = profile.runcall(call)
    print(f"\n==== {what}")
    pstats.Stats(profile, stream=sys.stdout).strip_dirs().sort_stats(sort).print_stats(top)
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--lots", type=int, default=500)
    ap.add_argument("--sort", default="cumulative")
    ap.add_argument("--top", type=int, default=30)
    a = ap.parse_args(argv)
    world = synthetic.World.make(a.size)
    demands = synthetic.demands(world, a.size)
    lots = synthetic.lots(world, a.lots, seed=13)
    index = profiled(f"DemandIndex({a.size:,})", lambda: DemandIndex(demands), a.sort, a.top)
    settings = Settings()

    def rank_all():
        for lot in lots:
            index.rank(lot, settings, synthetic.TODAY, k=10)

    profiled(f"{a.lots:,} x rank at {a.size:,}", rank_all, a.sort, a.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
