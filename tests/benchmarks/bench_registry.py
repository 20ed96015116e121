#!/usr/bin/env python3
"""Benchmark: generate ~1,000,000 registrants with memberships; print rows/s.

    python3 tests/benchmarks/bench_registry.py [--households 250000]

250,000 households with 1 to 6 members make about 1.1 million registrants.
"""

import argparse

from odoo_runner import run

CODE = """
import time
# The first call also creates the demo users, program, FSP and cycle: not timed.
env["spp.demo.generator"]._generate(households=1)
env.cr.commit()
start = time.perf_counter()
counts = env["spp.demo.generator"]._generate(households={households})
env.cr.commit()
seconds = time.perf_counter() - start
registrants = counts["households"] + counts["individuals"]
print(f"households {{counts['households']:,}}, "
      f"individuals {{counts['individuals']:,}}, "
      f"memberships {{counts['memberships']:,}}")
print(f"registrants: {{registrants:,}} in {{seconds:.1f}} s = "
      f"{{registrants / seconds:,.0f}} registrants/s")
print(f"memberships: {{counts['memberships'] / seconds:,.0f}} memberships/s "
      f"(same run)")
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=250_000)
    parser.add_argument("--database", default="spp_bench_registry")
    args = parser.parse_args()
    run(args.database, CODE.format(households=args.households), fresh=True)


if __name__ == "__main__":
    main()
