//! `burstsim plot` (issue 15, item 5): each kind of figure from a small run, its size, that the
//! raster shows spikes where there are some and none where there are none, the time window, and
//! one refusal per kind of bad input (exit code 2, the file and the problem named).

mod common;

use burstsim::model::{self, Overrides};
use common::{bin, run_to, SPAWN_LOCK};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// 40 pyramidal neurons under a Poisson background (the spec 7.5 weights: a few Hz, some
/// bursts), a second population with no input (no spike), a plastic recurrent projection, state
/// of three neurons and weight snapshots.
const MODEL: &str = r#"
[simulation]
duration_ms = 1000.0
seed = 2

[[population]]
name = "active"
kind = "pyramidal"
size = 40
v_init_sd_mv = 5.0

[[population]]
name = "silent"
kind = "pyramidal"
size = 20

[[population]]
name = "bg_exc"
kind = "poisson"
size = 400
rate_hz = 5.0

[[population]]
name = "bg_inh"
kind = "poisson"
size = 400
rate_hz = 5.0

[[projection]]
from = "bg_exc"
to = "active"
target = "soma"
receptor = "exc"
connect = { p = 0.25 }
weight = 0.17

[[projection]]
from = "bg_inh"
to = "active"
target = "soma"
receptor = "inh"
connect = { p = 0.075 }
weight = 0.26

[[projection]]
from = "bg_exc"
to = "active"
target = "dendrite"
receptor = "exc"
connect = { p = 0.25 }
weight = 0.043

[[projection]]
from = "bg_inh"
to = "active"
target = "dendrite"
receptor = "inh"
connect = { p = 0.075 }
weight = 0.07

[[projection]]
name = "ff"
from = "active"
to = "active"
target = "soma"
receptor = "exc"
connect = { p = 0.2 }
weight = 0.01
plasticity = { rule = "burst", eta = 0.05, tau_pre_ms = 100.0, tau_avg_ms = 200.0, r_hom_init_hz = 5.0 }

[output]
populations = ["active", "silent"]
rate_bin_ms = 20.0

[output.weights]
every_ms = 50.0

[[output.state]]
population = "active"
variables = ["V_s", "V_d"]
neurons = "0..3"
"#;

/// The same circuit recording nothing that `plot` draws.
fn nothing_recorded() -> String {
    let head = MODEL.split("[output]").next().unwrap();
    format!("{head}[output]\npopulations = [\"active\"]\nspikes = false\nevents_bursts = false\n")
}

/// Runs `text` (in-process) into `dir/name.h5`.
fn run(dir: &Path, name: &str, text: &str) -> PathBuf {
    let model_path = dir.join(format!("{name}.toml"));
    std::fs::write(&model_path, text).unwrap();
    let m = model::load(&model_path, &Overrides::default()).expect("model loads");
    let out = dir.join(format!("{name}.h5"));
    run_to(m, &out, 1);
    out
}

