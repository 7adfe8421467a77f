#!/usr/bin/env python3
"""The spiking BurstCCN (issue 14) from burstsim HDF5 files of models/burstccn_xor.toml.

    python3 analysis/burstccn_spiking.py calibrate MODEL.toml [--dir DIR] [--burstsim PATH]
    python3 analysis/burstccn_spiking.py baseline MODEL.toml [--dir DIR] [--burstsim PATH] [--seed S]
    python3 analysis/burstccn_spiking.py RUN.h5 [--off OFF.h5] [--png fig.png]
        [--hidden hid0 hid1] [--output out0] [--y-sign 1 -1] [--p-hidden 0.2974] [--p-output 0.2902]
        [--skip-ms 500]

For every training example (from /protocol) and every hidden unit: its BP over the example (after
`--skip-ms`) minus its baseline p_b, against the rate model's prediction sign(-Y^T delta) =
sign(Y) sign(BP_out - p_b,out) (burstccn-rate.md 1.3: delta_out = -(b - p_b e)); prints the share of
(unit, example) pairs whose signs agree, the mean |BP - p_b| of the hidden units, and the mean
weight drift of every plastic projection. With `--off` (the same model run without a teacher) it
prints the single-phase property: the hidden BP's largest deviation from p_b and the drift without
the teacher as a fraction of the drift with it. Draws the output ER per test pattern, hidden and
output BP per example against the prediction, and weights over time.

`calibrate` sets the Q weights from the population-limit machinery, not by hand: it sweeps the
transfer functions of the model's populations once (`burstsim transfer`), then, with the mean field
(`burstsim meanfield`, no teacher) at each of the four patterns' input currents, solves each Q weight
by bisection so that its hidden unit's BP does not change between the patterns of lowest and highest
output event rate (the SST's own background rate is a constant offset, which only moves the
baseline); it prints the Q weights (and the mean field's own baselines) to put in the model file.
`baseline` then measures each unit's p_b as what it is: its BP without a teacher and without
plasticity, in a spiking run of the model (each pattern held 10 s, the first 0.5 s left out), and
prints it per pattern (the spread shows how well Q cancels Y) and averaged.
"""

import argparse
import sys

import h5py
import numpy as np


def load(path):
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        sys.exit(f"{path}: cannot open as HDF5 ({e})")
    if "protocol" not in f:
        sys.exit(f"{path}: no /protocol group (run a model with a [protocol])")
    return f


def rates(f, pop):
    if f"rates/{pop}" not in f:
        sys.exit(f"{f.filename}: no /rates/{pop} (is {pop!r} recorded?)")
    g = f[f"rates/{pop}"]
    return g["time_ms"][:], float(g.attrs["bin_ms"]), g["event_rate_hz"][:], g["burst_rate_hz"][:]


def window_bp(f, pop, t0, t1):
    """BP = bursts / events over the bins inside [t0, t1) (bins start at time_ms)."""
    t, b, er, br = rates(f, pop)
    sel = (t >= t0 - 1e-9) & (t + b <= t1 + 1e-9)
    e, bb = er[sel].sum(), br[sel].sum()
    return (bb / e if e > 0 else float("nan")), er[sel].mean() if sel.any() else float("nan")


def examples(f):
    ex = f["protocol/examples"]
    names = [p.decode() if isinstance(p, bytes) else str(p) for p in f["protocol"].attrs["patterns"]]
    return names, ex["kind"][:], ex["pattern"][:], ex["start_ms"][:], ex["end_ms"][:]


def weight_drift(f):
    out = {}
    if "weights" not in f:
        return out
    for name in f["weights"]:
        m = f[f"weights/{name}/mean"][:]
        out[name] = (m[0], m[-1] - m[0])
    return out


def analyse(f, a):
    names, kind, pattern, start, end = examples(f)
    rows = []
    for k in range(len(kind)):
        if kind[k] != 1:
            continue
        t0, t1 = start[k] + a.skip_ms, end[k]
        bp_out, _ = window_bp(f, a.output, t0, t1)
        row = {"example": k, "pattern": names[pattern[k]], "bp_out": bp_out, "hidden": []}
        for h, sign, pb in zip(a.hidden, a.y_sign, a.p_hidden):
            bp, er = window_bp(f, h, t0, t1)
            row["hidden"].append((h, bp, er, sign, pb))
        rows.append(row)
    agree = total = 0
    dev = []
    for r in rows:
        pred_out = np.sign(r["bp_out"] - a.p_output)
        for h, bp, er, sign, pb in r["hidden"]:
            d = bp - pb
            dev.append(d)
            if pred_out != 0 and np.isfinite(d):
                total += 1
                agree += int(np.sign(d) == sign * pred_out)
    return rows, agree, total, np.array(dev)


