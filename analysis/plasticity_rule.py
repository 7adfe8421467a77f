#!/usr/bin/env python3
"""The burst-dependent rule in a spiking network (spec 7.2, the reference's Fig. 2E-G), from burstsim
HDF5 files: per-segment weight change, and a figure with the postsynaptic ER, BP, P_bar, BP - P_bar
and the mean weight change.

    python3 analysis/plasticity_rule.py seed1.h5 [seed2.h5 ...] [--png fig.png]

Segments are read from the model text stored in the file: they start at 0 and at every [[phase]]
time, and end at the end of the run. Weight change per segment = mean weight at its end minus at its
start, in % of the initial mean weight. With several files, prints mean +/- sd over files.
"""
import argparse
import sys
import tomllib

import warnings

import h5py
import numpy as np


def load(path):
    f = h5py.File(path, "r")
    text = f.attrs["model"]
    model = tomllib.loads(text if isinstance(text, str) else text.decode())
    bounds = sorted({0.0, *[p["at_ms"] for p in model.get("phase", [])], float(f.attrs["t_stop_ms"])})
    w = f["weights/plastic"]
    t, mean = w["time_ms"][()], w["mean"][()]
    at = lambda x: mean[np.argmin(np.abs(t - x))]
    changes = [100 * (at(b) - at(a)) / mean[0] for a, b in zip(bounds[:-1], bounds[1:])]
    r = f["rates/post"]
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
    args = ap.parse_args()
    runs = [load(p) for p in args.files]
    b = runs[0]["bounds"]
    print(f"{'segment (s)':>14} {'dW (% of w0)':>22} {'BP - P_bar':>18}")
    for k, (lo, hi) in enumerate(zip(b[:-1], b[1:])):
        c = np.array([r["changes"][k] for r in runs])
        d = np.array([r["diffs"][k] for r in runs])
        sd = lambda x: x.std(ddof=1) if len(x) > 1 else 0.0
        print(f"{lo / 1000:6.0f}-{hi / 1000:<6.0f} {c.mean():+10.2f} +/- {sd(c):5.2f} {d.mean():+10.3f} +/- {sd(d):.3f}")
    if args.png:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        r = runs[0]
        fig, ax = plt.subplots(4, 1, figsize=(8, 9), sharex=True)
        ax[0].plot(r["rates"]["t"] / 1000, r["rates"]["er"])
        ax[0].set_ylabel("post ER (Hz)")
        ax[1].plot(r["rates"]["t"] / 1000, 100 * r["rates"]["bp"], label="BP")
        if r["pb"] is not None:
            ax[1].plot(r["t"] / 1000, 100 * np.nanmean(r["pb"], axis=1), label="P_bar (50 neurons)")
        ax[1].set_ylabel("%")
        ax[1].legend(fontsize=8)
        if r["pb"] is not None:
            bp_at = np.interp(r["t"], r["rates"]["t"], r["rates"]["bp"])
            ax[2].plot(r["t"] / 1000, 100 * (bp_at - np.nanmean(r["pb"], axis=1)))
        ax[2].axhline(0, color="k", lw=0.5)
        ax[2].set_ylabel("BP - P_bar (%)")
        for run in runs:
            ax[3].plot(run["t"] / 1000, 100 * (run["mean"] / run["mean"][0] - 1), lw=0.8)
        ax[3].set_ylabel("mean weight change (%)")
        ax[3].set_xlabel("time (s)")
        for a in ax:
            for x in b[1:-1]:
                a.axvline(x / 1000, color="0.8", lw=0.8)
        fig.tight_layout()
        fig.savefig(args.png, dpi=110)
        print(f"figure: {args.png}")


if __name__ == "__main__":
    sys.exit(main())
