#!/usr/bin/env python3
"""Burst multiplexing across two layers (spec 7.3, the reference's Fig. 3), from a burstsim HDF5
file: prints the correlations that show multiplexing and draws a figure like the paper's.

    python3 analysis/multiplexing.py run.h5 [more runs ...] [--png fig.png] [--t0 1000]

The injected currents are rebuilt from the model text stored in the file (root attribute `model`),
so the script needs nothing else. Correlations are Pearson, zero lag, over the rate bins from t0
(default 1000 ms: the sines switch on at 1 s) to the end:
  ER1 vs pyr1 somatic current      (events carry the bottom-up signal)
  BP2 vs pyr2 dendritic current    (bursts carry the top-down signal)
  ER2 vs ER1                       (feed-forward through depressing synapses)
  BP1 vs BR2                       (feedback through facilitating synapses)
  cross-talk: |BP2 vs somatic current|, |ER1 vs dendritic current|
With several files, prints each and the mean +/- sd over files.
"""
import argparse
import math
import sys
import tomllib

import h5py
import numpy as np


def current(model, pop, compartment, t_ms):
    """Sum of the model's current inputs into pop/compartment at times t_ms (array)."""
    total = np.zeros_like(t_ms, dtype=float)
    for inp in model.get("input", []):
        if inp.get("target") != pop or inp.get("compartment") != compartment:
            continue
        on = (t_ms >= inp.get("start_ms", 0.0)) & (t_ms < inp.get("stop_ms", math.inf))
        kind = inp["kind"]
        if kind == "constant_current":
            total += np.where(on, inp["current_pa"], 0.0)
        elif kind == "sine_current":
            phase = math.radians(inp.get("phase_deg", 0.0))
            wave = inp.get("offset_pa", 0.0) + inp["amplitude_pa"] * np.sin(2 * np.pi * t_ms / inp["period_ms"] + phase)
            total += np.where(on, wave, 0.0)
    return total


def bin_current(model, pop, compartment, t0, bin_ms, dt):
    """Mean current over each bin (sampled on the dt grid)."""
    k = int(round(bin_ms / dt))
    t = t0[:, None] + dt * np.arange(k)[None, :]
    return current(model, pop, compartment, t).mean(axis=1)


def corr(a, b):
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def analyse(path, t_from):
    f = h5py.File(path, "r")
    model = tomllib.loads(f.attrs["model"] if isinstance(f.attrs["model"], str) else f.attrs["model"].decode())
    dt = float(f.attrs["dt_ms"])
    r1, r2 = f["rates/pyr1"], f["rates/pyr2"]
    t = r1["time_ms"][()]
    bin_ms = float(r1.attrs["bin_ms"])
    sel = t >= t_from
    er1, br1 = r1["event_rate_hz"][()][sel], r1["burst_rate_hz"][()][sel]
    er2, br2 = r2["event_rate_hz"][()][sel], r2["burst_rate_hz"][()][sel]
    with np.errstate(invalid="ignore", divide="ignore"):
        bp1, bp2 = br1 / er1, br2 / er2
    i_soma = bin_current(model, "pyr1", "soma", t[sel], bin_ms, dt)
    i_dend = bin_current(model, "pyr2", "dendrite", t[sel], bin_ms, dt)
    out = {
        "corr(ER1, I_soma1)": corr(er1, i_soma),
        "corr(BP2, I_dend2)": corr(bp2, i_dend),
        "corr(ER2, ER1)": corr(er2, er1),
        "corr(BP1, BR2)": corr(bp1, br2),
        "|corr(BP2, I_soma1)|": abs(corr(bp2, i_soma)),
        "|corr(ER1, I_dend2)|": abs(corr(er1, i_dend)),
        # Means over the window: ER as the mean rate, BP as bursts / events.
        "mean ER1 (Hz)": float(er1.mean()),
        "mean BP1": float(br1.sum() / er1.sum()),
        "mean ER2 (Hz)": float(er2.mean()),
        "mean BP2": float(br2.sum() / er2.sum()),
    }
    series = dict(t=t[sel], er1=er1, er2=er2, bp1=bp1, bp2=bp2, br2=br2, i_soma=i_soma, i_dend=i_dend)
    return out, series, f