PATTERNS = {"(0,0)": (-350.0, -350.0), "(1,0)": (150.0, -350.0), "(0,1)": (-350.0, 150.0), "(1,1)": (150.0, 150.0)}
Q = {"hid0": ("qs", "qs_sst0_hid0"), "hid1": ("q", "q_out0_hid1")}


def set_pathway_matrix(text, pathway, matrix):
    """Replaces the weight_matrix of [[pathway]] `pathway` in the model text."""
    import re
    pat = re.compile(r'(\[\[pathway\]\]\nname = "' + re.escape(pathway) + r'"\n(?:[^\[]*\n)*?weight_matrix = )(\[.*\])')
    new, n = pat.subn(lambda m: m.group(1) + matrix, text)
    if n != 1:
        sys.exit(f"pathway {pathway!r} with a weight_matrix not found once in the model")
    return new


def set_inputs(text, x1, x2):
    import re
    for name, v in (("x1", x1), ("x2", x2)):
        pat = re.compile(r'(\[\[input\]\]\nname = "' + name + r'"\n(?:[^\[]*\n)*?current_pa = )(-?[0-9.]+)')
        text, n = pat.subn(lambda m: m.group(1) + f"{v}", text)
        if n != 1:
            sys.exit(f"input {name!r} not found once in the model")
    return text


def calibrate(a):
    import os
    import subprocess
    os.makedirs(a.dir, exist_ok=True)
    text = open(a.model).read()
    grid = ["--soma-pa=-400:800:100", "--dend-pa=-400:800:100"]
    transfer = []
    for pop, units in (("in0", ["in0", "in1"]), ("hid0", ["hid0", "hid1"]), ("out0", ["out0"]), ("sst0", ["sst0"])):
        t = os.path.join(a.dir, f"transfer_{pop}.h5")
        if not os.path.exists(t):
            subprocess.run([a.burstsim, "transfer", a.model, "--population", pop, *grid, "--neurons", "200",
                            "--duration-ms", "2000", "--seeds", "3", "--out", t, "--quiet"], check=True, capture_output=True)
        transfer += [f"--transfer={u}={t}" for u in units]

    def meanfield(model_text):
        path = os.path.join(a.dir, "calibrating.toml")
        with open(path, "w") as f:
            f.write(model_text)
        tsv = os.path.join(a.dir, "calibrating.tsv")
        subprocess.run([a.burstsim, "meanfield", path, *transfer, "--drift-ms", "0", "--tsv", tsv, "--force", "--quiet"], check=True,
                       capture_output=True)
        vals = {}
        for line in open(tsv).read().splitlines()[1:]:
            kind, name, q, mf, _ = line.split("\t")
            vals[(name, q)] = float(mf)
        return vals

    weights = {"hid0": 0.0355, "hid1": 0.0403}

    def model_with(w):
        t = set_pathway_matrix(text, "qs", f"[[{w['hid0']:.6g}], [0.0]]")
        return set_pathway_matrix(t, "q", f"[[0.0], [{w['hid1']:.6g}]]")

    def per_pattern(w):
        base = model_with(w)
        return {p: meanfield(set_inputs(base, *x)) for p, x in PATTERNS.items()}

    first = per_pattern(weights)
    lo_p = min(first, key=lambda p: first[p][("out0", "er_hz")])
    hi_p = max(first, key=lambda p: first[p][("out0", "er_hz")])
    print(f"output ER without teacher: {lo_p} {first[lo_p][('out0', 'er_hz')]:.2f} Hz to {hi_p} "
          f"{first[hi_p][('out0', 'er_hz')]:.2f} Hz; flattening the hidden BP between them")
    for _round in range(3):
        for h in ("hid0", "hid1"):
            def slope(wq):
                w = dict(weights)
                w[h] = wq
                base = model_with(w)
                lo = meanfield(set_inputs(base, *PATTERNS[lo_p]))[(h, "bp")]
                hi = meanfield(set_inputs(base, *PATTERNS[hi_p]))[(h, "bp")]
                return hi - lo
            a_, b_ = 0.0, 4 * weights[h]
            fa, fb = slope(a_), slope(b_)
            while fa * fb > 0 and b_ < 10:
                b_ *= 2
                fb = slope(b_)
            if fa * fb > 0:
                sys.exit(f"no Q weight >= 0 flattens the BP of {h}")
            for _ in range(25):
                m = 0.5 * (a_ + b_)
                fm = slope(m)
                if fm * fa > 0:
                    a_, fa = m, fm
                else:
                    b_ = m
            weights[h] = 0.5 * (a_ + b_)
    final = per_pattern(weights)
    for h in ("hid0", "hid1"):
        bps = [final[p][(h, "bp")] for p in PATTERNS]
        print(f"{Q[h][1]} = {weights[h]:.5f}; {h} BP per pattern {', '.join(f'{b:.4f}' for b in bps)}; "
              f"p_b = {np.mean(bps):.4f}")
    out = [final[p][("out0", "bp")] for p in PATTERNS]
    print(f"out0 BP per pattern {', '.join(f'{b:.4f}' for b in out)}; p_b = {np.mean(out):.4f}")


