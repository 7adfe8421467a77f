//! Regression tests for the panics (exit 101) of issue 10 item 2: images that do not fit the
//! network's input layer, IDX headers whose sizes overflow or exceed the data, and standard output
//! closed or full. Each ends with a message and exit 2, or (a closed pipe) quietly with exit 0.

use burstsim::rate::idx::{read_idx, LabelledImages, MNIST_FILES};
use burstsim::rate::RateError;
use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_burstsim"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// A raw (not gzipped) IDX file of unsigned bytes: the header of the given sizes, then `data`.
fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend_from_slice(data);
    v
}

/// The four MNIST files under their standard names in `dir`, `n` examples each of `rows × cols`
/// images (raw IDX: the reader takes a file as gzip only when it starts with the gzip magic).
fn write_mnist(dir: &Path, rows: u32, cols: u32, n: u32) {
    let px = (rows * cols) as usize;
    let images: Vec<u8> = (0..n as usize * px).map(|i| (i * 37 % 256) as u8).collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    for (im, lb) in [(0, 1), (2, 3)] {
        std::fs::write(dir.join(MNIST_FILES[im]), idx(&[n, rows, cols], &images)).unwrap();
        std::fs::write(dir.join(MNIST_FILES[lb]), idx(&[n], &labels)).unwrap();
    }
}

/// A training config on the files of `data`, written to `dir/small.toml`.
fn write_config(dir: &Path, data: &Path, epochs: usize) -> std::path::PathBuf {
    let cfg = dir.join("small.toml");
    let text = format!(
        "model = \"burstccn\"\nseed = 1\n[data]\ndir = \"{}\"\n[network]\nlayers = [784, 16, 10]\n\
         [training]\nepochs = {epochs}\nbatch_size = 8\nlr = 0.1\ntest_batch = 16\n",
        data.display()
    );
    std::fs::write(&cfg, text).unwrap();
    cfg
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_no_panic(o: &Output) {
    let e = stderr(o);
    assert!(!e.contains("panicked"), "{e}");
    assert_ne!(o.status.code(), Some(101), "{e}");
}

/// (a) Images of 4×4 pixels with `network.layers[0] = 784`: refused before training (exit 2) with a
/// message naming the image file, the image size found and the key; not the gemm assertion.
#[test]
fn images_not_matching_the_input_layer_are_refused_before_training() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist(dir.path(), 4, 4, 16);
    let cfg = write_config(dir.path(), dir.path(), 1);
    let ck = dir.path().join("ck.h5");
    let o = bin().arg("train").arg(&cfg).arg("--quiet").arg("--checkpoint").arg(&ck).output().unwrap();
    assert_no_panic(&o);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    for want in [MNIST_FILES[0], "4x4 = 16 pixels", "network.layers[0]", "784"] {
        assert!(e.contains(want), "`{want}` missing from: {e}");
    }
    assert!(!ck.exists(), "refused before training, so no checkpoint");
}

/// (b) IDX headers whose sizes overflow when multiplied (2^32 − 1 cubed), or announce more bytes
/// than the (decompressed) file holds: an error naming the file and the corrupt header, never a
/// panic or an allocation of the announced size.
#[test]
fn corrupt_idx_headers_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let over = d.join("overflow-idx3-ubyte");
    std::fs::write(&over, idx(&[u32::MAX, u32::MAX, u32::MAX], &[1, 2, 3])).unwrap();
    let e = read_idx(&over, 3).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, RateError::IdxContent { .. }), "{e:?}");
    assert!(msg.contains("overflow-idx3-ubyte") && msg.contains("corrupt IDX header"), "{msg}");
    // the same file as the images of a labelled set
    let labels = d.join("labels-idx1-ubyte");
    std::fs::write(&labels, idx(&[3], &[1, 2, 3])).unwrap();
    let e = LabelledImages::read(&over, &labels).unwrap_err();
    assert!(e.to_string().contains("overflow-idx3-ubyte"), "{e}");
    // 65536^3 = 2^48 bytes announced (no overflow), 3 present: truncated, nothing allocated
    let big = d.join("big-idx3-ubyte");
    std::fs::write(&big, idx(&[65536, 65536, 65536], &[1, 2, 3])).unwrap();
    let e = read_idx(&big, 3).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, RateError::IdxTruncated { found: 19, .. }), "{e:?}");
    assert!(msg.contains("big-idx3-ubyte") && msg.contains("corrupt header"), "{msg}");
    // a label file claiming 2^32 − 1 labels
    std::fs::write(&labels, idx(&[u32::MAX], &[1, 2, 3])).unwrap();
    let e = read_idx(&labels, 1).unwrap_err();
    assert!(matches!(e, RateError::IdxTruncated { .. }) && e.to_string().contains("labels-idx1-ubyte"), "{e}");
    // end to end: exit 2 with the file named
    let data = d.join("data");
    std::fs::create_dir(&data).unwrap();
    write_mnist(&data, 28, 28, 4);
    std::fs::copy(&over, data.join(MNIST_FILES[0])).unwrap();
    let cfg = write_config(d, &data, 1);
    let o = bin().arg("train").arg(&cfg).args(["--quiet", "--no-checkpoint"]).output().unwrap();
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(MNIST_FILES[0]) && stderr(&o).contains("corrupt IDX header"), "{}", stderr(&o));
}

/// An `inspect`able output file: a short run of the small multiplexing network.
fn small_run(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("run.h5");
    let o = bin()
        .args(["run", "tests/data/multiplexing_small.toml", "--duration-ms", "20", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

/// (c) Standard output closed by its reader (`| head -1`): `check`, `inspect` and `train` (whose
/// reader goes after the first line, so the failing write is an epoch's line) exit 0 quietly; the
/// epoch's checkpoint is still written.
#[test]
fn closed_stdout_pipe_is_a_quiet_exit() {
    let dir = tempfile::tempdir().unwrap();
    let h5 = small_run(dir.path());
    let closed = |cmd: &mut Command| {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        drop(child.stdout.take());
        child.wait_with_output().unwrap()
    };
    for o in [closed(bin().args(["check", "models/multiplexing.toml"])), closed(bin().arg("inspect").arg(&h5))] {
        assert_no_panic(&o);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stderr(&o), "");
    }
    // train: read the first line (the run's header), then close
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_mnist(&data, 28, 28, 32);
    let cfg = write_config(dir.path(), &data, 3);
    let ck = dir.path().join("ck.h5");
    let mut child = bin()
        .arg("train")
        .arg(&cfg)
        .args(["--quiet", "--threads", "1", "--checkpoint"])
        .arg(&ck)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.contains("small.toml"), "{first}");
    let o = child.wait_with_output().unwrap();
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    assert!(ck.exists(), "the checkpoint of the epoch whose line could not be printed");
}

/// (c) Standard output on a full device (/dev/full): `check`, `inspect` and `train` exit 2 with
/// "cannot write to standard output" on stderr.
#[test]
fn full_stdout_device_is_exit_2_with_a_message() {
    if !Path::new("/dev/full").exists() {
        eprintln!("no /dev/full on this system; skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let h5 = small_run(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_mnist(&data, 28, 28, 16);
    let cfg = write_config(dir.path(), &data, 1);
    let full = || Stdio::from(std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap());
    for cmd in [
        bin().args(["check", "models/multiplexing.toml"]),
        bin().arg("inspect").arg(&h5),
        bin().arg("train").arg(&cfg).args(["--quiet", "--no-checkpoint"]),
    ] {
        let o = cmd.stdout(full()).output().unwrap();
        assert_no_panic(&o);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(e.contains("cannot write to standard output"), "{e}");
    }
}