/// `burstsim plot ARGS...`, spawned under the spawn lock.
fn plot(args: &[&str]) -> Output {
    let _guard = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    Command::new(bin()).arg("plot").args(args).output().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Width and height from the PNG signature and IHDR chunk (the first chunk, PNG spec 11.2.2).
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "{}: not a PNG", path.display());
    assert_eq!(&b[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes(b[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

/// The RGB pixels of an 8-bit RGB PNG, with its width.
fn pixels(path: &Path) -> (Vec<u8>, usize) {
    let f = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut reader = png::Decoder::new(f).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (buf, info.width as usize)
}

/// Pixels in the rectangle x0..x1, y0..y1 for which `pred(r, g, b)` holds.
fn count(path: &Path, (x0, x1): (usize, usize), (y0, y1): (usize, usize), pred: impl Fn(u8, u8, u8) -> bool) -> usize {
    let (px, w) = pixels(path);
    let mut n = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            let k = 3 * (y * w + x);
            n += pred(px[k], px[k + 1], px[k + 2]) as usize;
        }
    }
    n
}

fn dark(r: u8, g: u8, b: u8) -> bool {
    r < 100 && g < 100 && b < 100
}

/// Inside the raster's plot area at the default size (clear of axes, labels and band names).
const PLOT_X: (usize, usize) = (110, 1030);
const PLOT_Y: (usize, usize) = (60, 720);

#[test]
fn every_kind_draws_a_png_of_the_size_asked() {
    let dir = tempfile::tempdir().unwrap();
    let h5 = run(dir.path(), "run", MODEL);
    for kind in ["raster", "rates", "state", "weights"] {
        let png = dir.path().join(format!("{kind}.png"));
        let o = plot(&[kind, s(&h5), "--png", s(&png)]);
        assert!(o.status.success(), "{kind}: {}", stderr(&o));
        let line = String::from_utf8_lossy(&o.stdout);
        assert!(line.contains("1200 x 800 pixels") && line.contains("0-1000 ms"), "{kind}: {line}");
        assert_eq!(png_size(&png), (1200, 800), "{kind}");
        // Something is drawn (axes, labels, data), not a white page.
        assert!(count(&png, (0, 1200), (0, 800), dark) > 1000, "{kind}: almost blank");
    }
    let png = dir.path().join("small.png");
    let o = plot(&["state", s(&h5), "--population", "active", "--png", s(&png), "--width", "900", "--height", "500"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(png_size(&png), (900, 500));
}

#[test]
fn the_raster_shows_spikes_where_there_are_some_and_none_where_there_are_none() {
    let dir = tempfile::tempdir().unwrap();
    let h5 = run(dir.path(), "run", MODEL);
    let (active, silent) = (dir.path().join("active.png"), dir.path().join("silent.png"));
    for (pop, png) in [("active", &active), ("silent", &silent)] {
        let o = plot(&["raster", s(&h5), "--population", pop, "--png", s(png)]);
        assert!(o.status.success(), "{pop}: {}", stderr(&o));
    }
    let (t, _) = common::read_spikes(&h5, "spikes", "active");
    assert!(t.len() > 100, "the test circuit fires: {} spikes", t.len());
    let marks = count(&active, PLOT_X, PLOT_Y, dark);
    let blank = count(&silent, PLOT_X, PLOT_Y, dark);
    assert!(marks > 1000, "{marks} dark pixels in the plot area of {} spikes", t.len());
    assert!(blank < 20, "{blank} dark pixels in the raster of a population without spikes");
    // With --classes, event onsets blue and burst onsets red appear among the black spikes.
    let classes = dir.path().join("classes.png");
    let o = plot(&["raster", s(&h5), "--classes", "--png", s(&classes)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let blue = count(&classes, PLOT_X, PLOT_Y, |r, g, b| b > 150 && r < 60 && g < 140);
    let red = count(&classes, PLOT_X, PLOT_Y, |r, g, b| r > 180 && g < 80 && b < 80);
    assert!(blue > 200 && red > 100, "blue {blue}, red {red}");
}

#[test]
fn the_window_limits_what_is_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let h5 = run(dir.path(), "run", MODEL);
    let png = dir.path().join("w.png");
    let o = plot(&["raster", s(&h5), "--t0-ms", "200", "--t1-ms", "450.5", "--png", s(&png)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (t, _) = common::read_spikes(&h5, "spikes", "active");
    let inside = t.iter().filter(|&&t| (200.0..=450.5).contains(&t)).count();
    let line = String::from_utf8_lossy(&o.stdout);
    assert!(line.contains(&format!("({inside} spikes), 200-450.5 ms")), "{line}");
}

/// Exit code 2, and stderr names `file` and holds every part.
fn refused(o: &Output, file: &Path, parts: &[&str]) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    let name = file.file_name().unwrap().to_str().unwrap();
    assert!(e.contains(name), "the message does not name {name}: {e}");
    for p in parts {
        assert!(e.contains(p), "the message lacks `{p}`: {e}");
    }
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn bad_inputs_are_refused_with_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let h5 = run(dir.path(), "run", MODEL);
    let png = dir.path().join("out.png");
    let p = s(&png);

    let missing = dir.path().join("missing.h5");
    refused(&plot(&["raster", s(&missing), "--png", p]), &missing, &["no such file"]);
    let text = dir.path().join("text.h5");
    std::fs::write(&text, "not hdf5").unwrap();
    refused(&plot(&["raster", s(&text), "--png", p]), &text, &["cannot open as HDF5"]);
    let foreign = dir.path().join("foreign.h5");
    {
        let _guard = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let f = hdf5_metno::File::create(&foreign).unwrap();
        f.new_dataset_builder().with_data(&[1.0f64]).create("x").unwrap();
    }
    refused(&plot(&["rates", s(&foreign), "--png", p]), &foreign, &["not a burstsim"]);

    refused(&plot(&["raster", s(&h5), "--population", "nope", "--png", p]), &h5, &["\"nope\"", "active, silent"]);
    refused(&plot(&["weights", s(&h5), "--population", "nope", "--png", p]), &h5, &["projection \"nope\"", "ff"]);
    refused(&plot(&["state", s(&h5), "--population", "silent", "--png", p]), &h5, &["no state", "[[output.state]]"]);
    refused(&plot(&["raster", s(&h5), "--t0-ms", "500", "--t1-ms", "500", "--png", p]), &h5, &["--t0-ms 500", "below"]);
    refused(&plot(&["raster", s(&h5), "--t0-ms", "2000", "--png", p]), &h5, &["--t1-ms 1000"]);
    assert!(!png.exists(), "a refused plot wrote its PNG");

    // An existing PNG is replaced only with --force; the input file never.
    std::fs::write(&png, "old").unwrap();
    refused(&plot(&["raster", s(&h5), "--png", p]), &png, &["exists", "--force"]);
    assert_eq!(std::fs::read_to_string(&png).unwrap(), "old");
    let o = plot(&["raster", s(&h5), "--png", p, "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(png_size(&png), (1200, 800));
    let before = std::fs::read(&h5).unwrap();
    refused(&plot(&["raster", s(&h5), "--png", s(&h5), "--force"]), &h5, &["would replace the file it is drawn from"]);
    assert_eq!(std::fs::read(&h5).unwrap(), before);

    // Nothing of the kind recorded: the message says which key records it.
    let none = run(dir.path(), "none", &nothing_recorded());
    for (kind, key) in [
        ("raster", "[output] spikes = true"),
        ("rates", "[output] events_bursts = true"),
        ("state", "[[output.state]]"),
        ("weights", "[output.weights]"),
    ] {
        refused(&plot(&[kind, s(&none), "--png", p, "--force"]), &none, &["recorded", key]);
    }
    // --classes needs events and bursts.
    let spikes_only = run(dir.path(), "spikes_only", &nothing_recorded().replace("spikes = false\n", ""));
    refused(
        &plot(&["raster", s(&spikes_only), "--classes", "--png", p, "--force"]),
        &spikes_only,
        &["no events and bursts", "[output] events_bursts = true"],
    );
}
