#!/usr/bin/env python3
"""Reads a burstsim output file with h5py and checks the SONATA spike layout and burstsim's own
groups (DESIGN.md "HDF5 output"). Prints a per-population summary; exits non-zero on any mismatch.

    python3 analysis/check_sonata.py run.h5
"""
import sys

import h5py
import numpy as np


def fail(msg):
    print(f"check_sonata: {msg}", file=sys.stderr)
    sys.exit(1)


def check_pair(group, where):
    ts, ids = group["timestamps"], group["node_ids"]
    if ts.dtype != np.float64:
        fail(f"{where}/timestamps is {ts.dtype}, expected float64")
    if ids.dtype != np.uint64:
        fail(f"{where}/node_ids is {ids.dtype}, expected uint64")
    if ts.shape != ids.shape:
        fail(f"{where}: {ts.shape} timestamps but {ids.shape} node_ids")
    if ts.attrs.get("units") not in ("ms", b"ms"):
        fail(f"{where}/timestamps units = {ts.attrs.get('units')!r}, expected 'ms'")
    return ts[()], ids[()]


def main(path):
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        fail(f"{path}: cannot be read as HDF5 ({e})")
    if "magic" not in f.attrs or int(f.attrs["magic"]) != 0x0A7A:
        fail("root attribute magic is not 0x0A7A")
    if list(f.attrs["version"]) != [0, 1]:
        fail(f"root attribute version = {list(f.attrs['version'])}, expected [0, 1]")
    for key in ("model", "seed", "burstsim_version", "dt_ms", "t_stop_ms"):
        if key not in f.attrs:
            fail(f"root attribute {key} missing")
    t_stop = float(f.attrs["t_stop_ms"])
    for pop, g in f["spikes"].items():
        sorting = g.attrs.get_id("sorting")
        mapping = h5py.check_enum_dtype(sorting.dtype)
        if mapping != {"none": 0, "by_id": 1, "by_time": 2}:
            fail(f"/spikes/{pop} sorting enum is {mapping}")
        if g.attrs["sorting"] != 2:
            fail(f"/spikes/{pop} sorting = {g.attrs['sorting']}, expected by_time (2)")
        ts, ids = check_pair(g, f"/spikes/{pop}")
        if np.any(np.diff(ts) < 0):
            fail(f"/spikes/{pop} is marked by_time but is not sorted")
        n = int(g.attrs["n_nodes"])
        if len(ids) and ids.max() >= n:
            fail(f"/spikes/{pop} node id {ids.max()} >= n_nodes {n}")
        line = f"{pop}: {len(ts)} spikes from {n} nodes, rate {len(ts) / n / (t_stop / 1000):.3f} Hz"
        if pop in f.get("events", {}):
            et, _ = check_pair(f["events"][pop], f"/events/{pop}")
            bt, _ = check_pair(f["bursts"][pop], f"/bursts/{pop}")
            r = f["rates"][pop]
            for d in ("time_ms", "event_rate_hz", "burst_rate_hz", "burst_prob"):
                if d not in r:
                    fail(f"/rates/{pop}/{d} missing")
            bin_ms = float(r.attrs["bin_ms"])
            er = r["event_rate_hz"][()]
            # Full bins hold all events but those of a trailing partial bin.
            counted = er.sum() * bin_ms / 1000 * n
            tail = np.sum(et >= len(er) * bin_ms)
            if abs(counted + tail - len(et)) > 1e-6 * max(1, len(et)):
                fail(f"/rates/{pop}: binned events {counted} + tail {tail} != {len(et)}")
            line += f", ER {len(et) / n / (t_stop / 1000):.3f} Hz, BP {len(bt) / max(1, len(et)):.4f}"
        print(line)
    print("SONATA layout OK")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        fail("usage: check_sonata.py FILE.h5")
    main(sys.argv[1])
