#!/usr/bin/env python3
"""Side-by-side speed comparison of burstsim with Brian2 (C++ standalone) and, optionally, NEST.

Not part of the test suite. Run through benches/compare/run.sh, which makes the virtual environment
(pinned Brian2, optional NEST) and calls this script with it.

Networks (each built in Brian2/NEST from the same model file burstsim runs):
  coba      models/coba.toml       COBA, 4000 conductance LIF, p = 0.02, in-degree 80
  coba40k   models/coba40k.toml    the same at 40 000 neurons, p = 0.002, in-degree 80
  stp       models/stp_network.toml  two layers of Naud pyramidal neurons (spec 1.1-1.6), private
                                   Poisson drive onto soma and dendrite, depressing TM synapses

Timing:
  burstsim  whole-process wall time of `burstsim run MODEL --out X --force --quiet` (wiring, HDF5
            writing and process start included: this favours the others)
  brian2    the simulation loop only, as Brian2 reports it (device._last_run_time, from
            results/last_run_info.txt); compilation and synapse creation excluded. The binary is
            compiled once per network and rerun for each repetition. COBA runs as two Brian2
            runs (the 50 ms Poisson kick, then the rest); the time is that of the second run,
            and its RTF is divided by the second run's simulated time.
  nest      nest.Simulate() only, if NEST imports: COBA-4k (and COBA-40k with --nest-40k; NEST
            has no Naud neuron), --nest-runs times (default 1).
RTF = time / simulated seconds; median of --runs interleaved repetitions.
"""

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
NETS = {
    "coba": "models/coba.toml",
    "coba40k": "models/coba40k.toml",
    "stp": "models/stp_network.toml",
}


def load(net):
    with open(os.path.join(ROOT, NETS[net]), "rb") as f:
        return tomllib.load(f)


def by_name(model, kind, name):
    return next(x for x in model[kind] if x["name"] == name)


# ----------------------------------------------------------------------------------------------
# burstsim