def figure(path_png, series, f, t_from):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 2, figsize=(11, 8), gridspec_kw={"height_ratios": [2, 1, 1]})
    t_to = min(t_from + 2000.0, float(f.attrs["t_stop_ms"]))
    for col, pop in enumerate(["pyr1", "pyr2"]):
        ax = axes[0, col]
        ts, ids = f[f"spikes/{pop}/timestamps"][()], f[f"spikes/{pop}/node_ids"][()]
        et, ei = f[f"events/{pop}/timestamps"][()], f[f"events/{pop}/node_ids"][()]
        bt, bi = f[f"bursts/{pop}/timestamps"][()], f[f"bursts/{pop}/node_ids"][()]
        pick = lambda tt, ii: (ii < 25) & (tt >= t_from) & (tt < t_to)
        m = pick(ts, ids)
        ax.plot(ts[m], ids[m], "|", color="0.6", ms=4, label="spikes")
        m = pick(et, ei)
        ax.plot(et[m], ei[m], "|", color="tab:blue", ms=7, label="events")
        m = pick(bt, bi)
        ax.plot(bt[m], bi[m], "|", color="tab:red", ms=9, mew=2, label="bursts")
        ax.set_title(f"{pop}: 25 neurons")
        ax.set_ylabel("neuron")
        ax.legend(loc="upper right", fontsize=7)
    s = series

    def rescale(x):
        x = np.asarray(x, float)
        lo, hi = np.nanmin(x), np.nanmax(x)
        return (x - lo) / (hi - lo) if hi > lo else x * 0

    ax = axes[1, 0]
    ax.plot(s["t"], rescale(s["er1"]), label="ER1")
    ax.plot(s["t"], rescale(s["i_soma"]), "k--", label="pyr1 somatic current")
    ax.set_title("events follow the somatic input")
    ax = axes[1, 1]
    ax.plot(s["t"], rescale(s["bp2"]), color="tab:red", label="BP2")
    ax.plot(s["t"], rescale(s["i_dend"]), "k--", label="pyr2 dendritic current")
    ax.set_title("bursts follow the dendritic input")
    ax = axes[2, 0]
    ax.plot(s["t"], rescale(s["er2"]), label="ER2")
    ax.plot(s["t"], rescale(s["er1"]), "k--", label="ER1")
    ax.set_title("feed-forward: ER2 follows ER1")
    ax = axes[2, 1]
    ax.plot(s["t"], rescale(s["bp1"]), color="tab:red", label="BP1")
    ax.plot(s["t"], rescale(s["br2"]), "k--", label="BR2")
    ax.set_title("feedback: BP1 follows BR2")
    for ax in axes[1:].ravel():
        ax.legend(fontsize=7, loc="upper right")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("min-max scaled")
    fig.tight_layout()
    fig.savefig(path_png, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--png", help="write the figure of the first file here")
    ap.add_argument("--t0", type=float, default=1000.0, help="start of the analysis window, ms")
    args = ap.parse_args()
    rows = []
    for i, path in enumerate(args.files):
        out, series, f = analyse(path, args.t0)
        rows.append(out)
        print(path)
        for k, v in out.items():
            print(f"  {k:<24} {v:8.3f}")
        if i == 0 and args.png:
            figure(args.png, series, f, args.t0)
            print(f"  figure: {args.png}")
    if len(rows) > 1:
        print(f"mean +/- sd over {len(rows)} runs")
        for k in rows[0]:
            v = np.array([r[k] for r in rows])
            print(f"  {k:<24} {v.mean():8.3f} +/- {v.std(ddof=1):.3f}")


if __name__ == "__main__":
    sys.exit(main())
