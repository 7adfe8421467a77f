#!/usr/bin/env python3
"""The spiking XOR (spec 7.4, the reference's Fig. 4) from burstsim HDF5 files of models/xor.toml
(or xor_short.toml): the cost per epoch, the output event rate of the four patterns in the tests
before and after training against the 6 Hz decision threshold, hidden1 BP against the output BR and
hidden2 BP against it (inverted feedback), and a raster of output neurons around one learning
window.

    python3 analysis/xor.py seed1.h5 [seed2.h5 ...] [--png fig.png] [--output output]
        [--hidden hidden1 hidden2] [--example K] [--neurons 30]

Everything is read from the file: /protocol (examples, epochs, pattern names), /rates and /spikes.
The output ER of a test example is the event rate counted over the example (rate_before_hz).
Prints, per file, the cost of the first and last epochs, the post-test ERs and whether XOR is
solved (ER above the threshold exactly for the patterns whose target is 1).
"""
import argparse
import sys
import warnings

import numpy as np

import burstsim_io

THRESHOLD_HZ = 6.0  # spec 7.4: e_th, the decision threshold of the plots


def load(path, output, hidden):
    try:
        f = burstsim_io.open_run(path)
    except burstsim_io.BurstsimFileError as e:
        sys.exit(str(e))
    if "protocol" not in f:
        sys.exit(f"{path}: no /protocol group (was the model run with a [protocol]?)")
    g = f["protocol"]
    ex = g["examples"]
    names = [p.decode() if isinstance(p, bytes) else str(p) for p in g.attrs["patterns"]]
    d = dict(
        file=path,
        names=names,
        kind=ex["kind"][()],
        pattern=ex["pattern"][()],
        target=ex["target"][()][:, 0],
        start=ex["start_ms"][()],
        learn=ex["learn_ms"][()],
        end=ex["end_ms"][()],
        rate=ex["rate_before_hz"][()][:, 0],
        epoch_cost=g["epochs/cost_before"][()][:, 0] if "epochs" in g else np.array([]),
        complete=bool(f.attrs.get("complete", 0)),
        t_stop=float(f.attrs["t_stop_ms"]),
    )
    rates = {}
    for pop in [output, *hidden]:
        if f"rates/{pop}" not in f:
            sys.exit(f"{path}: no /rates/{pop} (record that population, or name another with --output/--hidden)")
        r = f[f"rates/{pop}"]
        rates[pop] = dict(t=r["time_ms"][()], er=r["event_rate_hz"][()], br=r["burst_rate_hz"][()], bp=r["burst_prob"][()],
                          bin_ms=float(r.attrs["bin_ms"]))
    d["rates"] = rates
    d["spikes"] = (f[f"spikes/{output}/timestamps"][()], f[f"spikes/{output}/node_ids"][()]) if f"spikes/{output}" in f else None
    return d


def tests(d, kind):
    """Pattern name -> output ER over the test example (kind 0 before, 2 after)."""
    sel = d["kind"] == kind
    return {d["names"][p]: r for p, r in zip(d["pattern"][sel], d["rate"][sel])}