def baseline(a):
    import os
    import re
    import subprocess
    os.makedirs(a.dir, exist_ok=True)
    text = open(a.model).read()
    text = re.sub(r"(?m)^target = \{ teacher = [0-9.]+ \}$", "", text)
    for key, value in (("epochs", "0"), ("example_ms", "10000.0"), ("learning_ms", "10000.0")):
        text, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text, count=1)
        if n != 1:
            sys.exit(f"{a.model}: no `{key}` in its [protocol]")
    model = os.path.join(a.dir, "baseline.toml")
    with open(model, "w") as f:
        f.write(text)
    out = os.path.join(a.dir, "baseline.h5")
    subprocess.run([a.burstsim, "run", model, "--seed", str(a.seed), "--out", out, "--force", "--quiet"], check=True)
    f = load(out)
    names, kind, pattern, start, end = examples(f)
    for pop in ("hid0", "hid1", "out0"):
        bps = [window_bp(f, pop, start[k] + 500.0, end[k])[0] for k in range(len(kind)) if kind[k] == 0]
        print(f"{pop}: BP without teacher per pattern {', '.join(f'{b:.4f}' for b in bps)}; p_b = {np.mean(bps):.4f} "
              f"(spread {max(bps) - min(bps):.4f})")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "baseline":
        ap = argparse.ArgumentParser(description="measure the baselines p_b of a spiking BurstCCN model")
        ap.add_argument("cmd")
        ap.add_argument("model")
        ap.add_argument("--dir", default="burstccn_calibration")
        ap.add_argument("--burstsim", default="target/release/burstsim")
        ap.add_argument("--seed", type=int, default=1)
        baseline(ap.parse_args())
        return
    if len(sys.argv) > 1 and sys.argv[1] == "calibrate":
        ap = argparse.ArgumentParser(description="calibrate the Q weights and baselines of a spiking BurstCCN model")
        ap.add_argument("cmd")
        ap.add_argument("model")
        ap.add_argument("--dir", default="burstccn_calibration")
        ap.add_argument("--burstsim", default="target/release/burstsim")
        calibrate(ap.parse_args())
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run")
    ap.add_argument("--off", default=None, help="the same model run without a teacher")
    ap.add_argument("--png", default=None)
    ap.add_argument("--hidden", nargs="+", default=["hid0", "hid1"])
    ap.add_argument("--output", default="out0")
    ap.add_argument("--y-sign", nargs="+", type=float, default=[1.0, -1.0], help="sign of Y onto each hidden unit")
    ap.add_argument("--p-hidden", type=float, nargs="+", default=[0.1542, 0.3415],
                    help="baseline p_b of each hidden unit (models/burstccn_xor.toml's)")
    ap.add_argument("--p-output", type=float, default=0.2884)
    ap.add_argument("--skip-ms", type=float, default=500.0, help="transient at each example's start, left out")
    a = ap.parse_args()
    if len(a.y_sign) != len(a.hidden):
        sys.exit("--y-sign needs one sign per --hidden unit")
    if len(a.p_hidden) == 1:
        a.p_hidden = a.p_hidden * len(a.hidden)
    if len(a.p_hidden) != len(a.hidden):
        sys.exit("--p-hidden needs one baseline per --hidden unit (or one for all)")
    f = load(a.run)
    _, kind, _, start, end = examples(f)
    shortest = float(np.min(end[kind == 1] - start[kind == 1])) if np.any(kind == 1) else None
    if shortest is not None and a.skip_ms >= shortest:
        sys.exit(f"{a.run}: --skip-ms {a.skip_ms:g} leaves nothing of the {shortest:g} ms training examples: "
                 "give a smaller --skip-ms")
    rows, agree, total, dev = analyse(f, a)
    if not rows:
        sys.exit(f"{a.run}: no training example finished in the {float(f.attrs['t_stop_ms']):g} ms the file covers: "
                 "run the model past its [protocol] burn-in, tests and first example")
    print(f"{a.run}: {len(rows)} training examples")
    print(f"  hidden BP - p_b against sign(-Y^T delta): {agree}/{total} = {100 * agree / max(total, 1):.1f} % agree")
    print(f"  hidden |BP - p_b|: mean {np.nanmean(np.abs(dev)):.4f}, largest {np.nanmax(np.abs(dev)):.4f}")
    out_dev = np.array([r["bp_out"] - a.p_output for r in rows])
    print(f"  output |BP - p_b|: mean {np.nanmean(np.abs(out_dev)):.4f}")
    drift_on = weight_drift(f)
    for name, (w0, dw) in sorted(drift_on.items()):
        print(f"  {name}: w0 {w0:.4f}, drift {dw:+.5f} ({100 * dw / w0:+.2f} %)")
    if a.off:
        g = load(a.off)
        rows_off, _, _, dev_off = analyse(g, a)
        drift_off = weight_drift(g)
        print(f"{a.off} (no teacher): {len(rows_off)} training examples")
        print(f"  hidden |BP - p_b|: mean {np.nanmean(np.abs(dev_off)):.4f}, largest {np.nanmax(np.abs(dev_off)):.4f} "
              f"(single-phase property: below 0.02)")
        ratios = []
        for name in sorted(drift_on):
            if name in drift_off and drift_on[name][1] != 0:
                r = abs(drift_off[name][1]) / abs(drift_on[name][1])
                ratios.append(r)
                print(f"  {name}: drift without teacher {drift_off[name][1]:+.5f}, {100 * r:.1f} % of the drift with it")
        if ratios:
            print(f"  largest drift ratio {100 * max(ratios):.1f} % (single-phase property: below 10 %)")
    if a.png:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(1, 3, figsize=(14, 4))
        k = np.arange(len(rows))
        for j, h in enumerate(a.hidden):
            ax[0].plot(k, [r["hidden"][j][1] for r in rows], ".", label=f"{h} BP")
        ax[0].plot(k, [r["bp_out"] for r in rows], "k.", label=f"{a.output} BP")
        for pb in a.p_hidden:
            ax[0].axhline(pb, color="gray", lw=0.8)
        ax[0].set_xlabel("training example")
        ax[0].set_ylabel("burst probability")
        ax[0].legend(fontsize=7)
        for name, (w0, _) in sorted(drift_on.items()):
            m = f[f"weights/{name}/mean"][:]
            ax[1].plot(f[f"weights/{name}/time_ms"][:] / 1000.0, m, label=name)
        ax[1].set_xlabel("time (s)")
        ax[1].set_ylabel("mean weight (g_L)")
        ax[1].legend(fontsize=6)
        names, kind, pattern, start, end = examples(f)
        for kk, label in ((0, "before"), (2, "after")):
            ers = [window_bp(f, a.output, start[i] + a.skip_ms, end[i])[1] for i in range(len(kind)) if kind[i] == kk]
            pats = [names[pattern[i]] for i in range(len(kind)) if kind[i] == kk]
            if ers:
                ax[2].plot(pats, ers, "o-", label=f"test {label}")
        ax[2].axhline(6.0, color="gray", lw=0.8)
        ax[2].set_xlabel("test pattern")
        ax[2].set_ylabel(f"{a.output} ER (Hz)")
        ax[2].legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(a.png, dpi=110)
        print(f"wrote {a.png}")


if __name__ == "__main__":
    main()