def burstsim_run(binary, net, duration_ms, out):
    cmd = [binary, "run", os.path.join(ROOT, NETS[net]), "--out", out, "--force", "--quiet"]
    if duration_ms is not None:
        cmd += ["--duration-ms", str(duration_ms)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def burstsim_rates(out, duration_s):
    import h5py

    rates = {}
    with h5py.File(out, "r") as f:
        for pop in f["spikes"]:
            g = f["spikes"][pop]
            rates[pop] = len(g["node_ids"]) / g.attrs["n_nodes"] / duration_s
    return rates


# ----------------------------------------------------------------------------------------------
# Brian2: one worker process per network (compile, run once, report rates and the loop time)


def brian2_coba(model, duration_ms, b2):
    """The COBA network of models/coba*.toml, as burstsim's `lif` kind integrates it: forward
    Euler for V, exact decay of the conductances (written so that Euler applies the factor
    exp(-dt/tau) exactly), threshold after the update, spikes act on g in the same step."""
    from brian2 import NeuronGroup, PoissonInput, SpikeMonitor, Synapses, Network, ms, mV, Hz

    sim = model["simulation"]
    dt = sim["dt_ms"]
    exc, inh = by_name(model, "population", "exc"), by_name(model, "population", "inh")
    ns = {
        "E_L": -60 * mV,
        "E_E": 0 * mV,
        "E_I": -80 * mV,
        "tau_m": 20 * ms,
        "k_e": 1 - math.exp(-dt / 5.0),
        "k_i": 1 - math.exp(-dt / 10.0),
        "dt_": dt * ms,
    }
    eqs = """
    dv/dt = ((E_L - v) + g_e * (E_E - v) + g_i * (E_I - v)) / tau_m : volt (unless refractory)
    dg_e/dt = -g_e * k_e / dt_ : 1
    dg_i/dt = -g_i * k_i / dt_ : 1
    """
    n_e, n_i = exc["size"], inh["size"]
    # burstsim clamps V for ref_steps = 50 steps after the spike step and integrates again at the
    # 51st; Brian2 integrates again once timestep(t - lastspike) >= timestep(refractory), so 5.1 ms.
    refractory = (math.floor(5.0 / dt + 1e-9) + 1) * dt * ms
    G = NeuronGroup(n_e + n_i, eqs, threshold="v > -50*mV", reset="v = -60*mV",
                    refractory=refractory, method="euler", namespace=ns, dt=dt * ms)
    P = {"exc": G[:n_e], "inh": G[n_e:]}
    for pop, sub in P.items():
        c = by_name(model, "population", pop)
        sub.v = f"{c['v_init_mean_mv']}*mV + {c['v_init_sd_mv']}*mV*randn()"
        sub.g_e = f"clip({c['g_exc_init_mean']} + {c['g_exc_init_sd']}*randn(), 0, inf)"
        sub.g_i = f"clip({c['g_inh_init_mean']} + {c['g_inh_init_sd']}*randn(), 0, inf)"
    objs = [G]
    for pr in model["projection"]:
        var = "g_e" if pr["receptor"] == "exc" else "g_i"
        S = Synapses(P[pr["from"]], P[pr["to"]], on_pre=f"{var}_post += {pr['weight']}",
                     dt=dt * ms)
        if pr["from"] == pr["to"]:
            S.connect(condition="i != j", p=pr["connect"]["p"])
        else:
            S.connect(p=pr["connect"]["p"])
        objs.append(S)
    kicks = []
    for inp in model["input"]:
        var = "g_e" if inp["receptor"] == "exc" else "g_i"
        kicks.append(PoissonInput(P[inp["target"]], var, 1, inp["rate_hz"] * Hz, inp["weight"]))
    mons = {pop: SpikeMonitor(sub, record=False) for pop, sub in P.items()}
    net = Network(objs + kicks + list(mons.values()))
    kick_ms = model["phase"][0]["at_ms"]
    net.run(kick_ms * ms)
    for k in kicks:
        k.active = False
    net.run((duration_ms - kick_ms) * ms)
    return mons, (duration_ms - kick_ms) / 1000.0


PYR = dict(e_l=-70.0, e_thr=-50.0, d_thr=2.0, tau_thr=27.0, tau_s=16.0, c_s=370.0, g_s=1300.0,
           b=200.0, tau_ws=100.0, tau_d=7.0, c_d=170.0, g_d=1200.0, a_wd=13.0, tau_wd=30.0,
           c_bap=2600.0, bap_ms=2.0, e_d=-38.0, d_d=6.0, w_d_init=0.1)
STP = {"depressing": dict(U=0.9, tau_D=20.0, tau_F=1000.0),
       "facilitating": dict(U=0.02, tau_D=100.0, tau_F=100.0)}


def brian2_stp(model, duration_ms, b2):
    """The two-compartment network of models/stp_network.toml: the Naud neuron of spec 1.3-1.4 as
    src/neuron/pyramidal.rs integrates it (forward Euler with the old state, exact conductance and
    w_s decay, f(V_d) of the old V_d, dendritic driving force V_s (P1), the bAP box on for the
    bap_steps steps after a spike, threshold after the update, no refractory period). The only
    difference left: w_d is updated from the old V_d here, from the new one in burstsim (O(dt^2)).
    TM STP (src/synapse/stp.rs) with one (x, u) per presynaptic neuron and projection, kept in
    the presynaptic group: Euler relaxation, release r = u x computed at the spike from the values
    before it (reset code), then x -= r, u += U (1 - u); each target receives w r after the delay
    (a second spike of the same neuron within the delay would overwrite r: ignored)."""
    from brian2 import NeuronGroup, PoissonInput, SpikeMonitor, Synapses, Network, ms, mV, Hz, pA, pF, nS

    sim = model["simulation"]
    dt = sim["dt_ms"]
    p = PYR
    ns = {
        "E_L": p["e_l"] * mV, "E_thr": p["e_thr"] * mV, "tau_thr": p["tau_thr"] * ms,
        "tau_s": p["tau_s"] * ms, "C_s": p["c_s"] * pF, "g_s": p["g_s"] * pA, "b": p["b"] * pA,
        "tau_d": p["tau_d"] * ms, "C_d": p["c_d"] * pF, "g_d": p["g_d"] * pA,
        "a_wd": p["a_wd"] * nS, "tau_wd": p["tau_wd"] * ms, "c_bap": p["c_bap"] * pA,
        "E_d": p["e_d"] * mV, "D_d": p["d_d"] * mV, "E_E": 0 * mV, "E_I": -80 * mV,
        "k_e": 1 - math.exp(-dt / 5.0), "k_i": 1 - math.exp(-dt / 10.0),
        "k_ws": 1 - math.exp(-dt / p["tau_ws"]), "dt_": dt * ms,
        "bap_end": (math.floor(p["bap_ms"] / dt + 1e-9) + 0.5) * dt * ms,
    }
    base = """
    dv_s/dt = (E_L - v_s)/tau_s + (g_s*f - b*w_s)/C_s + (g_e_s*(E_E - v_s) + g_i_s*(E_I - v_s))/tau_s : volt
    dv_d/dt = (E_L - v_d)/tau_d + (g_d*f - a_wd*w_d + box*c_bap)/C_d + (g_e_d*(E_E - v_s) + g_i_d*(E_I - v_s))/tau_d : volt
    f = 1/(1 + exp(-(v_d - E_d)/D_d)) : 1
    box = int(t - lastspike > 0.5*dt_) * int(t - lastspike < bap_end) : 1
    dw_s/dt = -w_s*k_ws/dt_ : 1
    dw_d/dt = ((v_d - E_L) - w_d)/tau_wd : volt
    dtheta/dt = (E_thr - theta)/tau_thr : volt
    dg_e_s/dt = -g_e_s*k_e/dt_ : 1
    dg_i_s/dt = -g_i_s*k_i/dt_ : 1
    dg_e_d/dt = -g_e_d*k_e/dt_ : 1
    dg_i_d/dt = -g_i_d*k_i/dt_ : 1
    """
    stp_of = {}  # presynaptic population -> [(projection name, params)]
    for pr in model["projection"]:
        if "stp" in pr:
            stp_of.setdefault(pr["from"], []).append((pr["name"], STP[pr["stp"]]))
    groups = {}
    for pop in model["population"]:
        eqs, reset = base, "v_s = E_L; theta += 2*mV; w_s += 1"
        for name, s in stp_of.get(pop["name"], []):
            eqs += f"""
    dx_{name}/dt = (1 - x_{name})/({s['tau_D']}*ms) : 1
    du_{name}/dt = ({s['U']} - u_{name})/({s['tau_F']}*ms) : 1
    r_{name} : 1
    """
            reset += (f"; r_{name} = u_{name}*x_{name}; x_{name} -= r_{name}; "
                      f"u_{name} += {s['U']}*(1 - u_{name})")
        G = NeuronGroup(pop["size"], eqs, threshold="v_s > theta", reset=reset,
                        refractory=0 * ms, method="euler", namespace=ns, dt=dt * ms)
        G.v_s = f"-70*mV + {pop.get('v_init_sd_mv', 0.0)}*mV*randn()"
        G.v_d = p["e_l"] * mV
        G.w_d = p["w_d_init"] * mV
        G.theta = p["e_thr"] * mV
        for name, _ in stp_of.get(pop["name"], []):
            setattr(G, f"x_{name}", 1.0)
            setattr(G, f"u_{name}", 0.01)  # the reference's start (P6)
        groups[pop["name"]] = G
    objs = list(groups.values())
    var_of = lambda target, receptor: ("g_e_" if receptor == "exc" else "g_i_") + (
        "s" if target == "soma" else "d")
    for pr in model["projection"]:
        var = var_of(pr["target"], pr["receptor"])
        rel = f" * r_{pr['name']}_pre" if "stp" in pr else ""
        S = Synapses(groups[pr["from"]], groups[pr["to"]], on_pre=f"{var}_post += {pr['weight']}{rel}",
                     delay=pr.get("delay_ms", 0.8) * ms, dt=dt * ms)
        if pr["from"] == pr["to"]:
            S.connect(condition="i != j", p=pr["connect"]["p"])
        else:
            S.connect(p=pr["connect"]["p"])
        objs.append(S)
    for inp in model["input"]:
        var = var_of(inp["compartment"], inp["receptor"])
        objs.append(PoissonInput(groups[inp["target"]], var, 1, inp["rate_hz"] * Hz, inp["weight"]))
    mons = {name: SpikeMonitor(G, record=False) for name, G in groups.items()}
    net = Network(objs + list(mons.values()))
    net.run(duration_ms * ms)
    return mons, duration_ms / 1000.0


def brian2_worker(net, duration_ms, directory):
    import brian2 as b2

    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    b2.prefs.logging.console_log_level = "WARNING"
    b2.seed(1)
    model = load(net)
    if duration_ms is None:
        duration_ms = model["simulation"]["duration_ms"]
    build = brian2_coba if net.startswith("coba") else brian2_stp
    mons, last_s = build(model, duration_ms, b2)
    b2.device.build(directory=directory, compile=True, run=True)
    rates = {pop: float(m.num_spikes) / len(m.source) / (duration_ms / 1000.0) for pop, m in mons.items()}
    print("RESULT " + json.dumps({"rates": rates, "last_run_time": b2.device._last_run_time,
                                  "last_run_s": last_s, "version": b2.__version__}))


def brian2_build(net, duration_ms, directory):
    cmd = [sys.executable, os.path.abspath(__file__), "--brian2-worker", net, "--dir", directory]
    if duration_ms is not None:
        cmd += ["--duration-ms", str(duration_ms)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"brian2 build of {net} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return json.loads(next(l for l in r.stdout.splitlines() if l.startswith("RESULT "))[7:])


def brian2_rerun(directory):
    """Rerun the compiled binary (no compilation) and return its loop time."""
    subprocess.run(["./main"], cwd=directory, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(directory, "results", "last_run_info.txt")) as f:
        return float(f.read().split()[0])


# ----------------------------------------------------------------------------------------------
# NEST (optional, COBA only): iaf_cond_exp with the same parameters, in its own process


def nest_worker(net, duration_ms):
    import numpy as np
    import nest

    try:
        nest.verbosity = nest.VerbosityLevel.ERROR
    except AttributeError:  # NEST < 3.9
        nest.set_verbosity("M_ERROR")
    model = load(net)
    if duration_ms is None:
        duration_ms = model["simulation"]["duration_ms"]
    dt = model["simulation"]["dt_ms"]
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": dt, "rng_seed": 1, "local_num_threads": 1})
    params = {"V_th": -50.0, "E_L": -60.0, "V_reset": -60.0, "C_m": 200.0, "g_L": 10.0,
              "t_ref": 5.0, "E_ex": 0.0, "E_in": -80.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0}
    rng = np.random.default_rng(1)
    pops = {}
    for c in model["population"]:
        n = c["size"]
        P = nest.Create("iaf_cond_exp", n, params=params)
        P.V_m = list(c["v_init_mean_mv"] + c["v_init_sd_mv"] * rng.standard_normal(n))
        P.g_ex = list(10.0 * np.clip(c["g_exc_init_mean"] + c["g_exc_init_sd"] * rng.standard_normal(n), 0, None))
        P.g_in = list(10.0 * np.clip(c["g_inh_init_mean"] + c["g_inh_init_sd"] * rng.standard_normal(n), 0, None))
        pops[c["name"]] = P
    for pr in model["projection"]:
        w = 10.0 * pr["weight"] * (1 if pr["receptor"] == "exc" else -1)
        nest.Connect(pops[pr["from"]], pops[pr["to"]],
                     {"rule": "pairwise_bernoulli", "p": pr["connect"]["p"], "allow_autapses": False},
                     {"weight": w, "delay": max(dt, pr.get("delay_ms", 0.0))})
    kick_ms = model["phase"][0]["at_ms"]
    for inp in model["input"]:
        g = nest.Create("poisson_generator", params={"rate": inp["rate_hz"], "stop": kick_ms})
        nest.Connect(g, pops[inp["target"]], "all_to_all", {"weight": 10.0 * inp["weight"], "delay": dt})
    recs = {}
    for name, P in pops.items():
        recs[name] = nest.Create("spike_recorder")
        nest.Connect(P, recs[name])
    t0 = time.perf_counter()
    nest.Simulate(duration_ms)
    wall = time.perf_counter() - t0
    rates = {name: r.n_events / len(pops[name]) / (duration_ms / 1000.0) for name, r in recs.items()}
    print("RESULT " + json.dumps({"rates": rates, "wall": wall, "sim_s": duration_ms / 1000.0,
                                  "version": nest.__version__}))


def nest_available():
    r = subprocess.run([sys.executable, "-c", "import nest"], capture_output=True)
    return r.returncode == 0


def nest_run(net, duration_ms):
    cmd = [sys.executable, os.path.abspath(__file__), "--nest-worker", net]
    if duration_ms is not None:
        cmd += ["--duration-ms", str(duration_ms)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(next(l for l in out.splitlines() if l.startswith("RESULT "))[7:])


# ----------------------------------------------------------------------------------------------


def fmt_rates(r):
    return ", ".join(f"{k} {v:.2f}" for k, v in r.items())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("nets", nargs="*", default=["coba", "coba40k", "stp"], help="coba, coba40k, stp")
    ap.add_argument("--runs", type=int, default=3, help="interleaved repetitions (median)")
    ap.add_argument("--duration-ms", type=float, default=None, help="override the model's duration")
    ap.add_argument("--burstsim", default=os.path.join(ROOT, "target", "release", "burstsim"))
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "compare-work"))
    ap.add_argument("--no-nest", action="store_true")
    ap.add_argument("--nest-runs", type=int, default=1,
                    help="NEST repetitions (default 1: NEST is far slower here; in the first rounds)")
    ap.add_argument("--nest-40k", action="store_true",
                    help="also run NEST on coba40k (skipped by default: tens of minutes)")
    ap.add_argument("--brian2-worker", help=argparse.SUPPRESS)
    ap.add_argument("--nest-worker", help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.brian2_worker:
        return brian2_worker(a.brian2_worker, a.duration_ms, a.dir)
    if a.nest_worker:
        return nest_worker(a.nest_worker, a.duration_ms)

    os.makedirs(a.work, exist_ok=True)
    have_nest = not a.no_nest and nest_available()
    if not have_nest:
        print("nest: not installed" if not a.no_nest else "nest: skipped (--no-nest)")
    try:
        load_avg = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load_avg = "?"
    print(f"load average at start: {load_avg}; {a.runs} interleaved runs, medians")
    lines = []
    for net in a.nets:
        model = load(net)
        dur = a.duration_ms if a.duration_ms is not None else model["simulation"]["duration_ms"]
        sim_s = dur / 1000.0
        bdir = os.path.join(a.work, f"brian2_{net}")
        shutil.rmtree(bdir, ignore_errors=True)
        t0 = time.perf_counter()
        b2 = brian2_build(net, a.duration_ms, bdir)
        print(f"[{net}] Brian2 {b2['version']}: compiled and ran once in {time.perf_counter() - t0:.0f} s")
        out = os.path.join(a.work, f"burstsim_{net}.h5")
        bs_times, b2_times, nest_times, nest_res = [], [], [], None
        nest_here = have_nest and (net == "coba" or (net == "coba40k" and a.nest_40k))
        for rnd in range(a.runs):
            bs_times.append(burstsim_run(a.burstsim, net, a.duration_ms, out) / sim_s)
            b2_times.append(brian2_rerun(bdir) / b2["last_run_s"])
            if nest_here and rnd < a.nest_runs:
                try:
                    nest_res = nest_run(net, a.duration_ms)
                    nest_times.append(nest_res["wall"] / nest_res["sim_s"])
                except subprocess.CalledProcessError as e:
                    print(f"nest: failed ({e})")
                    nest_here = have_nest = False
        bs_rates = burstsim_rates(out, sim_s)
        rtf_bs, rtf_b2 = statistics.median(bs_times), statistics.median(b2_times)
        print(f"[{net}] burstsim RTFs {', '.join(f'{x:.3f}' for x in bs_times)}; "
              f"brian2 {', '.join(f'{x:.3f}' for x in b2_times)}")
        print(f"[{net}] rates (Hz): burstsim {fmt_rates(bs_rates)}; brian2 {fmt_rates(b2['rates'])}"
              + (f"; nest {fmt_rates(nest_res['rates'])}" if nest_res else ""))
        # COBA is chaotic: only the network's mean rate is comparable; the STP network per population.
        if net.startswith("coba"):
            n = {p["name"]: p["size"] for p in model["population"]}
            mean = lambda r: sum(r[k] * n[k] for k in n) / sum(n.values())
            pairs = [("mean", mean(bs_rates), mean(b2["rates"]))]
        else:
            pairs = [(k, bs_rates[k], b2["rates"][k]) for k in bs_rates]
        flags = []
        for k, x, y in pairs:
            dev = abs(x - y) / max(y, 1e-9)
            flags.append(f"{k} {x:.2f}/{y:.2f} Hz ({100 * dev:.1f} %{' MISMATCH > 10 %' if dev > 0.10 else ''})")
        line = (f"{net:8s} burstsim RTF {rtf_bs:.3f} (whole process)  brian2 RTF {rtf_b2:.3f} (loop)  "
                f"ratio {rtf_bs / rtf_b2:.2f}")
        if nest_times:
            line += f"  nest RTF {statistics.median(nest_times):.3f} (Simulate, {len(nest_times)} runs)"
        elif net.startswith("coba"):
            line += "  nest n/a"
        line += "  rates burstsim/brian2: " + "; ".join(flags)
        lines.append(line)
        print(line, flush=True)
    print("\nsummary")
    for l in lines:
        print(l)


if __name__ == "__main__":
    sys.exit(main())