def solved(d, after):
    targets = {d["names"][p]: t for p, t in zip(d["pattern"], d["target"])}
    return bool(after) and all((after[n] > THRESHOLD_HZ) == (targets[n] >= 0.5) for n in after)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--png")
    ap.add_argument("--output", default="output", help="the output population (default: output)")
    ap.add_argument("--hidden", nargs=2, default=["hidden1", "hidden2"], help="the two hidden populations")
    ap.add_argument("--example", type=int, help="training example whose learning window the raster shows (default: a fifth of the way)")
    ap.add_argument("--neurons", type=int, default=30, help="output neurons in the raster")
    args = ap.parse_args()
    runs = [load(p, args.output, args.hidden) for p in args.files]
    for d in runs:
        c = d["epoch_cost"]
        state = "complete" if d["complete"] else f"INCOMPLETE, stopped at {d['t_stop'] / 1000:.0f} s"
        print(f"{d['file']}: {len(c)} epochs ({state})")
        if not len(d["kind"]):
            # a run shorter than its burn-in and first example: nothing to report yet
            print(f"  no example finished in the {d['t_stop']:g} ms the file covers: the first ends after the "
                  "[protocol] burn_in_ms + example_ms; run the model at least that long")
        if len(c):
            k = min(10, len(c))
            print(f"  cost per epoch: first {k} {c[:k].mean():.3f}, last {k} {c[-k:].mean():.3f} (epoch 1 {c[0]:.3f}, epoch {len(c)} {c[-1]:.3f})")
        before, after = tests(d, 0), tests(d, 2)
        fmt = lambda m: ", ".join(f"{n} {v:.2f}" for n, v in m.items()) or "(none)"
        print(f"  output ER before training (Hz): {fmt(before)}")
        print(f"  output ER after training (Hz):  {fmt(after)}")
        if after:
            print(f"  XOR solved at {THRESHOLD_HZ} Hz: {'yes' if solved(d, after) else 'no'}")
    if not args.png:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(2, 3, figsize=(15, 8))
    a = ax[0, 0]
    for d in runs:
        c = d["epoch_cost"]
        a.plot(np.arange(1, len(c) + 1), c, lw=0.8, label=d["file"])
    a.set_xlabel("epoch")
    a.set_ylabel("cost per epoch (sum over 4 examples)")
    a.set_title("cost before learning, per epoch")
    a.legend(fontsize=6)
    a = ax[0, 1]
    names = runs[0]["names"]
    x = np.arange(len(names))
    for k, (kind, label) in enumerate([(0, "before"), (2, "after")]):
        vals = np.array([[tests(d, kind).get(n, np.nan) for n in names] for d in runs])
        if np.all(np.isnan(vals)):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a pattern not yet tested in a short run
            mean, sd = np.nanmean(vals, axis=0), np.nanstd(vals, axis=0)
        a.bar(x + (k - 0.5) * 0.38, mean, 0.38, yerr=sd if len(runs) > 1 else None, label=label)
    a.axhline(THRESHOLD_HZ, color="k", ls="--", lw=0.8, label=f"{THRESHOLD_HZ} Hz threshold")
    a.set_xticks(x, names)
    a.set_xlabel("input pattern")
    a.set_ylabel(f"{args.output} event rate (Hz)")
    a.set_title("tests before and after training")
    a.legend(fontsize=7)
    d = runs[0]
    out, (h1, h2) = d["rates"][args.output], args.hidden
    for a, h, title in [(ax[0, 2], h1, f"{h1} BP vs {args.output} BR"), (ax[1, 0], h2, f"{h2} BP vs {args.output} BR (inverted)")]:
        r = d["rates"][h]
        n = min(len(r["bp"]), len(out["br"]))
        a.plot(out["br"][:n], 100 * r["bp"][:n], ".", ms=2, alpha=0.4)
        a.set_xlabel(f"{args.output} burst rate (Hz)")
        a.set_ylabel(f"{h} burst probability (%)")
        a.set_title(title)
    # the output BP and ER over the run
    a = ax[1, 1]
    a.plot(out["t"] / 1000, out["er"], lw=0.5, label="ER (Hz)")
    a.plot(out["t"] / 1000, 100 * out["bp"], lw=0.5, label="BP (%)")
    a.set_xlabel("time (s)")
    a.set_ylabel("ER (Hz), BP (%)")
    a.set_title(f"{args.output}, {out['bin_ms']:g} ms bins")
    a.legend(fontsize=7)
    # raster around one learning window
    a = ax[1, 2]
    train = np.flatnonzero(d["kind"] == 1)
    if d["spikes"] is not None and len(train):
        k = train[min(len(train) - 1, args.example if args.example is not None else len(train) // 5)]
        lo, hi = d["learn"][k] - 1000.0, d["end"][k] + 200.0
        t, ids = d["spikes"]
        sel = (t >= lo) & (t < hi) & (ids < args.neurons)
        a.plot(t[sel] / 1000, ids[sel], "|", ms=4, color="k")
        a.axvspan(d["learn"][k] / 1000, d["end"][k] / 1000, color="tab:orange", alpha=0.2, label="learning window")
        a.set_title(f"{args.output} spikes, example {k} ({d['names'][d['pattern'][k]]}, target {d['target'][k]:.0f})")
        a.legend(fontsize=7)
    else:
        a.set_title("no output spikes recorded or no training example")
    a.set_xlabel("time (s)")
    a.set_ylabel("neuron")
    fig.tight_layout()
    fig.savefig(args.png, dpi=120)
    print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
