//! `burstsim train` refuses (exit 2, the file and the key named) or warns about input it would
//! otherwise accept silently or die on (issue 10 items 3 and 5, training part). Each test runs the
//! binary on tiny synthetic IDX files in a temp dir, so the whole file runs in seconds.

use flate2::write::GzEncoder;
use flate2::Compression;
use hdf5_metno as hdf5;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_burstsim");
const FILES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn images(n: usize) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 3];
    for d in [n as u32, 28, 28] {
        b.extend(d.to_be_bytes());
    }
    b.extend((0..n * 784).map(|i| (i * 7 % 256) as u8));
    b
}

fn labels(n: usize) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 1];
    b.extend((n as u32).to_be_bytes());
    b.extend((0..n).map(|i| (i % 10) as u8));
    b
}

/// Serialises in-process HDF5 writing with spawning children: HDF5 opens files without
/// close-on-exec and locks them, so a child spawned by one test thread while another holds a file
/// open inherits the lock and the holder's next open of that file fails with EAGAIN.
fn hdf5_guard() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A temp dir with `data/` holding 40 training and 20 test images.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let f = Fixture { dir: tempfile::tempdir().unwrap() };
        f.write_data(40, 20);
        f
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write_data(&self, n_train: usize, n_test: usize) {
        let d = self.path("data");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(FILES[0]), gzip(&images(n_train))).unwrap();
        std::fs::write(d.join(FILES[1]), gzip(&labels(n_train))).unwrap();
        std::fs::write(d.join(FILES[2]), gzip(&images(n_test))).unwrap();
        std::fs::write(d.join(FILES[3]), gzip(&labels(n_test))).unwrap();
    }

    /// Writes `name` (an MNIST config on `data/`, layers `layers`, `extra` lines appended to
    /// [training]; `data_extra` to [data]) and returns its path.
    fn config(&self, name: &str, layers: &str, data_extra: &str, extra: &str) -> PathBuf {
        let text = format!(
            "model = \"burstccn\"\n[data]\ndir = \"data\"\n{data_extra}\n[network]\nlayers = {layers}\n\
             [feedback]\ny_mode = \"random\"\n[training]\nepochs = 1\nbatch_size = 8\nlr = 0.1\n\
             test_batch = 10\nangle_every = 0\n{extra}\n"
        );
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Runs `burstsim ARGS` in the fixture's directory: (exit code, stderr).
    fn run(&self, args: &[&str]) -> (i32, String) {
        let _guard = hdf5_guard();
        let out = Command::new(BIN).args(args).current_dir(self.dir.path()).output().unwrap();
        let code = out.status.code().unwrap_or_else(|| panic!("killed by a signal: {:?}", out.status));
        (code, String::from_utf8_lossy(&out.stderr).into_owned())
    }

    /// `run`, asserting exit code 2 and that stderr contains every one of `needles`.
    fn refused(&self, args: &[&str], needles: &[&str]) -> String {
        let (code, err) = self.run(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        for n in needles {
            assert!(err.contains(n), "{args:?}: {n:?} not in: {err}");
        }
        err
    }
}

const SMALL: &str = "[784, 16, 10]";

/// [784, 1000000, 10] is refused at once with its estimate in GiB (not an abort while allocating
/// a 3 GB matrix: W alone is 784 x 10^6 floats, the estimate here about 3 GiB, above 2G);
/// [784, 1e9, 10] is refused by the default limit, the machine's available memory.
#[test]
fn huge_layers_are_refused_before_allocating() {
    let f = Fixture::new();
    f.config("huge.toml", "[784, 1000000, 10]", "", "");
    let t0 = std::time::Instant::now();
    let e = f.refused(
        &["train", "huge.toml", "--no-checkpoint", "--max-memory", "2G"],
        &["huge.toml", "network.layers", "GiB", "--max-memory"],
    );
    assert!(t0.elapsed().as_secs() < 10, "{e}");
    f.config("huger.toml", "[784, 1000000000, 10]", "", "");
    f.refused(
        &["train", "huger.toml", "--no-checkpoint"],
        &["huger.toml", "network.layers", "available on this machine"],
    );
}

/// `--max-memory 1M` refuses the shipped config (and a bad size is a usage error, code 2 too).
#[test]
fn max_memory_refuses_the_normal_config() {
    let f = Fixture::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cfg = root.join("models/mnist_burstccn.toml");
    let out = {
        let _guard = hdf5_guard();
        Command::new(BIN)
            .args(["train", cfg.to_str().unwrap(), "--no-checkpoint", "--max-memory", "1M"])
            .current_dir(root)
            .output()
            .unwrap()
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("mnist_burstccn.toml") && err.contains("MiB") && err.contains("1.0 MiB"), "{err}");
    // the tiny config fits in 64M and trains
    f.config("small.toml", SMALL, "", "");
    let (code, err) = f.run(&["train", "small.toml", "--no-checkpoint", "--max-memory", "64M"]);
    assert_eq!(code, 0, "{err}");
    f.refused(&["train", "small.toml", "--max-memory", "lots"], &["--max-memory"]);
}

fn continuous(f: &Fixture, key: &str, value: &str) -> PathBuf {
    let p = f.path("cont.toml");
    std::fs::write(
        &p,
        format!("model = \"continuous_burstccn\"\n[continuous]\ntrain_steps = 10\npredict_before = 5\npredict_after = 5\nreport_every = 5\n{key} = {value}\n")
            .replace("train_steps = 10\n", if key == "train_steps" { "" } else { "train_steps = 10\n" }),
    )
    .unwrap();
    p
}

/// β NaN or negative, a NaN or infinite teacher scale and train_steps = 0 are refused naming the
/// key; β = 0 (a control without apical drive) runs with a warning.
#[test]
fn continuous_beta_teacher_scale_and_train_steps_are_checked() {
    let f = Fixture::new();
    for (key, value) in [
        ("beta", "nan"),
        ("beta", "-1.0"),
        ("beta", "inf"),
        ("teacher_weight_scale", "nan"),
        ("teacher_weight_scale", "inf"),
        ("teacher_weight_scale", "-inf"),
        ("train_steps", "0"),
        ("teacher_hidden", "0"),
    ] {
        continuous(&f, key, value);
        f.refused(&["train", "cont.toml"], &["cont.toml", &format!("continuous.{key}")]);
    }
    continuous(&f, "beta", "0.0");
    let (code, err) = f.run(&["train", "cont.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning") && err.contains("continuous.beta"), "{err}");
}

/// Resuming with `--epochs` (or the config's epochs) not above the checkpoint's epoch says so.
#[test]
fn epochs_not_above_the_checkpoint_are_refused() {
    let f = Fixture::new();
    f.config("small.toml", SMALL, "", "");
    let (code, err) = f.run(&["train", "small.toml", "--epochs", "2", "--checkpoint", "ck.h5"]);
    assert_eq!(code, 0, "{err}");
    f.refused(
        &["train", "small.toml", "--resume", "ck.h5", "--epochs", "2", "--checkpoint", "x.h5"],
        &["ck.h5", "checkpoint ck.h5 is at epoch 2; --epochs 2 has nothing left to do; give --epochs above 2"],
    );
    f.refused(
        &["train", "small.toml", "--resume", "ck.h5", "--checkpoint", "x.h5"],
        &["small.toml", "training.epochs", "nothing left to do; give --epochs above 2"],
    );
    let (code, err) = f.run(&["train", "small.toml", "--resume", "ck.h5", "--epochs", "3", "--checkpoint", "x.h5"]);
    assert_eq!(code, 0, "{err}");
}

/// A checkpoint of another model kind, or with a dataset of another shape (even of the same
/// number of values), or with an epoch counter out of range, is refused naming what differs.
#[test]
fn checkpoint_of_another_model_kind_or_shape_is_refused() {
    let f = Fixture::new();
    f.config("small.toml", SMALL, "", "");
    assert_eq!(f.run(&["train", "small.toml", "--checkpoint", "ck.h5"]).0, 0);
    // another kind: the same network trained as backprop
    let bp = f.config("bp.toml", SMALL, "", "").with_file_name("bp.toml");
    std::fs::write(&bp, std::fs::read_to_string(&bp).unwrap().replace("\"burstccn\"", "\"backprop\"")).unwrap();
    f.refused(
        &["train", "bp.toml", "--resume", "ck.h5", "--epochs", "2", "--no-checkpoint"],
        &["ck.h5", "model = \"burstccn\"", "model = \"backprop\""],
    );
    // another width: w0 16 x 784 against 32 x 784
    f.config("wide.toml", "[784, 32, 10]", "", "");
    f.refused(
        &["train", "wide.toml", "--resume", "ck.h5", "--epochs", "2", "--no-checkpoint"],
        &["ck.h5", "dataset w0 has shape 16 x 784", "32 x 784"],
    );
    // the same number of values in another shape: w1 stored as 16 x 10 instead of 10 x 16
    std::fs::copy(f.path("ck.h5"), f.path("transposed.h5")).unwrap();
    {
        let _guard = hdf5_guard();
        let h = hdf5::File::open_rw(f.path("transposed.h5")).unwrap();
        h.unlink("w1").unwrap();
        h.new_dataset::<f32>().shape([16, 10]).create("w1").unwrap().write_raw(&[0.0f32; 160]).unwrap();
    }
    f.refused(
        &["train", "small.toml", "--resume", "transposed.h5", "--epochs", "2", "--no-checkpoint"],
        &["transposed.h5", "dataset w1 has shape 16 x 10", "10 x 16"],
    );
    // epoch counters out of range
    for bad in [0u64, u64::MAX] {
        std::fs::copy(f.path("ck.h5"), f.path("epoch.h5")).unwrap();
        {
            let _guard = hdf5_guard();
            let h = hdf5::File::open_rw(f.path("epoch.h5")).unwrap();
            h.delete_attr("epoch").unwrap();
            h.new_attr::<u64>().create("epoch").unwrap().write_scalar(&bad).unwrap();
        }
        f.refused(
            &["train", "small.toml", "--resume", "epoch.h5", "--epochs", "2", "--no-checkpoint"],
            &["epoch.h5", &format!("epoch = {bad} is out of range")],
        );
    }
}

/// A config with momentum resuming from a checkpoint without momentum buffers is refused (the
/// buffers would silently restart from zero).
#[test]
fn missing_momentum_buffers_are_refused() {
    let f = Fixture::new();
    f.config("plain.toml", SMALL, "", "");
    assert_eq!(f.run(&["train", "plain.toml", "--checkpoint", "ck.h5"]).0, 0);
    f.config("mom.toml", SMALL, "", "momentum = 0.9");
    f.refused(
        &["train", "mom.toml", "--resume", "ck.h5", "--epochs", "2", "--no-checkpoint"],
        &["ck.h5", "mom_w0", "training.momentum = 0.9"],
    );
    // with momentum on both sides, resuming works
    assert_eq!(f.run(&["train", "mom.toml", "--checkpoint", "mck.h5"]).0, 0);
    let (code, err) = f.run(&["train", "mom.toml", "--resume", "mck.h5", "--epochs", "2", "--no-checkpoint"]);
    assert_eq!(code, 0, "{err}");
}

/// Image files with 0 images are refused naming the file.
#[test]
fn empty_data_sets_are_refused() {
    let f = Fixture::new();
    f.config("small.toml", SMALL, "", "");
    f.write_data(0, 20);
    f.refused(&["train", "small.toml", "--no-checkpoint"], &[FILES[0], "0 images"]);
    f.write_data(40, 0);
    f.refused(&["train", "small.toml", "--no-checkpoint"], &[FILES[2], "0 images"]);
}

/// Bytes after the gzip stream that do not start another member are refused naming the file; a
/// file of two gzip members (`cat a.gz b.gz`) is read whole, as gunzip reads it.
#[test]
fn trailing_garbage_after_a_gzip_stream_is_refused() {
    let f = Fixture::new();
    f.config("small.toml", SMALL, "", "");
    let p = f.path("data").join(FILES[1]);
    let mut bytes = gzip(&labels(40));
    bytes.extend(b"garbage");
    std::fs::write(&p, &bytes).unwrap();
    f.refused(&["train", "small.toml", "--no-checkpoint"], &[FILES[1], "7 bytes of trailing garbage"]);
    // two members: the header and the first 10 labels, then the other 30
    let all = labels(40);
    let mut two = gzip(&all[..18]);
    two.extend(gzip(&all[18..]));
    std::fs::write(&p, two).unwrap();
    let (code, err) = f.run(&["train", "small.toml", "--no-checkpoint"]);
    assert_eq!(code, 0, "{err}");
}

/// train_limit (or test_limit) above the examples there are warns, naming the key, the value and
/// the count available, and trains on all of them: a limit is an upper bound, so a config written
/// for the full data set still runs on a smaller copy.
#[test]
fn train_limit_above_the_data_warns() {
    let f = Fixture::new();
    f.config("lim.toml", SMALL, "train_limit = 60000\ntest_limit = 100", "");
    let out =
        Command::new(BIN).args(["train", "lim.toml", "--no-checkpoint"]).current_dir(f.dir.path()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("warning") && err.contains("data.train_limit") && err.contains("60000"), "{err}");
    assert!(err.contains("above the 40 examples") && err.contains("data.test_limit"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("40 train / 0 validation / 20 test"));
}
