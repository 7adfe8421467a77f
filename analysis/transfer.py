#!/usr/bin/env python3
"""Draw a transfer table written by `burstsim transfer` (issue 13 item 1).

  python3 analysis/transfer.py FILE.h5 [--png OUT.png]

Panels: ER against the somatic current, one line per dendritic current, with the seed-to-seed
standard error and the function `burstsim meanfield` uses (dashed: the best global fit or one fit
per dendritic column); BP against the dendritic current, one line
per somatic current, with its fit; ER and BP as surfaces (colour maps); the STP release measured
on the neurons' spikes against the train model of src/meanfield/efficacy.rs. Units are absolute
(pA, Hz, probability). Prints the fits ranked by BIC.
"""

import argparse
import math
import sys

import h5py
import numpy as np


def sigma(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))


def form_value(form, p, x):
    """The fitted forms of src/meanfield/fit.rs, parameters in physical units."""
    z = lambda a, g: np.clip(a * (x - g), -60, 60)
    if form == "sigmoid" and len(p) == 4:  # ER: a + c sigma(alpha (x - gamma))
        return p[0] + p[1] * sigma(z(p[2], p[3]))
    if form == "softplus":
        return p[0] + p[1] * np.log1p(np.exp(z(p[2], p[3])))
    if form == "exponential":
        return p[0] + np.exp(z(p[1], p[2]))
    if form == "sigmoid":  # BP: sigma(alpha (y - gamma))
        return sigma(z(p[0], p[1]))
    if form == "scaled_sigmoid":
        return p[0] + (p[1] - p[0]) * sigma(z(p[2], p[3]))
    raise ValueError(f"unknown form {form}")


def read_fit(g, quantity, rank=0):
    grp = g.get(f"fits/{quantity}/{rank}")
    if grp is None:
        return None
    names = [n.decode() if isinstance(n, bytes) else n for n in grp.attrs["param_names"]]
    params = list(grp.attrs["params"])
    mix = 0.0
    if names and names[-1] in ("kappa", "lambda"):
        mix = params[-1]
        params = params[:-1]
    label = grp.attrs["label"]
    return {"form": str(grp.attrs["form"]), "params": params, "mix": mix, "rmse": float(grp.attrs["rmse"]),
            "label": label.decode() if isinstance(label, bytes) else str(label)}


def fit_eval(fit, primary, secondary):
    return form_value(fit["form"], fit["params"], primary + fit["mix"] * secondary)


def read_used(g, quantity):
    """What `burstsim meanfield` uses: a global fit or one fit per column of the other input
    (blended linearly between columns, as src/meanfield/fit.rs Surface::eval)."""
    grp = g.get(f"fits/{quantity}_used")
    if grp is None:
        return None
    surface = grp.attrs["surface"]
    surface = surface.decode() if isinstance(surface, bytes) else str(surface)
    if surface == "global":
        return {"global": _fit_attrs(grp)}
    cols = list(grp.attrs["columns_pa"])
    return {"columns": [(c, _fit_attrs(grp[str(i)])) for i, c in enumerate(cols)], "rmse": float(grp.attrs["rmse"])}


def _fit_attrs(grp):
    names = [n.decode() if isinstance(n, bytes) else n for n in grp.attrs["param_names"]]
    params = list(grp.attrs["params"])
    mix = 0.0
    if names and names[-1] in ("kappa", "lambda"):
        mix, params = params[-1], params[:-1]
    label = grp.attrs["label"]
    return {"form": str(grp.attrs["form"]), "params": params, "mix": mix, "rmse": float(grp.attrs["rmse"]),
            "label": label.decode() if isinstance(label, bytes) else str(label)}


def used_eval(used, primary, secondary):
    if "global" in used:
        return fit_eval(used["global"], primary, secondary)
    cols = used["columns"]
    values = [c for c, _ in cols]
    i = int(np.searchsorted(values, secondary, side="right"))
    if i == 0:
        return fit_eval(cols[0][1], primary, 0.0)
    if i == len(cols):
        return fit_eval(cols[-1][1], primary, 0.0)
    (s0, f0), (s1, f1) = cols[i - 1], cols[i]
    t = (secondary - s0) / (s1 - s0)
    return (1 - t) * fit_eval(f0, primary, 0.0) + t * fit_eval(f1, primary, 0.0)


