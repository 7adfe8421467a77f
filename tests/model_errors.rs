//! One failing-input test per validation rule (STYLE.md 14c): every malformed model file gives an
//! error that names the file, the key and what was expected; nothing panics.

mod common;

use burstsim::model::{self, Overrides};

const GOOD: &str = r#"
[simulation]
duration_ms = 100.0

[[population]]
name = "pyr"
kind = "pyramidal"
size = 10

[[population]]
name = "bg"
kind = "poisson"
size = 10
rate_hz = 5.0

[[projection]]
from = "bg"
to = "pyr"
target = "soma"
receptor = "exc"
connect = { p = 0.5 }
weight = 0.2
"#;

fn err(text: &str) -> String {
    match model::from_str(text, "models/bad.toml", "bad", &Overrides::default()) {
        Ok(_) => panic!("accepted a bad model:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// `GOOD` with `from` replaced by `to` (the edit must apply).
fn with(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "{from}");
    GOOD.replacen(from, to, 1)
}

fn expect(text: &str, parts: &[&str]) {
    let msg = err(text);
    assert!(msg.starts_with("models/bad.toml"), "message does not name the file: {msg}");
    assert!(!msg.contains('\u{1}'), "message keeps the separators of a value error: {msg:?}");
    for p in parts {
        assert!(msg.contains(p), "message lacks `{p}`: {msg}");
    }
}

#[test]
fn the_good_model_builds() {
    let m = model::from_str(GOOD, "models/good.toml", "good", &Overrides::default()).unwrap();
    assert_eq!(m.n_steps, 1000);
    assert_eq!(m.network.n_populations(), 2);
    assert_eq!(m.output.file, "good.h5");
}

#[test]
fn unknown_keys() {
    expect(&with("[simulation]", "[simulaton]"), &["unknown field `simulaton`", "simulation"]);
    expect(&with("duration_ms = 100.0", "duration_ms = 100.0\nduration_s = 1"), &["duration_s", "dt_ms"]);
    // A parameter without its unit gets a hint.
    expect(
        &with("size = 10\n", "size = 10\ntau_s = 16\n"),
        &["population 0 (\"pyr\")", "unknown key `tau_s`", "did you mean `tau_s_ms`"],
    );
    expect(
        &with("rate_hz = 5.0", "rate_hz = 5.0\ntau_s_ms = 3"),
        &["population 1 (\"bg\")", "unknown key `tau_s_ms`", "rate_hz"],
    );
    expect(&with("weight = 0.2", "weight = 0.2\nwieght = 1"), &["projection[0]", "wieght"]);
    expect(&with("{ p = 0.5 }", "{ q = 0.5 }"), &["connect", "unknown key `q`", "p"]);
}

#[test]
fn missing_fields() {
    expect(&with("size = 10\n", ""), &["population[0]", "missing field `size`"]);
    expect(
        &with("duration_ms = 100.0", ""),
        &["[simulation]", "`duration_ms` = (missing)", "required unless a [protocol]"],
    );
    // `weight` may be left out when `weight_ns` or an edge file gives the weights
    expect(
        &with("weight = 0.2", ""),
        &["projection 0 (bg -> pyr)", "`weight` = (missing)", "weight_ns (nS)", "weight column"],
    );
    expect(&with("rate_hz = 5.0", ""), &["population 1 (\"bg\")", "rate_hz", "a rate in Hz"]);
}

#[test]
fn wrong_types() {
    expect(
        &with("size = 10\n", "size = \"many\"\n"),
        &["line 8", "population[0]: `size` = \"many\": expected an integer"],
    );
    expect(&with("size = 10\n", "size = 10\nc_s_pf = \"big\"\n"), &["c_s_pf", "expected a number"]);
    expect(&with("weight = 0.2", "weight = \"0.2\""), &["projection[0]: `weight` = \"0.2\": expected a number"]);
    expect(
        &with("kind = \"pyramidal\"", "kind = \"pyramidl\""),
        &["kind", "`kind` = \"pyramidl\": expected one of `pyramidal`", "pyramidal"],
    );
    expect(
        &with("target = \"soma\"", "target = \"axon\""),
        &["target", "`target` = \"axon\": expected `soma` or `dendrite`", "dendrite"],
    );
}

#[test]
fn non_positive_time_constants_and_sizes() {
    expect(&with("size = 10\n", "size = 10\ntau_s_ms = -16\n"), &["`tau_s_ms` = -16", "expected a positive number"]);
    expect(&with("size = 10\n", "size = 10\ntau_d_ms = 0\n"), &["`tau_d_ms` = 0", "positive"]);
    expect(&with("size = 10\n", "size = 0\n"), &["`size` = 0", "a positive number of neurons"]);
    expect(&with("size = 10\n", "size = -3\n"), &["`size` = -3", "positive"]);
    expect(&with("duration_ms = 100.0", "duration_ms = 0.0"), &["duration_ms", "a positive duration"]);
    expect(&with("duration_ms = 100.0", "duration_ms = 100.0\ndt_ms = -0.1"), &["dt_ms", "positive time step"]);
}

#[test]
fn references_to_unknown_populations() {
    expect(
        &with("from = \"bg\"", "from = \"nope\""),
        &["projection 0 (nope -> pyr)", "`from` = \"nope\"", "known: bg, pyr"],
    );
    expect(&with("to = \"pyr\"", "to = \"pyramids\""), &["`to` = \"pyramids\""]);
    let input = format!(
        "{GOOD}\n[[input]]\nkind = \"constant_current\"\ntarget = \"px\"\ncompartment = \"soma\"\ncurrent_pa = 5\n"
    );
    expect(&input, &["input 0", "`target` = \"px\""]);
    expect(&format!("{GOOD}\n[output]\npopulations = [\"ghost\"]\n"), &["[output]", "`populations` = \"ghost\""]);
}

#[test]
fn probabilities_and_other_ranges() {
    expect(&with("{ p = 0.5 }", "{ p = 1.5 }"), &["`connect.p` = 1.5", "between 0 and 1"]);
    expect(&with("{ p = 0.5 }", "{ p = -0.1 }"), &["`connect.p` = -0.1"]);
    expect(&with("{ p = 0.5 }", "\"some\""), &["`connect`", "one_to_one"]);
    expect(&with("weight = 0.2", "weight = -0.2"), &["`weight` = -0.2", "receptor sets the sign"]);
    expect(
        &with("weight = 0.2", "weight = 0.2\ndelay_ms = 0.85"),
        &["`delay_ms` = 0.85", "multiple of the time step, dt_ms"],
    );
    expect(&with("rate_hz = 5.0", "rate_hz = -5.0"), &["`rate_hz` = -5", "rate in Hz >= 0"]);
    expect(&with("rate_hz = 5.0", "rate_hz = 20000.0"), &["`rate_hz` = 20000", "below 1/dt"]);
    // Structural mismatches.
    expect(
        &with("size = 10\n", "size = 11\n").replacen("{ p = 0.5 }", "\"one_to_one\"", 1),
        &["one_to_one", "equal size"],
    );
    expect(&with("to = \"pyr\"", "to = \"bg\""), &["`target` = \"soma\"", "kind poisson"]);
    let input = format!("{GOOD}\n[[input]]\nkind = \"sine_current\"\ntarget = \"pyr\"\ncompartment = \"soma\"\namplitude_pa = 5\nperiod_ms = 0\n");
    expect(&input, &["`period_ms` = 0", "positive"]);
    expect(&with("name = \"bg\"", "name = \"pyr\""), &["`name` = \"pyr\"", "not used by another population"]);
}

#[test]
fn not_toml_and_unreadable_files() {
    expect("[[population]\nname = ", &["line 1"]);
    expect("\u{feff}garbage = = 3", &["models/bad.toml"]);
    let e = model::load(std::path::Path::new("no/such/model.toml"), &Overrides::default()).unwrap_err().to_string();
    assert!(e.starts_with("no/such/model.toml: cannot read the model file"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("binary.toml");
    std::fs::write(&bin, [0xff, 0xfe, 0x00, 0x80]).unwrap();
    let e = model::load(&bin, &Overrides::default()).unwrap_err().to_string();
    assert!(e.contains("not UTF-8"), "{e}");
}

#[test]
fn the_cli_reports_errors_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, with("size = 10\n", "size = 10\ntau_s_ms = -1\n")).unwrap();
    for sub in ["run", "check"] {
        let out = std::process::Command::new(common::bin()).arg(sub).arg(&bad).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{sub}: {stderr}");
        assert!(stderr.contains("bad.toml") && stderr.contains("`tau_s_ms` = -1"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let out = std::process::Command::new(common::bin()).args(["inspect", bad.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open as HDF5"));
}

#[test]
fn phases_and_plasticity() {
    let plastic = with("weight = 0.2", "weight = 0.2\nname = \"ff\"\nplasticity = { rule = \"burst\", eta = 0.01, tau_pre_ms = 100, tau_avg_ms = 5000 }");
    model::from_str(&plastic, "models/ok.toml", "ok", &Overrides::default()).unwrap();
    expect(
        &format!("{plastic}\n[[phase]]\nat_ms = 50\nplasticity = {{ nope = true }}\n"),
        &["phase 0", "`plasticity` = \"nope\"", "known: ff"],
    );
    expect(&format!("{plastic}\n[[phase]]\nat_ms = 50\nweight_scale = {{ ff = 2 }}\n"), &["one shared weight"]);
    expect(
        &format!("{plastic}\n[[phase]]\nat_ms = 50.05\nplasticity = {{ ff = false }}\n"),
        &["`at_ms` = 50.05", "multiple of the time step, dt_ms"],
    );
    expect(
        &format!("{plastic}\n[[phase]]\nat_ms = 50\nrate_hz = {{ pyr = 3 }}\n"),
        &["`rate_hz` = \"pyr\"", "Poisson"],
    );
    expect(&format!("{plastic}\n[[phase]]\nat_ms = 50\ncurrent_pa = {{ x = 3 }}\n"), &["`current_pa` = \"x\""]);
    expect(&format!("{plastic}\n[[phase]]\nat_ms = 50\nspeed = 3\n"), &["phase[0]", "unknown field `speed`"]);
    expect(
        &with(
            "weight = 0.2",
            "weight = 0.2\nplasticity = { rule = \"stdp\", eta = 0.01, tau_pre_ms = 1, tau_avg_ms = 1 }",
        ),
        &["plasticity.rule", "burst"],
    );
    expect(
        &with("weight = 0.2", "weight = 0.2\nplasticity = { rule = \"burst\", tau_pre_ms = 1, tau_avg_ms = 1 }"),
        &["plasticity.eta", "(missing)"],
    );
    expect(
        &with(
            "weight = 0.2",
            "weight = 0.2\nplasticity = { rule = \"burst\", eta = 0.1, tau_pre_ms = -1, tau_avg_ms = 1 }",
        ),
        &["plasticity.tau_pre_ms", "positive"],
    );
    expect(
        &with(
            "weight = 0.2",
            "weight = 0.2\nplasticity = { rule = \"burst\", eta = 0.1, tau_pre_ms = 1, tau_avg_ms = 1, etta = 2 }",
        ),
        &["unknown key `etta`"],
    );
    // Plasticity works with any transmission and delay (issue 9); events and zero delay are the
    // reference's defaults.
    let any = with(
        "weight = 0.2",
        "weight = 0.2\ntransmit = \"all\"\ndelay_ms = 2.0\nplasticity = { rule = \"burst\", eta = 0.1, tau_pre_ms = 1, tau_avg_ms = 1 }",
    );
    model::from_str(&any, "models/ok.toml", "ok", &Overrides::default()).unwrap();
    expect(
        &with(
            "weight = 0.2",
            "weight = 2.0\nplasticity = { rule = \"burst\", eta = 0.1, tau_pre_ms = 1, tau_avg_ms = 1 }",
        ),
        &["within [w_min, w_max]"],
    );
    expect(
        &with("duration_ms = 100.0", "duration_ms = 100.0\nprotocol_file = \"missing.toml\""),
        &["`protocol_file` = \"missing.toml\"", "a readable TOML file"],
    );
}

#[test]
fn stp_and_transmit_keys() {
    expect(&with("weight = 0.2", "weight = 0.2\nstp = \"sticky\""), &["`stp` = \"sticky\"", "depressing"]);
    expect(
        &with("weight = 0.2", "weight = 0.2\nstp = { u = 1.5, f = 0.1, tau_d_ms = 1, tau_f_ms = 1 }"),
        &["stp.u", "between 0 and 1"],
    );
    expect(
        &with("weight = 0.2", "weight = 0.2\nstp = { u = 0.5, f = 0.1, tau_d_ms = 1 }"),
        &["stp.tau_f_ms", "(missing)"],
    );
    expect(
        &with("weight = 0.2", "weight = 0.2\nstp = { preset = \"facilitating\", increment = \"both\" }"),
        &["stp.increment", "etm"],
    );
    expect(
        &with("weight = 0.2", "weight = 0.2\nstp = { preset = \"facilitating\", tau_q = 3 }"),
        &["unknown key `tau_q`"],
    );
    expect(&with("weight = 0.2", "weight = 0.2\ntransmit = \"spikes\""), &["`transmit` = \"spikes\"", "bursts"]);
    // Any transmission combines with STP; a rule on a shared weight is the combination refused.
    model::from_str(
        &with("weight = 0.2", "weight = 0.2\ntransmit = \"bursts\"\nstp = \"facilitating\""),
        "models/ok.toml",
        "ok",
        &Overrides::default(),
    )
    .unwrap();
    expect(
        &with(
            "weight = 0.2",
            "weight = 0.2\nweights = \"projection\"\nplasticity = { rule = \"burstccn\", eta = 0.01, tau_pre_ms = 100, p_baseline = 0.2 }",
        ),
        &["`weights` = \"projection\"", "one weight per synapse"],
    );
    expect(&with("weight = 0.2", "weight = 0.2\nweights = \"each\""), &["`weights` = \"each\"", "\"synapse\""]);
    expect(
        &with("weight = 0.2", "weight = 0.2\nplasticity = { rule = \"burstccn\", eta = 0.01, tau_pre_ms = 100 }"),
        &["plasticity.p_baseline", "(missing)"],
    );
    expect(
        &with("weight = 0.2", "weight = 0.2\nplasticity = { rule = \"hebb\", eta = 0.01 }"),
        &["plasticity.rule", "burstccn"],
    );
}

/// `weight = 0.2` followed by `extra` lines in the projection.
fn projection_with(extra: &str) -> String {
    with("weight = 0.2", &format!("weight = 0.2\n{extra}"))
}

#[test]
fn string_options_name_the_value_and_the_choices() {
    expect(
        &projection_with("transmit = \"event\""),
        &["line 23", "projection[0]: `transmit` = \"event\"", "expected \"all\", \"events\" or \"bursts\""],
    );
    expect(&projection_with("transmit = 3"), &["projection[0]: `transmit` = 3", "\"events\" or \"bursts\""]);
    expect(
        &projection_with("transmit_trace = \"late\""),
        &["`transmit_trace` = \"late\"", "\"delayed\" (reference, P7) or \"immediate\""],
    );
    expect(
        &with("size = 10\n", "size = 10\ndendritic_driving_force = \"axon\"\n"),
        &["population 0 (\"pyr\")", "`dendritic_driving_force` = \"axon\"", "\"soma\" (reference, P1) or \"dendrite\""],
    );
    expect(
        &with("size = 10\n", "size = 10\ndendritic_driving_force = 1\n"),
        &["`dendritic_driving_force` = 1", "\"dendrite\""],
    );
    expect(
        &with("size = 10\n", "size = 10\nv_init_seed = \"random\"\n"),
        &["`v_init_seed` = \"random\"", "\"fixed\" (reference seed 42, P13) or \"run\""],
    );
    let adex = with("kind = \"pyramidal\"", "kind = \"pv\"");
    expect(
        &adex.replacen("size = 10\n", "size = 10\nexp = \"slow\"\n", 1),
        &["`exp` = \"slow\"", "\"fast\" (reference (1 + x/256)^256, P5) or \"exact\""],
    );
}

#[test]
fn connect_forms() {
    expect(&with("{ p = 0.5 }", "\"some\""), &["projection[0]: `connect` = \"some\"", "{ p = <probability> }"]);
    expect(&with("{ p = 0.5 }", "{ }"), &["`connect.p` = (missing)", "a probability"]);
    expect(&with("{ p = 0.5 }", "{ p = \"x\" }"), &["`connect.p` = \"x\"", "a number"]);
    expect(&with("{ p = 0.5 }", "3"), &["projection[0]: `connect` = 3", "\"all_to_all\""]);
    for form in ["\"all_to_all\"", "{ p = 1 }"] {
        model::from_str(&with("{ p = 0.5 }", form), "models/ok.toml", "ok", &Overrides::default()).unwrap();
    }
}

#[test]
fn stp_tables() {
    expect(
        &projection_with("stp = { preset = \"sticky\" }"),
        &["projection[0]: `stp.preset` = \"sticky\"", "expected \"depressing\" or \"facilitating\""],
    );
    expect(&projection_with("stp = \"Depressing\""), &["`stp` = \"Depressing\"", "\"facilitating\", { u, tau_d_ms"]);
    expect(
        &projection_with("stp = { preset = \"facilitating\", tau_d = 3 }"),
        &[
            "projection[0].stp: unknown key `tau_d`",
            "expected one of: preset, u, f, tau_d_ms, tau_f_ms, u_init, increment",
            "did you mean `tau_d_ms`?",
        ],
    );
    expect(&projection_with("stp = { u = \"x\", tau_d_ms = 1, tau_f_ms = 1 }"), &["`stp.u` = \"x\"", "a number"]);
    expect(&projection_with("stp = 3"), &["projection[0]: `stp` = 3", "\"depressing\""]);
    for form in ["\"facilitating\"", "{ preset = \"depressing\", u_init = 0.9, increment = \"etm\" }"] {
        let text = projection_with(&format!("stp = {form}"));
        model::from_str(&text, "models/ok.toml", "ok", &Overrides::default()).unwrap();
    }
}

#[test]
fn plasticity_tables() {
    let rule = |keys: &str| projection_with(&format!("plasticity = {{ {keys} }}"));
    let burst = "rule = \"burst\", eta = 0.1, tau_pre_ms = 1, tau_avg_ms = 1";
    expect(
        &rule("rule = \"stdp\", eta = 0.01"),
        &["projection[0]: `plasticity.rule` = \"stdp\"", "expected \"burst\" (spec 5.1)"],
    );
    expect(&rule("eta = 0.01"), &["`plasticity.rule` = (missing)", "\"burst\""]);
    expect(
        &rule("rule = \"burst\", tau_pre_ms = 1, tau_avg_ms = 1"),
        &["projection[0]: `plasticity.eta` = (missing)", "expected a number"],
    );
    expect(&rule("rule = \"burst\", eta = 0.1, tau_pre_ms = 1"), &["`plasticity.tau_avg_ms` = (missing)"]);
    expect(&rule("rule = \"burst\", eta = \"fast\", tau_pre_ms = 1, tau_avg_ms = 1"), &["`plasticity.eta` = \"fast\""]);
    expect(
        &rule(&format!("{burst}, tau_hom = 2")),
        &["projection[0].plasticity: unknown key `tau_hom`", "r_hom_init_hz", "did you mean `tau_hom_ms`?"],
    );
    expect(
        &rule(&format!("{burst}, homeostasis = \"x\"")),
        &["`plasticity.homeostasis` = \"x\"", "\"reference\" (P8) or \"event_rate\""],
    );
    expect(
        &rule(&format!("{burst}, empty_estimate = \"nan\"")),
        &["`plasticity.empty_estimate` = \"nan\"", "\"reference\" (P9) or \"skip\""],
    );
    expect(&rule(&format!("{burst}, on = 1")), &["`plasticity.on` = 1", "true or false"]);
    expect(
        &projection_with("plasticity = \"burst\""),
        &["projection[0]: `plasticity` = \"burst\"", "a table { rule = \"burst\""],
    );
    let all = format!("{burst}, homeostasis = \"event_rate\", empty_estimate = \"skip\", on = false");
    model::from_str(&rule(&all), "models/ok.toml", "ok", &Overrides::default()).unwrap();
}

#[test]
fn the_burst_rule_belongs_to_simulation() {
    let rule_of = |text: &str| {
        let m = model::from_str(text, "models/ok.toml", "ok", &Overrides::default()).unwrap();
        format!("rule: {:?}", m.network.spikes(0).burst_rule().unwrap())
    };
    assert!(rule_of(GOOD).contains("rule: Trace"));
    let isi = with("duration_ms = 100.0", "duration_ms = 100.0\nburst_rule = \"isi\"");
    assert!(rule_of(&isi).contains("rule: Isi"));
    expect(
        &with("duration_ms = 100.0", "duration_ms = 100.0\nburst_rule = \"isis\""),
        &["[simulation]: `burst_rule` = \"isis\"", "\"trace\" (reference, spec 2.1) or \"isi\""],
    );
    expect(
        &format!("{GOOD}\n[output]\nburst_rule = \"isi\"\n"),
        &["output.burst_rule", "`burst_rule = \"isi\"` moved to [simulation]"],
    );
}

/// `[[input]]` entry of `kind` into "pyr" named `name`, with its kind's keys.
fn input(kind: &str, name: &str) -> String {
    let keys = match kind {
        "constant_current" => "compartment = \"soma\"\ncurrent_pa = 5",
        "sine_current" => "compartment = \"soma\"\namplitude_pa = 5\nperiod_ms = 10",
        _ => "compartment = \"soma\"\nreceptor = \"exc\"\nrate_hz = 5\nweight = 0.1",
    };
    format!("\n[[input]]\nname = \"{name}\"\nkind = \"{kind}\"\ntarget = \"pyr\"\n{keys}\n")
}

/// A second projection bg -> pyr onto the soma, with `extra` lines.
fn second_projection(extra: &str) -> String {
    format!("{GOOD}\n[[projection]]\nfrom = \"bg\"\nto = \"pyr\"\ntarget = \"soma\"\nreceptor = \"exc\"\nconnect = \"all_to_all\"\nweight = 0.1\n{extra}\n")
}

const ALLOWED: &str = "ASCII letters, digits, '_' and '-'";

/// Names that HDF5 would misplace ('/', '.', NUL) or that read badly (spaces, a leading '-',
/// non-ASCII, empty), as the TOML string and as the message shows it.
const BAD_NAMES: &[(&str, &str)] = &[
    ("a/b", "\"a/b\""),
    ("a.b", "\"a.b\""),
    (".", "\".\""),
    ("a\\u0000b", "\"a\\0b\""),
    (" bg", "\" bg\""),
    ("bg ", "\"bg \""),
    ("a b", "\"a b\""),
    ("-bg", "\"-bg\""),
    ("b\\u00e9", "\"bé\""),
    ("", "\"\""),
];

#[test]
fn population_names_must_be_hdf5_safe() {
    for (toml, shown) in BAD_NAMES {
        expect(
            &with("name = \"bg\"", &format!("name = \"{toml}\"")),
            &[&format!("population 1 ({shown}): `name` = {shown}"), ALLOWED, "not start with '-'"],
        );
    }
    for good in ["bg_2", "BG-x", "2nd"] {
        let text = with("name = \"bg\"", &format!("name = \"{good}\"")).replace("\"bg\"", &format!("\"{good}\""));
        model::from_str(&text, "models/ok.toml", "ok", &Overrides::default()).unwrap();
    }
}

#[test]
fn projection_names_must_be_hdf5_safe() {
    for (toml, shown) in BAD_NAMES {
        expect(
            &projection_with(&format!("name = \"{toml}\"")),
            &[&format!("projection 0 (bg -> pyr): `name` = {shown}"), ALLOWED, "\"bg->pyr\""],
        );
    }
    // '>' only in the projection's own from->to (the form of the default names).
    expect(&projection_with("name = \"pyr->bg\""), &["projection 0 (bg -> pyr): `name` = \"pyr->bg\"", ALLOWED]);
    for own in ["bg->pyr", "bg->pyr.soma.exc", "ff-1"] {
        model::from_str(&projection_with(&format!("name = \"{own}\"")), "models/ok.toml", "ok", &Overrides::default())
            .unwrap();
    }
}

#[test]
fn input_names_must_be_hdf5_safe() {
    for kind in ["constant_current", "sine_current", "poisson"] {
        for (toml, shown) in BAD_NAMES {
            expect(
                &format!("{GOOD}{}", input(kind, toml)),
                &[&format!("input 0 ({kind} -> pyr): `name` = {shown}"), ALLOWED],
            );
        }
    }
}

#[test]
fn population_names_must_be_unique() {
    expect(
        &with("name = \"bg\"", "name = \"pyr\""),
        &[
            "population 1 (\"pyr\"): `name` = \"pyr\"",
            "not used by another population",
            "already used by population 0 (\"pyr\")",
        ],
    );
    // A Poisson input names its generated source population.
    expect(
        &format!("{GOOD}{}", input("poisson", "bg")),
        &["input 0 (poisson -> pyr): `name` = \"bg\"", "already used by population 1 (\"bg\")"],
    );
}

#[test]
fn projection_names_must_be_unique() {
    expect(
        &second_projection("name = \"ff\"").replacen("weight = 0.2", "weight = 0.2\nname = \"ff\"", 1),
        &[
            "projection 1 (bg -> pyr): `name` = \"ff\"",
            "not used by another projection",
            "already used by projection 0 (bg -> pyr)",
        ],
    );
}

#[test]
fn generated_projection_names_must_be_unique() {
    // Two unnamed projections with the same from, to, target and receptor.
    expect(
        &second_projection(""),
        &[
            "projection 1 (bg -> pyr): `name` = \"bg->pyr.soma.exc\" (the default name, from->to.target.receptor)",
            "already used by projection 0 (bg -> pyr)",
        ],
    );
    // A given name equal to an earlier default, and a default equal to an earlier given name.
    expect(
        &second_projection("name = \"bg->pyr.soma.exc\""),
        &["projection 1 (bg -> pyr): `name` = \"bg->pyr.soma.exc\"", "already used by projection 0 (bg -> pyr)"],
    );
    expect(
        &second_projection("").replacen("weight = 0.2", "weight = 0.2\nname = \"bg->pyr.soma.exc\"", 1),
        &["projection 1 (bg -> pyr): `name` = \"bg->pyr.soma.exc\" (the default name", "already used by projection 0"],
    );
    // Different receptors or targets give different defaults.
    let inh = second_projection("")
        .replace("receptor = \"exc\"\nconnect = \"all_to_all\"", "receptor = \"inh\"\nconnect = \"all_to_all\"");
    model::from_str(&inh, "models/ok.toml", "ok", &Overrides::default()).unwrap();
}

#[test]
fn input_names_must_be_unique() {
    for (first, second) in
        [("constant_current", "sine_current"), ("constant_current", "poisson"), ("poisson", "poisson")]
    {
        expect(
            &format!("{GOOD}{}{}", input(first, "drive"), input(second, "drive")),
            &[
                &format!("input 1 ({second} -> pyr): `name` = \"drive\""),
                "not used by another input",
                &format!("already used by input 0 ({first} -> pyr)"),
            ],
        );
    }
}

#[test]
fn output_populations_listed_once() {
    expect(
        &format!("{GOOD}\n[output]\npopulations = [\"pyr\", \"bg\", \"pyr\"]\n"),
        &["[output]: `populations` = \"pyr\"", "each population once"],
    );
}

#[test]
fn output_weights_projections_listed_once() {
    let named = projection_with("name = \"ff\"");
    expect(
        &format!("{named}\n[output.weights]\nevery_ms = 10\nprojections = [\"ff\", \"ff\"]\n"),
        &["[output.weights]: `projections` = \"ff\"", "each projection once"],
    );
}

#[test]
fn output_state_entries_once_per_group() {
    let stp = projection_with("name = \"ff\"\nstp = \"facilitating\"");
    let state = |what: &str, name: &str, var: &str| {
        format!("\n[[output.state]]\n{what} = \"{name}\"\nvariables = [\"{var}\"]\n")
    };
    expect(
        &format!("{stp}{}{}", state("population", "pyr", "V_s"), state("population", "pyr", "V_d")),
        &[
            "[[output.state]] 1: `population` = \"pyr\"",
            "one [[output.state]] entry per population",
            "[[output.state]] 0 has it",
        ],
    );
    expect(
        &format!("{stp}{}{}", state("projection", "ff", "u"), state("projection", "ff", "x")),
        &["[[output.state]] 1: `projection` = \"ff\"", "[[output.state]] 0 has it"],
    );
    // A population and a projection of the same name would share /state/<name>.
    let same = stp.replace("name = \"ff\"", "name = \"pyr\"");
    expect(
        &format!("{same}{}{}", state("population", "pyr", "V_s"), state("projection", "pyr", "u")),
        &["[[output.state]] 1: `projection` = \"pyr\"", "records the population of that name", "/state/pyr"],
    );
}

/// Issue 10, item 5 (silent acceptance) and item 3 (a delay ring of billions of slots): a duration
/// that is not a whole number of steps, a time step below 1 us, a model without populations and
/// more estimate neurons than the target has are refused, naming the key.
#[test]
fn silent_acceptance_is_refused() {
    expect(
        &with("duration_ms = 100.0", "duration_ms = 100.05"),
        &["[simulation]", "`duration_ms` = 100.05", "multiple of the time step, dt_ms"],
    );
    expect(&with("duration_ms = 100.0", "duration_ms = 100.0\ndt_ms = 1e-9"), &["`dt_ms`", "0.001 (1 us)"]);
    let empty = "[simulation]\nduration_ms = 10.0\n";
    expect(empty, &["[simulation]", "at least one [[population]]"]);
    let plastic = with(
        "weight = 0.2",
        "weight = 0.2\nname = \"ff\"\nplasticity = { rule = \"burst\", eta = 0.01, tau_pre_ms = 100, tau_avg_ms = 5000 }",
    );
    let est = |n: usize| format!("{plastic}\n[output.weights]\nevery_ms = 10.0\nestimates_of_first = {n}\n");
    model::from_str(&est(10), "models/ok.toml", "ok", &Overrides::default()).unwrap();
    expect(&est(11), &["[output.weights]", "`estimates_of_first` = 11", "from 0 to 10"]);
    // a weights table with nothing to record: an emptied list, or no plastic projection
    expect(
        &format!("{plastic}\n[output.weights]\nevery_ms = 10.0\nprojections = []\n"),
        &["[output.weights]", "`projections` = []"],
    );
    expect(
        &format!("{}\n[output.weights]\nevery_ms = 10.0\n", with("weight = 0.2", "weight = 0.2")),
        &["`projections` = (default: the plastic projections, none here)"],
    );
}
