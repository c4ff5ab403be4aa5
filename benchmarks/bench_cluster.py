"""The engine on a Dask LocalCluster against one machine, from the same Parquet parts.

    python benchmarks/bench_cluster.py --lots 1000000 --workers 2 --parts 4

Both runs start from the same files: the single-machine run reads the one
Parquet file of each table and writes CSV (``consumption run``'s work); the
cluster run reads the parts of the same rows on the workers, shuffles them
by item and writes Parquet datasets. Wall times of the whole runs, in one
process, one after the other; the ratio is what matters on a shared machine.
Checks that both fill the same quantity.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_kernel import load_generator  # noqa: E402  (a sibling script, not a package)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--parts", type=int, default=4, help="input files per table")
    parser.add_argument("--partitions", type=int, default=None)
    args = parser.parse_args(argv)

    import consumption
    from consumption.cluster import run as cluster

    print(f"workers {args.workers}, input parts {args.parts}")
    print(
        f"{'lots':>12} {'lines':>10} {'one machine s':>14} {'cluster s':>10} {'ratio':>6} "
        f"{'lots/partition':>15} {'worker peak MiB':>16}"
    )
    for lots in args.lots:
        # A fresh cluster per size, so that a worker's peak memory is this size's.
        with cluster.connect(workers=args.workers) as client:
            lines = lots // 5
            inventory, demand = load_generator().generate(
                lots=lots, items=max(20, lots // 500), locations=5, customers=300,
                seed=7, lines=lines,
            )  # fmt: skip
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                for name, frame in (("inventory", inventory), ("demand", demand)):
                    frame.to_parquet(folder / f"{name}.parquet", index=False)
                    (folder / name).mkdir()
                    for i, rows in enumerate(np.array_split(np.arange(len(frame)), args.parts)):
                        frame.iloc[rows].to_parquet(folder / name / f"part-{i:03d}.parquet")
                start = time.perf_counter()
                single = consumption.allocate(
                    consumption.read_inventory(folder / "inventory.parquet"),
                    consumption.read_demand(folder / "demand.parquet"),
                )
                single.write(folder / "one")
                one = time.perf_counter() - start
                start = time.perf_counter()
                summary = cluster.run(
                    folder / "inventory", folder / "demand", folder / "many", client,
                    partitions=args.partitions,
                )  # fmt: skip
                many = time.perf_counter() - start
                assert summary["totals"]["filled"] == single.summary["totals"]["filled"]
                # Peak resident memory of each worker process so far (Linux: KiB).
                peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
                peak = max(peaks.values()) / 1024
                per = lots / summary["run"]["partitions"]
                print(
                    f"{lots:>12,} {lines:>10,} {one:>14.2f} {many:>10.2f} {many / one:>6.2f} "
                    f"{per:>15,.0f} {peak:>16,.0f}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
