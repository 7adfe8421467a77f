//! `burstsim check MODEL --params` and weights in nS (issue 15 item 7): every parameter in effect
//! with its unit, defaults and the file's overrides marked, kinds as written (pv, sst), the leak
//! conductance weights refer to, the [[phase]] entries; `weight_ns` converted with the target
//! compartment's leak conductance, exactly one of `weight` and `weight_ns`.

mod common;

use burstsim::model::{self, Overrides};
use std::path::Path;
use std::process::Command;

const MODEL: &str = r#"[simulation]
duration_ms = 100.0
protocol_file = "p.toml"

[[population]]
name = "pyr"
kind = "pyramidal"
size = 2
e_l_mv = -65.0

[[population]]
name = "bp"
kind = "burst_poisson"
size = 2
refractory_ms = 15.0

[[population]]
name = "fast"
kind = "pv"
size = 2
b_pa = 5.0

[[population]]
name = "som"
kind = "sst"
size = 2
tau_w_ms = 400.0

[[population]]
name = "generic"
kind = "adex"
size = 2
c_pf = 150.0

[[population]]
name = "point"
kind = "lif"
size = 2
tau_m_ms = 25.0

[[population]]
name = "src"
kind = "poisson"
size = 2
rate_hz = 5.0

[[projection]]
from = "src"
to = "pyr"
target = "soma"
receptor = "exc"
connect = "all_to_all"
weight_ns = 2.0

[[projection]]
from = "src"
to = "pyr"
target = "dendrite"
receptor = "inh"
connect = "all_to_all"
weight_ns = 2.0
delay_ms = 1.5

[[projection]]
from = "src"
to = "som"
target = "soma"
receptor = "exc"
connect = "all_to_all"
weight_ns = 2.0

[[projection]]
from = "src"
to = "point"
target = "soma"
receptor = "exc"
connect = "all_to_all"
weight = 0.3

[[input]]
kind = "poisson"
name = "bg"
target = "point"
compartment = "soma"
receptor = "exc"
rate_hz = 10.0
weight_ns = 3.0

[[input]]
kind = "poisson"
name = "wave"
target = "pyr"
compartment = "dendrite"
receptor = "exc"
rate_hz = 20.0
modulation = { amplitude_hz = 10.0, period_ms = 100.0 }
weight = 0.1

[[phase]]
at_ms = 50.0
rate_hz = { src = 8.0 }
"#;

const PROTOCOL: &str = "[[phase]]\nat_ms = 70.0\nweight_scale = { \"src->point.soma.exc\" = 0.5 }\n";

fn write(dir: &Path, model: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("p.toml"), PROTOCOL).unwrap();
    let p = dir.join("m.toml");
    std::fs::write(&p, model).unwrap();
    p
}

