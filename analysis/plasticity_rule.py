#!/usr/bin/env python3
"""The burst-dependent rule in a spiking network (spec 7.2, the reference's Fig. 2E-G), from burstsim
HDF5 files: per-segment weight change, and a figure with the postsynaptic ER, BP, P_bar, BP - P_bar
and the mean weight change.

    python3 analysis/plasticity_rule.py seed1.h5 [seed2.h5 ...] [--png fig.png]
        [--post post] [--projection plastic]

Segments are read from the protocol stored in the file (the [[phase]] entries of the model and of
its protocol_file): they start at 0 and at every phase time, and end at the end of the data.
Weight change per segment = mean weight of projection --projection at its end minus at its start
(the nearest snapshots), in % of the initial mean weight; --post names its target population.
With several files (which must share their segments), prints mean +/- sd over files.
"""
import argparse
import sys

import warnings

import numpy as np

import burstsim_io


def load(path, post, projection):
    try:
        f = burstsim_io.open_run(path)
        bounds = [a for a, _ in burstsim_io.segments(f)] + [burstsim_io.t_stop_ms(f)]
    except burstsim_io.BurstsimFileError as e:
        sys.exit(str(e))
    if f"weights/{projection}" not in f:
        sys.exit(f"{path}: no /weights/{projection} (it has: {', '.join(f.get('weights', {})) or 'none'}; record the "
                 "projection with [output.weights] or name it with --projection)")
    if f"rates/{post}" not in f:
        sys.exit(f"{path}: no /rates/{post} (it has: {', '.join(f.get('rates', {})) or 'none'}; name the "
                 "postsynaptic population with --post)")
    w = f[f"weights/{projection}"]
    t, mean = w["time_ms"][()], w["mean"][()]
    if len(t) < 2:
        sys.exit(f"{path}: {len(t)} weight snapshot(s) in {bounds[-1]:g} ms: a weight change needs two; run longer "
                 f"than [output.weights] every_ms or record them more often")
    # segments shorter than the snapshot interval would read the same snapshot at both ends
    every = float(np.min(np.diff(t)))
    short = [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b - a < every]
    if short:
        sys.exit(f"{path}: segment(s) {', '.join(f'{a:g}-{b:g} ms' for a, b in short)} shorter than the {every:g} ms "
                 "between weight snapshots: record the weights more often ([output.weights] every_ms)")
    at = lambda x: mean[np.argmin(np.abs(t - x))]
    changes = [100 * (at(b) - at(a)) / mean[0] for a, b in zip(bounds[:-1], bounds[1:])]
    r = f[f"rates/{post}"]
    rates = dict(t=r["time_ms"][()] + float(r.attrs["bin_ms"]) / 2, er=r["event_rate_hz"][()], bp=r["burst_prob"][()])
    pb = w["p_bar"][()] if "p_bar" in w else None
    # BP - P_bar per segment: mean over the segment's bins of BP minus the mean recorded P_bar.
    diffs = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        sel_r = (rates["t"] > a) & (rates["t"] < b)
        sel_w = (t > a) & (t <= b)
        p = np.nanmean(pb[sel_w]) if pb is not None and sel_w.any() else np.nan
        diffs.append(float(np.nanmean(rates["bp"][sel_r]) - p))
    return dict(bounds=bounds, changes=changes, diffs=diffs, t=t, mean=mean, pb=pb, rates=rates)


def main():
    warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN P_bar before the first event
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--png")
    ap.add_argument("--post", default="post", help="the postsynaptic population (default post)")
    ap.add_argument("--projection", default="plastic", help="the plastic projection (default plastic)")
    args = ap.parse_args()
    runs = [load(p, args.post, args.projection) for p in args.files]
    b = runs[0]["bounds"]
    for p, r in zip(args.files[1:], runs[1:]):
        if r["bounds"] != b:
            sys.exit(f"{p}: its segments differ from {args.files[0]}'s (another protocol or run length): "
                     "average runs of one protocol only")
    print(f"{'segment (s)':>14} {'dW (% of w0)':>22} {'BP - P_bar':>18}")
    for k, (lo, hi) in enumerate(zip(b[:-1], b[1:])):
        c = np.array([r["changes"][k] for r in runs])
        d = np.array([r["diffs"][k] for r in runs])
        sd = lambda x: x.std(ddof=1) if len(x) > 1 else 0.0
        seg = f"{lo / 1000:g}-{hi / 1000:g}"
        print(f"{seg:>14} {c.mean():+10.2f} +/- {sd(c):5.2f} {d.mean():+10.3f} +/- {sd(d):.3f}")
    if args.png:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        r = runs[0]
        fig, ax = plt.subplots(4, 1, figsize=(8, 9), sharex=True)
        ax[0].plot(r["rates"]["t"] / 1000, r["rates"]["er"])
        ax[0].set_ylabel(f"{args.post} ER (Hz)")
        ax[1].plot(r["rates"]["t"] / 1000, 100 * r["rates"]["bp"], label="BP")
        if r["pb"] is not None:
            ax[1].plot(r["t"] / 1000, 100 * np.nanmean(r["pb"], axis=1), label=f"P_bar ({r['pb'].shape[1]} neurons)")
        ax[1].set_ylabel(f"{args.post} BP, P_bar (%)")
        ax[1].legend(fontsize=8)
        if r["pb"] is not None:
            bp_at = np.interp(r["t"], r["rates"]["t"], r["rates"]["bp"])
            ax[2].plot(r["t"] / 1000, 100 * (bp_at - np.nanmean(r["pb"], axis=1)))
        else:
            ax[2].set_title("no P_bar recorded ([output.weights] estimates_of_first)", fontsize=8)
        ax[2].axhline(0, color="k", lw=0.5)
        ax[2].set_ylabel("BP - P_bar (%)")
        for run in runs:
            ax[3].plot(run["t"] / 1000, 100 * (run["mean"] / run["mean"][0] - 1), lw=0.8)
        ax[3].set_ylabel(f"{args.projection}: mean weight change (% of w0)")
        for a in ax:
            a.set_xlabel("time (s)")
            a.tick_params(labelbottom=True)
            for x in b[1:-1]:
                a.axvline(x / 1000, color="0.8", lw=0.8)
        fig.tight_layout()
        fig.savefig(args.png, dpi=110)
        print(f"figure: {args.png}")


if __name__ == "__main__":
    sys.exit(main())