def used_label(used):
    if used is None:
        return "no fit"
    if "global" in used:
        return used["global"]["label"]
    return f"{used['columns'][0][1]['form']} per column, rms {used['rmse']:.3g}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--png", default=None, help="output figure (default: FILE with .png)")
    a = ap.parse_args()
    try:
        f = h5py.File(a.file, "r")
    except OSError as e:
        sys.exit(f"{a.file}: cannot open as HDF5 ({e})")
    if "transfer" not in f:
        sys.exit(f"{a.file}: no /transfer group (write one with `burstsim transfer MODEL --population P`)")
    g = f["transfer"]
    soma, dend = g["soma_pa"][:], g["dend_pa"][:]
    er, er_se = g["event_rate_hz"][:], g["event_rate_se_hz"][:]
    bp, bp_se = g["burst_prob"][:], g["burst_prob_se"][:]
    pop = g.attrs["population"]
    kind = g.attrs["kind"]
    for q in ("event_rate", "burst_prob"):
        rank = 0
        while read_fit(g, q, rank) is not None:
            fit = read_fit(g, q, rank)
            print(f"{q} fit {rank}: {fit['label']} rms {fit['rmse']:.4g}")
            rank += 1
    # the fitted forms evaluated here must give the residuals burstsim stored (same formulas)
    S, D = np.meshgrid(soma, dend, indexing="ij")
    er_fit, bp_fit = read_fit(g, "event_rate"), read_fit(g, "burst_prob")
    er_used, bp_used = read_used(g, "event_rate"), read_used(g, "burst_prob")
    for name, used in (("event_rate", er_used), ("burst_prob", bp_used)):
        if used is not None:
            print(f"{name} used by meanfield: {used_label(used)}")
    if er_fit:
        ok = np.isfinite(er)
        rms = math.sqrt(np.mean((fit_eval(er_fit, S, D)[ok] - er[ok]) ** 2))
        print(f"check: best event_rate fit, rms recomputed {rms:.6g} (stored {er_fit['rmse']:.6g})")
    if bp_fit:
        n, seeds, t_s = g.attrs["neurons_per_point"], len(g.attrs["seeds"]), g.attrs["duration_ms"] * 1e-3
        ok = np.isfinite(bp) & (er >= 20.0 / (n * seeds * t_s))
        rms = math.sqrt(np.mean((fit_eval(bp_fit, D, S)[ok] - bp[ok]) ** 2))
        print(f"check: best burst_prob fit, rms recomputed {rms:.6g} (stored {bp_fit['rmse']:.6g})")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(2, 3, figsize=(15, 8))
    xs = np.linspace(soma[0], soma[-1], 200)
    colors = plt.cm.viridis(np.linspace(0, 1, len(dend)))
    for j, d in enumerate(dend):
        ax[0, 0].errorbar(soma, er[:, j], yerr=er_se[:, j], color=colors[j], marker="o", ms=3, lw=1, label=f"I_d = {d:.0f} pA")
        if er_used:
            ax[0, 0].plot(xs, used_eval(er_used, xs, d), "--", color=colors[j], lw=0.8)
    ax[0, 0].set_xlabel("somatic current I_s (pA)")
    ax[0, 0].set_ylabel("event rate ER (Hz)")
    ax[0, 0].set_title(f"ER; dashed: {used_label(er_used)}", fontsize=9)
    ax[0, 0].legend(fontsize=6, ncol=2)
    ys = np.linspace(dend[0], dend[-1], 200)
    colors = plt.cm.plasma(np.linspace(0, 1, len(soma)))
    for i, s in enumerate(soma):
        ax[0, 1].errorbar(dend, bp[i, :], yerr=bp_se[i, :], color=colors[i], marker="o", ms=3, lw=1, label=f"I_s = {s:.0f} pA")
        if bp_used:
            ax[0, 1].plot(ys, used_eval(bp_used, ys, s), "--", color=colors[i], lw=0.8)
    ax[0, 1].set_xlabel("dendritic current I_d (pA)")
    ax[0, 1].set_ylabel("burst probability BP")
    ax[0, 1].set_ylim(0, 1)
    ax[0, 1].set_title(f"BP; dashed: {used_label(bp_used)}", fontsize=9)
    ax[0, 1].legend(fontsize=6, ncol=2)
    extent = [dend[0], dend[-1], soma[0], soma[-1]]
    for k, (title, z, unit) in enumerate([("ER (Hz)", er, "Hz"), ("BP", bp, "")]):
        im = ax[1, k].imshow(z, origin="lower", aspect="auto", extent=extent, cmap="magma")
        fig.colorbar(im, ax=ax[1, k], label=title)
        ax[1, k].set_xlabel("dendritic current I_d (pA)")
        ax[1, k].set_ylabel("somatic current I_s (pA)")
        ax[1, k].set_title(f"{title} surface")
    for k, (name, label) in enumerate([("std", "depressing"), ("stf", "facilitating")]):
        meas = g[f"release_{name}_hz"][:].ravel()
        model = g[f"release_{name}_model_hz"][:].ravel()
        ax[k, 2].plot(meas, model, "o", ms=3)
        top = max(meas.max(), model.max(), 1e-9)
        ax[k, 2].plot([0, top], [0, top], "k--", lw=0.8)
        ax[k, 2].set_xlabel(f"{label} release, measured (Hz)")
        ax[k, 2].set_ylabel("train model (Hz)")
        ax[k, 2].set_title(f"STP {label}: release per neuron and second", fontsize=9)
    fig.suptitle(f"transfer of {pop} ({kind}): {g.attrs['model']}, {int(g.attrs['neurons_per_point'])} neurons per point, "
                 f"{len(g.attrs['seeds'])} seeds", fontsize=10)
    fig.tight_layout()
    png = a.png or (a.file.rsplit(".", 1)[0] + ".png")
    fig.savefig(png, dpi=110)
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