#[test]
fn params_lists_defaults_and_overrides_with_units_for_each_kind() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), MODEL);
    let out = Command::new(common::bin()).args(["check", p.to_str().unwrap(), "--params"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line = |key: &str, value: &str, tag: &str| format!("  {key:<24} {value:<20} {tag}\n");
    // per kind: the header as written, one default and one override, each with its unit
    let sections = [
        ("pyr", "pyramidal", line("e_l_mv", "-65 mV", "(set)"), line("c_s_pf", "370 pF", "(default)")),
        ("bp", "burst_poisson", line("refractory_ms", "15 ms", "(set)"), line("e_d_mv", "-57 mV", "(default)")),
        ("fast", "pv", line("b_pa", "5 pA", "(set)"), line("g_l_ns", "10 nS", "(default)")),
        ("som", "sst", line("tau_w_ms", "400 ms", "(set)"), line("g_l_ns", "5 nS", "(default)")),
        ("generic", "adex", line("c_pf", "150 pF", "(set)"), line("t_ref_ms", "1 ms", "(default)")),
        ("point", "lif", line("tau_m_ms", "25 ms", "(set)"), line("c_pf", "200 pF", "(default)")),
    ];
    for (name, kind, set, default) in &sections {
        let head = format!("population {name:?}: kind {kind}, size 2\n");
        let start = text.find(&head).unwrap_or_else(|| panic!("no {head:?} in:\n{text}"));
        let body = &text[start + head.len()..];
        let body = &body[..body.find("\npopulation ").unwrap_or(body.len())];
        assert!(body.contains(set.as_str()), "{name}: no {set:?} in:\n{body}");
        assert!(body.contains(default.as_str()), "{name}: no {default:?} in:\n{body}");
    }
    assert_eq!(text.matches("kind adex").count(), 1, "pv and sst are shown as written:\n{text}");
    // the leak conductances weights refer to: C_s / tau_s, C_d / tau_d, g_l_ns, C / tau_m
    for want in [
        "soma 23.125 nS, dendrite 24.285714285714285 nS",
        "the unit g_L of weights onto it): soma 10 nS\n",
        "the unit g_L of weights onto it): soma 5 nS\n",
        "the unit g_L of weights onto it): soma 8 nS\n",
        "  rate_hz                  5.0                  (set)\n",
        // weights in g_L and nS, a default and a given delay
        "  weight                   0.08648648648648649 g_L (set as weight_ns = 2 nS; g_L = 23.125 nS)",
        "  weight                   0.3 g_L (= 2.4 nS; g_L = 8 nS)",
        "  delay_ms                 0.8 ms (default)",
        "  delay_ms                 1.5 ms (set)",
        "  rate_hz                  10 Hz\n",
        "  rate (time-varying)      20 Hz + 10 Hz sin(2 pi t / 100 ms + 0 rad), clipped at 0 Hz\n",
        // both [[phase]] entries, the model's and the protocol file's
        "[[phase]] entries: 2\n  at 50 ms: rate_hz { src = 8 Hz }\n",
        "from the protocol file \"p.toml\":\n  at 70 ms: weight_scale { src->point.soma.exc = 0.5 }\n",
    ] {
        assert!(text.contains(want), "no {want:?} in:\n{text}");
    }
}

#[test]
fn weight_ns_is_divided_by_the_target_compartments_leak_conductance() {
    let dir = tempfile::tempdir().unwrap();
    let m = model::load(&write(dir.path(), MODEL), &Overrides::default()).unwrap();
    let w = |name: &str| {
        let p = m.network.projections().iter().find(|p| p.name() == name).unwrap_or_else(|| panic!("{name}"));
        p.config().weight
    };
    // exactly weight_ns / g_L, computed in f64 and stored as the network's f32
    assert_eq!(w("src->pyr.soma.exc"), (2.0 / (370.0 / 16.0)) as f32);
    assert_eq!(w("src->pyr.dendrite.inh"), (2.0 / (170.0 / 7.0)) as f32);
    assert_eq!(w("src->som.soma.exc"), (2.0f64 / 5.0) as f32);
    assert_eq!(w("src->point.soma.exc"), 0.3f32);
    assert_eq!(w("bg->point"), (3.0f64 / (200.0 / 25.0)) as f32, "a Poisson input's weight_ns");
}

#[test]
fn weight_and_weight_ns_together_or_neither_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let both = MODEL.replacen("weight = 0.3", "weight = 0.3\nweight_ns = 1.0", 1);
    let e = model::load(&write(dir.path(), &both), &Overrides::default()).unwrap_err().to_string();
    assert!(e.contains("m.toml") && e.contains("projection 3") && e.contains("weight_ns"), "{e}");
    assert!(e.contains("exactly one of weight") && e.contains("and weight_ns (nS)"), "{e}");
    let neither = MODEL.replacen("weight = 0.3\n", "", 1);
    let e = model::load(&write(dir.path(), &neither), &Overrides::default()).unwrap_err().to_string();
    assert!(e.contains("projection 3") && e.contains("weight") && e.contains("(missing)"), "{e}");
    let negative = MODEL.replacen("weight_ns = 3.0", "weight_ns = -3.0", 1);
    let e = model::load(&write(dir.path(), &negative), &Overrides::default()).unwrap_err().to_string();
    assert!(e.contains("input 0") && e.contains("weight_ns") && e.contains("a conductance >= 0 in nS"), "{e}");
}

#[test]
fn check_shows_kinds_and_connection_rules_as_written() {
    // the plain summary: pv and sst as written (not the adex they build), and each projection's
    // connection rule or edge file
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("edges.csv"), "pre,post\n0,1\n1,0\n").unwrap();
    let p = write(
        dir.path(),
        r#"
[simulation]
dt_ms = 0.1
duration_ms = 10.0
[[population]]
name = "a"
kind = "pv"
size = 100
[[population]]
name = "b"
kind = "sst"
size = 100
[[projection]]
from = "a"
to = "b"
target = "soma"
receptor = "exc"
weight = 0.1
connect = { rule = "fixed_indegree", indegree = 8, allow_multapses = false }
[[projection]]
name = "listed"
from = "b"
to = "a"
target = "soma"
receptor = "inh"
weight = 0.1
connect = { file = "edges.csv" }
"#,
    );
    let out = Command::new(common::bin()).args(["check", p.to_str().unwrap()]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line = |name: &str| text.lines().find(|l| l.trim_start().starts_with(name)).unwrap_or_else(|| panic!("{text}"));
    assert!(line("a ").contains(" pv ") && line("b ").contains(" sst "), "{text}");
    assert!(line("a->b").contains("800 synapses, fixed_indegree 8 (multapses not allowed)"), "{text}");
    assert!(line("listed").contains("2 synapses, edges from edges.csv"), "{text}");
}
