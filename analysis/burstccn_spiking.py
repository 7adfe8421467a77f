#!/usr/bin/env python3
"""The spiking BurstCCN (issue 14) from burstsim HDF5 files of models/burstccn_xor.toml.

    python3 analysis/burstccn_spiking.py calibrate MODEL.toml [--dir DIR] [--burstsim PATH]
    python3 analysis/burstccn_spiking.py ablations MODEL.toml [--dir DIR] [--epochs N]
    python3 analysis/burstccn_spiking.py baseline MODEL.toml [--dir DIR] [--burstsim PATH] [--seed S]
    python3 analysis/burstccn_spiking.py qspiking MODEL.toml --drive PATHWAY LOW HIGH [--iters N]
        [--dir DIR] [--burstsim PATH] [--seed S]
    python3 analysis/burstccn_spiking.py RUN.h5 [--off OFF.h5] [--png fig.png]
        [--hidden hid0 hid1] [--output out0] [--y-sign S ...] [--p-hidden P ...] [--p-output P]
        [--skip-ms 500] [--raster-ms 8000]   (p_b and Y signs default to the run's stored model's)

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
prints it per pattern (the spread shows how well Q cancels Y), averaged, and pooled over the events
of the four patterns (bursts / events: the p_b at which the rule's drift without a teacher sums to
zero, and defined when a pattern silences the unit, where the per-pattern BP is not).
`qspiking` calibrates the same Q weights on the spiking circuit instead, over a range of the
output's event rate rather than at its baseline: without a teacher and without plasticity (each
pattern held 4 s, the first 0.5 s left out) the output is driven at two rates by setting the scalar
`weight` of PATHWAY (e.g. the output's bias, `bo`) to LOW and HIGH, and each Q weight is moved by a
secant search until its hidden unit's BP, pooled over the four patterns, is the same at both (to
`--tol`, 0.002: about the BP's noise at 200 neurons); it
prints every step and the Q weights to put in the model file (for circuits the mean field does not
cover, e.g. with a Poisson bias layer, or outputs driven far above their baseline).
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


def model_defaults(f, hidden, output):
    """(p_b per hidden unit, p_b of the output, Y sign per hidden unit) read from the model text
    stored in the run: the p_baseline of the plastic [[pathway]] (or [[projection]]) onto each
    unit, and the receptor of the bursts-only dendritic pathway from the output onto it."""
    import tomllib
    text = f.attrs.get("model")
    if text is None:
        return None
    text = text.decode() if isinstance(text, bytes) else str(text)
    try:
        m = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None

    def rows_onto(pw, unit):
        # does pathway pw reach `unit` (layer name + index)? weight_matrix rows are the target units
        layer, idx = unit.rstrip("0123456789"), unit[len(unit.rstrip("0123456789")):]
        if pw.get("to") != layer or not idx:
            return False
        wm = pw.get("weight_matrix")
        return wm is None or any(w != 0 for w in wm[int(idx)])

    pws = m.get("pathway", [])
    def p_b(unit):
        for pw in pws:
            pl = pw.get("plasticity") or {}
            if pl.get("rule") == "burstccn" and rows_onto(pw, unit):
                return float(pl["p_baseline"])
        return None

    def y_sign(unit):
        out_layer = output.rstrip("0123456789")
        for pw in pws:
            if pw.get("from") == out_layer and pw.get("target") == "dendrite" and pw.get("transmit") == "bursts" \
                    and rows_onto(pw, unit):
                return 1.0 if pw.get("receptor") == "exc" else -1.0
        return None

    ph = [p_b(h) for h in hidden]
    ys = [y_sign(h) for h in hidden]
    if any(x is None for x in ph + ys) or p_b(output) is None:
        return None
    return ph, p_b(output), ys


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

def q_pathways(text):
    """{hidden unit: (Q pathway, projection name)} from the model text: the rows of the `qs` (SST ->
    hidden, GABA) and `q` (output -> hidden, direct) weight matrices that reach each hidden unit."""
    import tomllib
    m = tomllib.loads(text)
    out = {}
    for pw in m.get("pathway", []):
        if pw.get("name") not in ("qs", "q"):
            continue
        for i, row in enumerate(pw.get("weight_matrix", [])):
            if any(w != 0 for w in row):
                out[f"{pw['to']}{i}"] = (pw["name"], f"{pw['name']}_{pw['from']}0_{pw['to']}{i}", len(pw["weight_matrix"]))
    return out


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

    Q = q_pathways(text)
    if not Q:
        sys.exit(f"{a.model}: no `qs` or `q` [[pathway]] reaches a hidden unit")
    weights = {h: 0.04 for h in Q}

    def model_with(w):
        t = text
        for name in ("qs", "q"):
            units = [h for h in Q if Q[h][0] == name]
            if not units:
                continue
            n = Q[units[0]][2]
            rows = [f"[{w[f'hid{i}']:.6g}]" if f"hid{i}" in units else "[0.0]" for i in range(n)]
            t = set_pathway_matrix(t, name, "[" + ", ".join(rows) + "]")
        return t

    def per_pattern(w):
        base = model_with(w)
        return {p: meanfield(set_inputs(base, *x)) for p, x in PATTERNS.items()}

    first = per_pattern(weights)
    lo_p = min(first, key=lambda p: first[p][("out0", "er_hz")])
    hi_p = max(first, key=lambda p: first[p][("out0", "er_hz")])
    print(f"output ER without teacher: {lo_p} {first[lo_p][('out0', 'er_hz')]:.2f} Hz to {hi_p} "
          f"{first[hi_p][('out0', 'er_hz')]:.2f} Hz; flattening the hidden BP between them")
    for _round in range(3):
        for h in Q:
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
    for h in Q:
        bps = [final[p][(h, "bp")] for p in PATTERNS]
        print(f"{Q[h][1]} = {weights[h]:.5f}; {h} BP per pattern {', '.join(f'{b:.4f}' for b in bps)}; "
              f"p_b = {np.mean(bps):.4f}")
    out = [final[p][("out0", "bp")] for p in PATTERNS]
    print(f"out0 BP per pattern {', '.join(f'{b:.4f}' for b in out)}; p_b = {np.mean(out):.4f}")


def set_pathway_weight(text, pathway, value):
    """Replaces the scalar `weight` of [[pathway]] `pathway` in the model text."""
    import re
    pat = re.compile(r'(\[\[pathway\]\]\nname = "' + re.escape(pathway) + r'"\n(?:[^\[]*\n)*?weight = )([0-9.eE+-]+)\n')
    new, n = pat.subn(lambda m: m.group(1) + f"{value}\n", text)
    if n != 1:
        sys.exit(f"pathway {pathway!r} with a scalar weight not found once in the model")
    return new


def qspiking(a):
    import os
    import re
    import subprocess
    os.makedirs(a.dir, exist_ok=True)
    text = open(a.model).read()
    text = re.sub(r"(?m)^target = \{ teacher = [0-9.]+ \}$", "", text)
    for key, value in (("epochs", "0"), ("example_ms", "4000.0"), ("learning_ms", "4000.0")):
        text, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text, count=1)
        if n != 1:
            sys.exit(f"{a.model}: no `{key}` in its [protocol]")
    Q = q_pathways(text)
    if not Q:
        sys.exit(f"{a.model}: no `qs` or `q` [[pathway]] reaches a hidden unit")
    weights = {}
    for h, (name, _, n) in Q.items():
        m = re.search(r'\[\[pathway\]\]\nname = "' + name + r'"\n(?:[^\[]*\n)*?weight_matrix = (\[.*\])', text)
        weights[h] = float(eval(m.group(1))[int(h[len(h.rstrip("0123456789")):])][0])
    pathway, lo_w, hi_w = a.drive[0], float(a.drive[1]), float(a.drive[2])

    def with_q(w, drive):
        t = set_pathway_weight(text, pathway, drive)
        for name in ("qs", "q"):
            units = [h for h in Q if Q[h][0] == name]
            if units:
                rows = [f"[{w[f'hid{i}']:.6g}]" if f"hid{i}" in units else "[0.0]" for i in range(Q[units[0]][2])]
                t = set_pathway_matrix(t, name, "[" + ", ".join(rows) + "]")
        return t

    def measure(w, drive):
        path, out = os.path.join(a.dir, "qspiking.toml"), os.path.join(a.dir, "qspiking.h5")
        with open(path, "w") as f:
            f.write(with_q(w, drive))
        subprocess.run([a.burstsim, "run", path, "--seed", str(a.seed), "--threads", "1", "--out", out, "--force", "--quiet"],
                       check=True)
        f = load(out)
        _, kind, _, start, end = examples(f)
        res = {}
        for pop in list(Q) + ["out0"]:
            t, b, er, br = rates(f, pop)
            sel = np.zeros(len(t), bool)
            for k in range(len(kind)):
                sel |= (t >= start[k] + 500.0 - 1e-9) & (t + b <= end[k] + 1e-9)
            res[pop] = (br[sel].sum() / max(er[sel].sum(), 1e-12), er[sel].mean())
        f.close()
        return res

    hist = {h: [] for h in Q}
    for it in range(a.iters):
        lo, hi = measure(weights, lo_w), measure(weights, hi_w)
        line = [f"output ER {lo['out0'][1]:.2f} -> {hi['out0'][1]:.2f} Hz"]
        for h in Q:
            d = hi[h][0] - lo[h][0]
            hist[h].append((weights[h], d))
            line.append(f"{Q[h][1]} {weights[h]:.5f}: {h} BP {lo[h][0]:.4f} -> {hi[h][0]:.4f} ({d:+.4f})")
        print(f"step {it}: " + "; ".join(line), flush=True)
        if all(abs(hist[h][-1][1]) < a.tol for h in Q):
            break
        for h in Q:
            if abs(hist[h][-1][1]) < a.tol:
                continue
            (w1, d1) = hist[h][-1]
            if len(hist[h]) == 1:
                # more SST inhibition (qs) lowers the slope, more direct excitation (q) raises it
                up = (d1 > 0) == (Q[h][0] == "qs")
                weights[h] = w1 * (1.15 if up else 1 / 1.15)
            else:
                w0, d0 = hist[h][-2]
                w = w1 - d1 * (w1 - w0) / (d1 - d0) if d1 != d0 else w1
                weights[h] = min(max(w, 0.3 * w1), 3.0 * w1)
    best = {h: min(hist[h], key=lambda x: abs(x[1])) for h in Q}
    for h in Q:
        print(f"{Q[h][1]} = {best[h][0]:.5f} (BP change {best[h][1]:+.4f} between the two output rates)")


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
        w = [window_bp(f, pop, start[k] + 500.0, end[k]) for k in range(len(kind)) if kind[k] == 0]
        bps = [x[0] for x in w]
        # pooled: bursts over events of all four patterns, the p_b at which the rule's drift without a
        # teacher sums to zero over the patterns (and defined when one pattern silences the unit)
        ers = np.array([x[1] for x in w])
        pooled = np.nansum(np.array(bps) * ers) / ers.sum() if ers.sum() > 0 else float("nan")
        print(f"{pop}: BP without teacher per pattern {', '.join(f'{b:.4f}' for b in bps)} (ER "
              f"{', '.join(f'{e:.2f}' for e in ers)} Hz); p_b = {np.mean(bps):.4f} (spread {max(bps) - min(bps):.4f}); "
              f"pooled over events {pooled:.4f}")


def raster(f, ax, span_ms):
    """Spikes of every recorded population over the run's last `span_ms`, 50 neurons each, one
    band per population (or a note when the run recorded no spikes)."""
    t1 = float(f.attrs["t_stop_ms"])
    t0 = max(0.0, t1 - span_ms)
    if "spikes" not in f or not len(f["spikes"]):
        ax.text(0.5, 0.5, "no spikes recorded\n([output] spikes = true)", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return
    ticks, labels = [], []
    for band, pop in enumerate(sorted(f["spikes"])):
        t = f[f"spikes/{pop}/timestamps"][:]
        n = f[f"spikes/{pop}/node_ids"][:]
        sel = (t >= t0) & (t < t1) & (n < 50)
        ax.plot(t[sel] / 1000.0, band * 55 + n[sel], "|", ms=1.5, color=f"C{band % 10}")
        ticks.append(band * 55 + 25)
        labels.append(pop)
    ax.set_yticks(ticks, labels)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("neuron (first 50 of each population)")


def drop_pathways(text, names):
    """The model text without the [[pathway]] tables named in `names` (each table ends where the
    next table or section comment starts)."""
    import re
    out, skipping = [], False
    for line in text.split("\n"):
        if line.startswith("[") or line.startswith("# ---"):
            skipping = False
        if skipping:
            continue
        out.append(line)
        if len(out) >= 2 and out[-2].startswith("[[pathway]]"):
            m = re.match(r'^name = "(.*)"$', line)
            if m and m.group(1) in names:
                out = out[:-2]
                skipping = True
    return "\n".join(out)


def without_teacher(text):
    import re
    return re.sub(r"(?m)^target = \{ teacher = [0-9.]+ \}$", "", text)


def ablations(a):
    """Writes the item-5 ablations of a model, each with and without its teacher (issue 14;
    docs/spiking_burstccn.md): noq (the Q pathways qe, qs, q removed), all (every pathway
    transmits all spikes), pbar (the reference rule's moving-average P_bar, tau_avg 2 s, no
    homeostasis, instead of each BurstCCN rule's fixed p_b) and swapy (the Y rows swapped between
    the two hidden units and Q with them: calibrate and baseline it before running)."""
    import os
    import re
    os.makedirs(a.dir, exist_ok=True)
    text = open(a.model).read()
    if a.epochs is not None:
        text, n = re.subn(r"(?m)^epochs = .*$", f"epochs = {a.epochs}", text, count=1)
        if n != 1:
            sys.exit(f"{a.model}: no `epochs` in its [protocol]")
    variants = {
        "noq": drop_pathways(text, {"qe", "qs", "q"}),
        "all": text.replace('transmit = "events"', 'transmit = "all"').replace('transmit = "bursts"', 'transmit = "all"'),
        "pbar": re.sub(r'rule = "burstccn", eta = ([0-9.e-]+), tau_pre_ms = ([0-9.]+), (w_max = [0-9.]+, )?p_baseline = [0-9.]+',
                       r'rule = "burst", eta = \1, tau_pre_ms = \2, \3tau_avg_ms = 2000.0, theta_min_hz = 0.0, '
                       r'theta_max_hz = 1000.0', text),
    }
    swap = text
    for first, second in (("y", "yi"), ("qs", "q")):
        m1 = re.search(r'\[\[pathway\]\]\nname = "' + first + r'"\n(?:[^\[]*\n)*?weight_matrix = (\[.*\])', swap)
        m2 = re.search(r'\[\[pathway\]\]\nname = "' + second + r'"\n(?:[^\[]*\n)*?weight_matrix = (\[.*\])', swap)
        if not (m1 and m2):
            sys.exit(f"{a.model}: pathways {first!r} and {second!r} with weight matrices are needed for swapy")
        swap = set_pathway_matrix(swap, first, m2.group(1))
        swap = set_pathway_matrix(swap, second, m1.group(1))
    variants["swapy"] = swap
    for name, t in variants.items():
        for suffix, body in (("on", t), ("off", without_teacher(t))):
            path = os.path.join(a.dir, f"{name}_{suffix}.toml")
            with open(path, "w") as f:
                f.write(body)
        print(f"{name}: {os.path.join(a.dir, name)}_on.toml and _off.toml")
    print("swapy: run `calibrate` and `baseline` on swapy_on.toml first and put its Q weights and p_b in both files;")
    print("then run each pair and score it with: burstccn_spiking.py NAME_on.h5 --off NAME_off.h5 "
          "(give --p-hidden, --p-output and --y-sign for all and pbar, whose files no longer say them)")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "ablations":
        ap = argparse.ArgumentParser(description="write the ablations of a spiking BurstCCN model")
        ap.add_argument("cmd")
        ap.add_argument("model")
        ap.add_argument("--dir", default="burstccn_ablations")
        ap.add_argument("--epochs", type=int, default=None)
        ablations(ap.parse_args())
        return
    if len(sys.argv) > 1 and sys.argv[1] == "qspiking":
        ap = argparse.ArgumentParser(description="calibrate the Q weights of a spiking BurstCCN model on the spiking circuit")
        ap.add_argument("cmd")
        ap.add_argument("model")
        ap.add_argument("--drive", nargs=3, required=True, metavar=("PATHWAY", "LOW", "HIGH"),
                        help="the pathway whose scalar weight drives the output, and its two values")
        ap.add_argument("--iters", type=int, default=6)
        ap.add_argument("--tol", type=float, default=0.002, help="stop when every BP change is below this")
        ap.add_argument("--dir", default="burstccn_calibration")
        ap.add_argument("--burstsim", default="target/release/burstsim")
        ap.add_argument("--seed", type=int, default=1)
        qspiking(ap.parse_args())
        return
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
    ap.add_argument("--y-sign", nargs="+", type=float, default=None,
                    help="sign of Y onto each hidden unit (default: read from the run's model)")
    ap.add_argument("--p-hidden", type=float, nargs="+", default=None,
                    help="baseline p_b of each hidden unit (default: the run's model's p_baseline onto it)")
    ap.add_argument("--p-output", type=float, default=None, help="the output's p_b (default: from the run's model)")
    ap.add_argument("--raster-ms", type=float, default=8000.0,
                    help="the raster panel shows this much of the run's end (needs [output] spikes = true)")
    ap.add_argument("--skip-ms", type=float, default=500.0, help="transient at each example's start, left out")
    a = ap.parse_args()
    f = load(a.run)
    if a.y_sign is None or a.p_hidden is None or a.p_output is None:
        d = model_defaults(f, a.hidden, a.output)
        if d is None:
            sys.exit(f"{a.run}: cannot read the p_b and Y signs of {a.hidden} and {a.output} from its stored model "
                     "(a layered [[pathway]] model): give --p-hidden, --p-output and --y-sign")
        a.p_hidden = a.p_hidden if a.p_hidden is not None else d[0]
        a.p_output = a.p_output if a.p_output is not None else d[1]
        a.y_sign = a.y_sign if a.y_sign is not None else d[2]
        print(f"from the model: p_b {dict(zip(a.hidden, a.p_hidden))}, {a.output} {a.p_output}, "
              f"Y signs {dict(zip(a.hidden, a.y_sign))}")
    if len(a.y_sign) != len(a.hidden):
        sys.exit("--y-sign needs one sign per --hidden unit")
    if len(a.p_hidden) == 1:
        a.p_hidden = a.p_hidden * len(a.hidden)
    if len(a.p_hidden) != len(a.hidden):
        sys.exit("--p-hidden needs one baseline per --hidden unit (or one for all)")
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
        # how much of the hidden BP follows the output's event rate without a teacher (what Q
        # cancels): the slope of BP on the output ER over the examples, and the per-pattern spread
        out_er = np.array([window_bp(g, a.output, start_g + a.skip_ms, end_g)[1] for start_g, end_g in
                           ((examples(g)[3][r["example"]], examples(g)[4][r["example"]]) for r in rows_off)])
        for j, h in enumerate(a.hidden):
            bp = np.array([r["hidden"][j][1] for r in rows_off])
            ok = np.isfinite(bp) & np.isfinite(out_er)
            slope = np.polyfit(out_er[ok], bp[ok], 1)[0] if ok.sum() > 2 and np.ptp(out_er[ok]) > 0 else float("nan")
            by_pat = {}
            for r, b in zip(rows_off, bp):
                by_pat.setdefault(r["pattern"], []).append(b)
            means = [np.nanmean(v) for v in by_pat.values()]
            print(f"  {h}: BP without teacher per pattern {', '.join(f'{k} {np.nanmean(v):.3f}' for k, v in by_pat.items())}"
                  f" (spread {max(means) - min(means):.3f}); slope on {a.output}'s ER {slope:+.4f} per Hz "
                  f"(ER {np.nanmin(out_er):.2f}-{np.nanmax(out_er):.2f} Hz)")
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
        fig, axs = plt.subplots(2, 3, figsize=(15, 8))
        ax = axs.ravel()
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
        # learning curve: the output's ER in every training example (after --skip-ms) by pattern,
        # against the epoch, with the teacher's target rates and the 6 Hz threshold
        ex = f["protocol/examples"]
        epoch = ex["epoch"][:]
        for pi, pname in enumerate(names):
            sel = [i for i in range(len(kind)) if kind[i] == 1 and pattern[i] == pi]
            ers = [window_bp(f, a.output, start[i] + a.skip_ms, end[i])[1] for i in sel]
            ax[3].plot(epoch[sel], ers, ".-", ms=3, lw=0.6, label=pname)
        ax[3].axhline(6.0, color="gray", lw=0.8)
        ax[3].set_xlabel("epoch")
        ax[3].set_ylabel(f"{a.output} ER during training (Hz)")
        ax[3].legend(fontsize=7)
        cost = ex["cost_after"][:, 0]
        sel = kind == 1
        epochs = np.unique(epoch[sel])
        ax[4].plot(epochs, [np.nanmean(cost[sel & (epoch == e)]) for e in epochs], "k.-", ms=3, lw=0.6)
        ax[4].set_xlabel("epoch")
        ax[4].set_ylabel("cost at the end of each example (spec 7.4), mean over the epoch")
        raster(f, ax[5], a.raster_ms)
        fig.tight_layout()
        fig.savefig(a.png, dpi=110)
        print(f"wrote {a.png}")


if __name__ == "__main__":
    main()
