//! Issue 10 item 3: a model too large for memory is refused before anything is allocated (exit 2,
//! a message naming the file and giving the estimate), never aborted on a failed allocation; the
//! estimate is close to the measured peak resident memory of a run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_burstsim"))
}

fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("burstsim-memory-limit-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A model file with one population of `size` neurons and `extra` appended.
fn model(name: &str, dt_ms: f64, size: u64, extra: &str) -> PathBuf {
    let p = tmp(name);
    let text = format!(
        "[simulation]\ndt_ms = {dt_ms}\nduration_ms = 1.0\nseed = 1\n\n[[population]]\nname = \"a\"\nkind = \"pv\"\nsize = {size}\n{extra}"
    );
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs `args` and asserts a quick refusal: exit 2 (not a signal), the file named, an estimate.
fn assert_refused(args: &[&str], file: &Path, unit: &str) -> String {
    let t0 = Instant::now();
    let out = bin().args(args).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(t0.elapsed() < Duration::from_secs(10), "{args:?} took {:?}", t0.elapsed());
    let name = file.file_name().unwrap().to_string_lossy();
    assert!(err.contains(&*name) && err.contains("needs an estimated") && err.contains(unit), "{args:?}: {err}");
    err
}

#[test]
fn a_billion_neurons_are_refused_by_check_and_run() {
    let f = model("billion.toml", 0.1, 1_000_000_000, "");
    let s = f.to_str().unwrap();
    // 1e9 PV neurons: 20 B of state and 21 B of detector each, about 38 GiB.
    let e = assert_refused(&["check", s, "--max-memory", "16G"], &f, "GiB");
    assert!(e.contains("--max-memory limit of 16.0 GiB"), "{e}");
    assert_refused(&["run", s, "--max-memory", "16G", "--out", tmp("b.h5").to_str().unwrap()], &f, "GiB");
    // The default limit is the available memory (checked where less than the 38 GiB are free).
    if burstsim::memory::available().is_some_and(|b| b < 30 << 30) {
        let out = bin().args(["check", s]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("available on this machine"), "{}", stderr(&out));
    }
}

#[test]
fn a_billion_synapses_are_refused() {
    // 40000 x 40000 x 0.625 = 1e9 synapses: 4 B of target each, plus the wiring blocks.
    let proj = "\n[[population]]\nname = \"b\"\nkind = \"pv\"\nsize = 40000\n\n[[projection]]\nfrom = \"a\"\nto = \"b\"\ntarget = \"soma\"\nreceptor = \"exc\"\nconnect = { p = 0.625 }\nweight = 0.1\n";
    let f = model("synapses.toml", 0.1, 40000, proj);
    let s = f.to_str().unwrap();
    let e = assert_refused(&["check", s, "--max-memory", "2G"], &f, "GiB");
    assert!(e.contains("largest part: projection 0 (a -> b)"), "{e}");
    assert_refused(&["run", s, "--max-memory", "2G", "--out", tmp("s.h5").to_str().unwrap()], &f, "GiB");
}

#[test]
fn a_long_delay_at_the_smallest_step_is_counted() {
    // dt = 1 us and a 1 s delay: a ring of 1e6 + 1 spike lists per source population and queue;
    // accepted (it fits), and the estimate counts the ring (24 B per slot, 2 rings: > 40 MiB).
    let proj = "\n[[projection]]\nfrom = \"a\"\nto = \"a\"\ntarget = \"soma\"\nreceptor = \"exc\"\nconnect = \"all_to_all\"\nweight = 0.1\ndelay_ms = 1000.0\nstp = \"depressing\"\n[[projection]]\nfrom = \"a\"\nto = \"a\"\ntarget = \"soma\"\nreceptor = \"inh\"\nconnect = \"all_to_all\"\nweight = 0.1\ndelay_ms = 1000.0\n";
    let f = model("delay.toml", 0.001, 10, proj);
    let s = f.to_str().unwrap();
    let out = bin().args(["check", s]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("estimated memory:")).unwrap();
    let mib: f64 = line.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!(line.contains("MiB") && mib > 12.0 + 40.0, "{line}");
    assert_refused(&["check", s, "--max-memory", "30M"], &f, "MiB");
    // A delay beyond the ring's bound is refused with the key named.
    let f2 = model("delay2.toml", 0.001, 10, &proj.replace("delay_ms = 1000.0", "delay_ms = 1e12"));
    let out = bin().args(["check", f2.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("delay_ms"), "{}", stderr(&out));
}

#[test]
fn max_memory_refuses_a_normal_model_and_lets_a_small_one_run() {
    let f = models().join("plasticity_rule.toml");
    let e = assert_refused(&["check", f.to_str().unwrap(), "--max-memory", "1M"], &f, "MiB");
    assert!(e.contains("1.0 MiB"), "{e}");
    let out = tmp("small.h5");
    let o = bin()
        .args(["run", models().join("background.toml").to_str().unwrap(), "--duration-ms", "50", "--max-memory", "64G"])
        .args(["--force", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.exists());
    let bad = bin().args(["check", f.to_str().unwrap(), "--max-memory", "lots"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
}

/// Runs `name` for `ms` on `threads` threads and returns (peak, estimate) in MiB from the final
/// line of the run ("..., peak memory 43.1 MiB (estimated 40.2 MiB)").
fn peak_and_estimate(name: &str, ms: u32, threads: u32) -> (f64, f64) {
    let out = tmp(&format!("{name}-{threads}.h5"));
    let o = bin()
        .args(["run", models().join(format!("{name}.toml")).to_str().unwrap(), "--duration-ms", &ms.to_string()])
        .args(["--threads", &threads.to_string(), "--force", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let line = err.lines().rev().find(|l| l.contains("peak memory")).unwrap_or_else(|| panic!("{err}"));
    let num = |after: &str| -> f64 {
        let rest = &line[line.find(after).unwrap() + after.len()..];
        let mut w = rest.split_whitespace();
        let v: f64 = w.next().unwrap().trim_start_matches('(').parse().unwrap();
        match w.next().unwrap().trim_end_matches(')') {
            "MiB" => v,
            "GiB" => v * 1024.0,
            "KiB" => v / 1024.0,
            u => panic!("unit {u} in {line}"),
        }
    };
    (num("peak memory "), num("(estimated "))
}

#[test]
fn the_estimate_is_within_a_quarter_of_the_peak() {
    // 1000 ms: the recorder's buffers are bounded (CHUNK values per dataset, written when full);
    // multiplexing fills the spike buffers of its 4 populations several times within 1 s, and
    // the peak measured at 2 s is within 1 MiB of it (the buffers are reused, not grown).
    for (name, ms) in [("multiplexing", 1000), ("plasticity_rule", 1000)] {
        for threads in [1, 2] {
            let (peak, est) = peak_and_estimate(name, ms, threads);
            eprintln!("{name} threads {threads}: peak {peak:.1} MiB, estimated {est:.1} MiB");
            assert!(
                (est - peak).abs() <= 0.25 * peak,
                "{name}, {threads} threads: peak {peak} MiB, estimate {est} MiB"
            );
        }
    }
}

/// The estimate counts the threads the run will use: `--threads` when given (each worker holds
/// its stack and buffers), not the model file's count.
#[test]
fn the_limit_counts_the_threads_given_on_the_command_line() {
    let file = model("threads.toml", 0.1, 1000, "");
    let f = file.to_string_lossy().into_owned();
    let check = bin().args(["check", &f]).output().unwrap();
    let text = String::from_utf8_lossy(&check.stdout).into_owned();
    let mib: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("estimated memory: ")?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no estimate in:\n{text}"));
    // 2 MiB above the one-thread estimate: one thread fits, 1000 threads (~256 KiB each) do not
    let limit = format!("{}K", ((mib + 2.0) * 1024.0) as u64);
    let out_file = tmp("threads.h5").to_string_lossy().into_owned();
    let args = ["run", &f, "--max-memory", &limit, "--threads", "1", "--quiet", "--force", "--out", &out_file];
    let one = bin().args(args).output().unwrap();
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
    assert_refused(
        &["run", &f, "--max-memory", &limit, "--threads", "1000", "--quiet", "--force", "--out", &out_file],
        &file,
        "MiB",
    );
}
