#!/usr/bin/env python3
"""Burst multiplexing across two layers (spec 7.3, the reference's Fig. 3), from a burstsim HDF5
file: prints the correlations that show multiplexing and draws a figure like the paper's.

    python3 analysis/multiplexing.py run.h5 [more runs ...] [--png fig.png] [--t0 T]
        [--lower pyr1] [--upper pyr2]

The injected currents are rebuilt from the model text stored in the file (root attribute `model`),
so the script needs nothing else. --lower and --upper name the two pyramidal layers (1 and 2
below). Correlations are Pearson, zero lag, over the rate bins from t0 to the end; t0 defaults to
the latest start_ms of the sine currents into the two layers (1000 ms in models/multiplexing.toml:
the sines switch on at 1 s). A run needs at least three bins after t0.
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

import numpy as np

import burstsim_io


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


def sine_start(model, lower, upper):
    """The latest switch-on time of the sines driving the lower soma and the upper dendrite."""
    starts = [inp.get("start_ms", 0.0) for inp in model.get("input", [])
              if inp.get("kind") == "sine_current"
              and (inp.get("target"), inp.get("compartment")) in ((lower, "soma"), (upper, "dendrite"))]
    return max(starts, default=0.0)


def analyse(path, t0, lower, upper):
    try:
        f = burstsim_io.open_run(path)
    except burstsim_io.BurstsimFileError as e:
        sys.exit(str(e))
    model = burstsim_io.model(f)
    t_from = sine_start(model, lower, upper) if t0 is None else t0
    dt = float(f.attrs["dt_ms"])
    for pop in (lower, upper):
        if f"rates/{pop}" not in f:
            sys.exit(f"{path}: no /rates/{pop} (it has: {', '.join(f.get('rates', {})) or 'none'}; "
                     "name the layers with --lower and --upper)")
    r1, r2 = f[f"rates/{lower}"], f[f"rates/{upper}"]
    t = r1["time_ms"][()]
    bin_ms = float(r1.attrs["bin_ms"])
    sel = t >= t_from
    if sel.sum() < 3:
        sys.exit(f"{path}: the rates cover {len(t) * bin_ms:.0f} ms in {bin_ms:g} ms bins, but the analysis starts at "
                 f"t0 = {t_from:g} ms and needs at least 3 bins after it: run the model to at least "
                 f"{t_from + 3 * bin_ms:g} ms (longer for meaningful correlations) or pass an earlier --t0")
    er1, br1 = r1["event_rate_hz"][()][sel], r1["burst_rate_hz"][()][sel]
    er2, br2 = r2["event_rate_hz"][()][sel], r2["burst_rate_hz"][()][sel]
    with np.errstate(invalid="ignore", divide="ignore"):
        bp1, bp2 = br1 / er1, br2 / er2
    i_soma = bin_current(model, lower, "soma", t[sel], bin_ms, dt)
    i_dend = bin_current(model, upper, "dendrite", t[sel], bin_ms, dt)
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
    series = dict(t=t[sel], er1=er1, er2=er2, bp1=bp1, bp2=bp2, br2=br2, i_soma=i_soma, i_dend=i_dend,
                  t_from=t_from, pops=(lower, upper))
    return out, series, f


def figure(path_png, series, f):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 2, figsize=(12, 8), gridspec_kw={"height_ratios": [2, 1, 1]})
    s = series
    t_from, (lower, upper) = s["t_from"], s["pops"]
    t_to = min(t_from + 2000.0, float(f.attrs["t_stop_ms"]))
    for col, pop in enumerate([lower, upper]):
        ax = axes[0, col]
        if f"spikes/{pop}" in f:
            ts, ids = f[f"spikes/{pop}/timestamps"][()], f[f"spikes/{pop}/node_ids"][()]
            m = (ids < 25) & (ts >= t_from) & (ts < t_to)
            ax.plot(ts[m], ids[m], "|", color="0.6", ms=4, label="spikes")
        for kind, color, ms in (("events", "tab:blue", 7), ("bursts", "tab:red", 9)):
            tt, ii = f[f"{kind}/{pop}/timestamps"][()], f[f"{kind}/{pop}/node_ids"][()]
            m = (ii < 25) & (tt >= t_from) & (tt < t_to)
            ax.plot(tt[m], ii[m], "|", color=color, ms=ms, mew=2 if kind == "bursts" else 1, label=kind)
        ax.set_title(f"{pop}: 25 neurons")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("neuron")
        ax.legend(loc="upper right", fontsize=7)

    def pair(ax, title, y, ylabel, color, ref, ref_label, ref_ylabel):
        # each quantity on its own axis in its own units (a shared min-max scale would hide
        # offsets and amplitudes): the quantity on the left, what it should follow on the right
        ax.plot(s["t"], y, color=color, label=ylabel)
        ax.set_ylabel(ylabel, color=color)
        ax.set_xlabel("time (ms)")
        ax.set_title(title)
        right = ax.twinx()
        right.plot(s["t"], ref, "k--", lw=1, label=ref_label)
        right.set_ylabel(ref_ylabel)
        lines = ax.get_lines() + right.get_lines()
        ax.legend(lines, [ln.get_label() for ln in lines], fontsize=7, loc="upper right")

    pair(axes[1, 0], "events follow the somatic input", s["er1"], f"ER {lower} (Hz)", "tab:blue",
         s["i_soma"], f"{lower} somatic current", "somatic current (pA)")
    pair(axes[1, 1], "bursts follow the dendritic input", 100 * s["bp2"], f"BP {upper} (%)", "tab:red",
         s["i_dend"], f"{upper} dendritic current", "dendritic current (pA)")
    pair(axes[2, 0], "feed-forward: ER2 follows ER1", s["er2"], f"ER {upper} (Hz)", "tab:blue",
         s["er1"], f"ER {lower}", f"ER {lower} (Hz)")
    pair(axes[2, 1], "feedback: BP1 follows BR2", 100 * s["bp1"], f"BP {lower} (%)", "tab:red",
         s["br2"], f"BR {upper}", f"BR {upper} (Hz)")
    fig.tight_layout()
    fig.savefig(path_png, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--png", help="write the figure of the first file here")
    ap.add_argument("--t0", type=float, default=None,
                    help="start of the analysis window, ms (default: when the sines switch on)")
    ap.add_argument("--lower", default="pyr1", help="the lower pyramidal layer (default pyr1)")
    ap.add_argument("--upper", default="pyr2", help="the upper pyramidal layer (default pyr2)")
    args = ap.parse_args()
    rows = []
    for i, path in enumerate(args.files):
        out, series, f = analyse(path, args.t0, args.lower, args.upper)
        rows.append(out)
        print(f"{path} ({args.lower} -> {args.upper}, from {series['t_from']:g} ms)")
        for k, v in out.items():
            print(f"  {k:<24} {v:8.3f}")
        if i == 0 and args.png:
            figure(args.png, series, f)
            print(f"  figure: {args.png}")
    if len(rows) > 1:
        print(f"mean +/- sd over {len(rows)} runs")
        for k in rows[0]:
            v = np.array([r[k] for r in rows])
            print(f"  {k:<24} {v.mean():8.3f} +/- {v.std(ddof=1):.3f}")


if __name__ == "__main__":
    sys.exit(main())
