//! Layered templates (issue 14 item 1): `[[layer]]` and `[[pathway]]` build the same network as the
//! hand-written `[[population]]`, `[[input]]` and `[[projection]]` entries they stand for.

use burstsim::model::{self, Overrides};

const TEMPLATE: &str = r#"
[simulation]
dt_ms = 0.1
duration_ms = 200.0
seed = 4

[[layer]]
name = "in"
units = 2
neurons = 60
kind = "burst_poisson"
v_init_sd_mv = 5.0
[[layer.input]]
kind = "poisson"
compartment = "soma"
receptor = "exc"
rate_hz = 500.0
weight = 0.35

[[layer]]
name = "hid"
units = 2
neurons = 40
kind = "burst_poisson"

[[pathway]]
name = "ff"
from = "in"
to = "hid"
weight_matrix = [[0.3, 0.0], [0.1, 0.2]]
target = "soma"
receptor = "exc"
connect = { p = 0.2 }
transmit = "events"
plasticity = { rule = "burstccn", eta = 0.001, tau_pre_ms = 100.0, p_baseline = 0.1 }

[[pathway]]
name = "y"
from = "hid"
to = "in"
pairs = "matching"
weight_matrix = [0.5, 0.25]
target = "dendrite"
receptor = "exc"
connect = { p = 0.1 }
transmit = "bursts"
"#;

/// The same network written out by hand, entries in the order the template expands them.
fn by_hand() -> String {
    let mut s = String::from("[simulation]\ndt_ms = 0.1\nduration_ms = 200.0\nseed = 4\n");
    for (name, n, extra) in
        [("in0", 60, "v_init_sd_mv = 5.0\n"), ("in1", 60, "v_init_sd_mv = 5.0\n"), ("hid0", 40, ""), ("hid1", 40, "")]
    {
        s += &format!("[[population]]\nname = \"{name}\"\nkind = \"burst_poisson\"\nsize = {n}\n{extra}");
    }
    for t in ["in0", "in1"] {
        s += &format!("[[input]]\nkind = \"poisson\"\ntarget = \"{t}\"\ncompartment = \"soma\"\nreceptor = \"exc\"\nrate_hz = 500.0\nweight = 0.35\n");
    }
    for (from, to, w) in [("in0", "hid0", 0.3), ("in0", "hid1", 0.1), ("in1", "hid1", 0.2)] {
        s += &format!(
            "[[projection]]\nname = \"ff_{from}_{to}\"\nfrom = \"{from}\"\nto = \"{to}\"\ntarget = \"soma\"\nreceptor = \"exc\"\n\
             connect = {{ p = 0.2 }}\nweight = {w}\ntransmit = \"events\"\n\
             plasticity = {{ rule = \"burstccn\", eta = 0.001, tau_pre_ms = 100.0, p_baseline = 0.1 }}\n"
        );
    }
    for (from, to, w) in [("hid0", "in0", 0.5), ("hid1", "in1", 0.25)] {
        s += &format!(
            "[[projection]]\nname = \"y_{from}_{to}\"\nfrom = \"{from}\"\nto = \"{to}\"\ntarget = \"dendrite\"\nreceptor = \"exc\"\n\
             connect = {{ p = 0.1 }}\nweight = {w}\ntransmit = \"bursts\"\n"
        );
    }
    s
}

#[test]
fn a_template_builds_the_network_written_by_hand() {
    let t = model::from_str(TEMPLATE, "t.toml", "t", &Overrides::default()).unwrap();
    let h = model::from_str(&by_hand(), "h.toml", "h", &Overrides::default()).unwrap();
    let (a, b) = (&t.network, &h.network);
    assert_eq!(a.n_populations(), b.n_populations());
    for p in 0..a.n_populations() {
        assert_eq!(a.info(p).name, b.info(p).name);
        assert_eq!(a.population(p).len(), b.population(p).len());
        assert_eq!(a.population(p).kind_name(), b.population(p).kind_name());
    }
    assert_eq!(a.projections().len(), b.projections().len());
    for (x, y) in a.projections().iter().zip(b.projections()) {
        assert_eq!(x.name(), y.name());
        assert_eq!((x.from(), x.to()), (y.from(), y.to()));
        // the same wiring (drawn from the same streams) and weights, synapse by synapse
        assert_eq!(x.csr().row_start, y.csr().row_start, "{}", x.name());
        assert_eq!(x.csr().targets, y.csr().targets, "{}", x.name());
        assert_eq!(x.mean_weight(), y.mean_weight());
        assert_eq!(x.describe(), y.describe());
    }
    // and they run to the same spikes
    let (mut a, mut b) = (t.network, h.network);
    let mut spikes = 0;
    for _ in 0..2000 {
        a.step();
        b.step();
        for p in 0..a.n_populations() {
            assert_eq!(a.last_spikes(p), b.last_spikes(p));
            spikes += a.last_spikes(p).len();
        }
    }
    assert!(spikes > 100, "{spikes} spikes: the comparison needs activity");
    // `check` lists the template
    assert_eq!(t.template.len(), 4);
    assert!(t.template[0].starts_with("layer in: 2 units of 60 burst_poisson (in0, in1)"), "{:?}", t.template);
    assert!(
        t.template[2].contains("3 projections") && t.template[2].contains("plastic (burstccn)"),
        "{:?}",
        t.template
    );
}

#[test]
fn errors_in_generated_entries_name_the_entry_without_a_wrong_line() {
    // a bad value inside a layer reaches the generated [[population]]: the message names it and
    // gives no line (the line would be one of the expansion, not of the file)
    let bad = TEMPLATE.replace("v_init_sd_mv = 5.0", "v_init_sd_mv = -5.0");
    let e = model::from_str(&bad, "t.toml", "t", &Overrides::default()).unwrap_err().to_string();
    assert!(e.contains("t.toml") && e.contains("v_init_sd_mv") && !e.contains("line"), "{e}");
    let bad = TEMPLATE.replace("transmit = \"bursts\"", "transmit = \"sometimes\"");
    let e = model::from_str(&bad, "t.toml", "t", &Overrides::default()).unwrap_err().to_string();
    assert!(e.contains("t.toml") && e.contains("transmit") && e.contains("sometimes"), "{e}");
}
