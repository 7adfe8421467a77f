#!/usr/bin/env python3
"""Single-phase learning on the continuous teacher-student task (spec 2.4, 6.1 item 2), from the
per-step traces written by `burstsim train models/continuous_*.toml --trace FILE.h5`.

For each file prints the mean loss sum((e - t)^2) over the steps before training and after it,
their ratio, and the mean angle (degrees) between the updates and the gradient over the first and
the last tenth of the teaching steps, per layer. With --png, draws output against target over the
last WINDOW recorded steps before and after training, and the running mean of the loss over time.

    python3 analysis/continuous.py bccn.h5 burstprop.h5 [--png fig.png] [--window 400]
"""
import argparse
import os

import h5py
import numpy as np


def summary(path):
    with h5py.File(path, "r") as f:
        phase = f["phase"][()]
        loss = f["loss"][()].astype(np.float64)
        teach = f["teach"][()].astype(bool)
        ang = f["angle_grad_deg"][()].astype(np.float64)
        # a phase without records (a trace cut short) gives NaN and a note, not a crash
        mean = lambda x: float(x.mean()) if len(x) else float("nan")
        out = {
            "before": mean(loss[phase == 0]),
            "after": mean(loss[phase == 2]),
            "every": int(f.attrs["every"]),
            "missing": [name for ph, name in ((0, "before"), (1, "teaching"), (2, "after")) if not np.any(phase == ph)],
        }
        a = ang[teach]
        k = max(1, len(a) // 10)
        out["angle_first"] = a[:k].mean(axis=0) if len(a) else np.full(ang.shape[1], np.nan)
        out["angle_last"] = a[-k:].mean(axis=0) if len(a) else np.full(ang.shape[1], np.nan)
        return out


def plot(paths, png, window):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(paths) + 1, 1, figsize=(9, 2.6 * (len(paths) + 1)))
    for ax, path in zip(axes, paths):
        with h5py.File(path, "r") as f:
            step, phase = f["step"][()], f["phase"][()]
            out, tgt = f["output"][()][:, 0], f["target"][()][:, 0]
            every = int(f.attrs.get("every", 1))
        name = os.path.splitext(os.path.basename(path))[0]
        n_before = len(np.flatnonzero(phase == 0)[-window:])
        for ph, style in ((0, "before"), (2, "after")):
            idx = np.flatnonzero(phase == ph)[-window:]
            if len(idx) == 0:
                continue
            # the after records start 20 past the end of the before records
            x = np.arange(len(idx)) + (0 if ph == 0 else n_before + 20)
            ax.plot(x, tgt[idx], "k", lw=1, label="target" if ph == 0 else None)
            ax.plot(x, out[idx], "C1" if ph == 0 else "C0", lw=1, label=f"output {style}")
        ax.set_title(f"{name}: output vs target, last {window} records before / after training")
        ax.set_xlabel(f"record (one per {every} steps): before training, then after")
        ax.set_ylabel("output unit 0")
        ax.legend(loc="upper right", fontsize=7)
    ax = axes[-1]
    for path in paths:
        with h5py.File(path, "r") as f:
            step, loss = f["step"][()], f["loss"][()].astype(np.float64)
        w = max(1, len(loss) // 200)
        run = np.convolve(loss, np.ones(w) / w, mode="valid")
        ax.semilogy(step[: len(run)], run, label=os.path.splitext(os.path.basename(path))[0])
    ax.set_xlabel("step")
    ax.set_ylabel("loss (running mean)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(png, dpi=120)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--png")
    ap.add_argument("--window", type=int, default=400)
    args = ap.parse_args()
    for path in args.files:
        s = summary(path)
        first = " ".join(f"{v:.2f}" for v in s["angle_first"])
        last = " ".join(f"{v:.2f}" for v in s["angle_last"])
        if s["missing"]:
            print(f"{path}: no records of the {', '.join(s['missing'])} phase(s): the trace ends early "
                  "(run the config to its end, or lower --trace-every)")
        print(
            f"{path}: loss_before {s['before']:.6f} loss_after {s['after']:.6f} "
            f"ratio {s['before'] / s['after']:.2f} angle_first [{first}] angle_last [{last}]"
        )
    if args.png:
        plot(args.files, args.png, args.window)


if __name__ == "__main__":
    main()
