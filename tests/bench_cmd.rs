//! `burstsim bench NAME` through the binary: every figure of the line is there and is a positive,
//! finite number. No timing assertions (the figures depend on the machine and its load).

use std::collections::BTreeMap;
use std::process::Command;

/// Runs `burstsim bench ARGS` and returns its standard output.
fn bench(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_burstsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("bench")
        .args(args)
        .output()
        .expect("burstsim starts");
    assert!(out.status.success(), "bench {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The `key=value` pairs of a line (up to a `#` comment), the values as numbers.
fn fields(line: &str) -> BTreeMap<String, f64> {
    let line = line.split('#').next().unwrap();
    line.split_whitespace()
        .skip(1)
        .map(|w| {
            let (k, v) = w.split_once('=').unwrap_or_else(|| panic!("`{w}` is not key=value in `{line}`"));
            let x: f64 = v.parse().unwrap_or_else(|_| panic!("{k} = `{v}` is not a number in `{line}`"));
            (k.to_string(), x)
        })
        .collect()
}

/// One line per thread count, named, with every figure positive and finite, min <= median, and
/// bytes per synapse plausible.
fn check(name: &str, out: &str) {
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "one line for one thread count:\n{out}");
    let line = lines[0];
    assert!(line.starts_with(&format!("{name} threads=1 runs=1 ")), "{line}");
    let f = fields(line);
    for key in [
        "threads",
        "runs",
        "sim_s",
        "rtf_min",
        "rtf_med",
        "syn_events_per_s_min",
        "syn_events_per_s_med",
        "neuron_updates_per_s_min",
        "neuron_updates_per_s_med",
        "peak_rss_mib_min",
        "peak_rss_mib_med",
        "synapses",
        "bytes_per_synapse",
    ] {
        let x = *f.get(key).unwrap_or_else(|| panic!("no {key} in `{line}`"));
        assert!(x.is_finite() && x > 0.0, "{key} = {x} in `{line}`");
    }
    assert!((f["sim_s"] - 0.2).abs() < 1e-9, "{line}");
    for fig in ["rtf", "syn_events_per_s", "neuron_updates_per_s", "peak_rss_mib"] {
        assert!(f[&format!("{fig}_min")] <= f[&format!("{fig}_med")], "{fig}: {line}");
    }
    // A synapse of a probability-connected projection holds at least its target index (a u32 or
    // more); a static projection with one shared weight needs about 4-8 bytes, a plastic one with
    // its weight and traces about 16, and the builder's transient buffers add a few more at the
    // peak. Below 2 the difference of the two builds did not see the synapses; above 64 something
    // per synapse is far too large (or the two-size difference picked up an unrelated allocation).
    let b = f["bytes_per_synapse"];
    assert!((2.0..=64.0).contains(&b), "bytes_per_synapse = {b}: {line}");
}

#[test]
fn bench_coba_prints_every_figure() {
    check("coba", &bench(&["coba", "--runs", "1", "--threads", "1", "--duration-ms", "200"]));
}

#[test]
fn bench_xor_prints_every_figure() {
    check("xor", &bench(&["xor", "--runs", "1", "--threads", "1", "--duration-ms", "200"]));
}

#[test]
fn bench_refuses_an_unknown_name() {
    let out = Command::new(env!("CARGO_BIN_EXE_burstsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["bench", "nonesuch"])
        .output()
        .expect("burstsim starts");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown benchmark `nonesuch`") && err.contains("coba40k") && err.contains("all"), "{err}");
}

#[test]
fn doubling_p_doubles_the_probability_connected_synapses_only() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/xor.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let build = |t: &str| burstsim::model::from_str(t, &path.display().to_string(), "x", &Default::default()).unwrap();
    let (one, two) = (build(&text), build(&burstsim::bench::scale_connection_probability(&text, 2.0).unwrap()));
    assert_eq!(one.network.n_populations(), two.network.n_populations());
    // 16 projections at p = 0.2 (about 800 k synapses) double; the 10 000 one-to-one ones stay
    let (s1, s2) = (one.network.n_synapses() as f64, two.network.n_synapses() as f64);
    assert!(((s2 - 10_000.0) / (s1 - 10_000.0) - 2.0).abs() < 0.01, "{s1} -> {s2}");
    // no probability to scale, or one that would pass 1: said, not guessed
    let one_to_one = "[[projection]]\nfrom = \"a\"\nto = \"b\"\nconnect = \"one_to_one\"\n";
    assert!(burstsim::bench::scale_connection_probability(one_to_one, 2.0).unwrap_err().contains("not meaningful"));
    let dense = "[[projection]]\nfrom = \"a\"\nto = \"b\"\nconnect = { p = 0.6 }\n";
    assert!(burstsim::bench::scale_connection_probability(dense, 2.0).unwrap_err().contains("above 1"));
}
