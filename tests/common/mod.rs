//! Helpers shared by the integration tests.
#![allow(dead_code)]

use burstsim::model::{self, Model, Overrides};
use burstsim::run::{self, RunOptions, RunSummary};
use hdf5_metno as h5;
use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Loads a model from models/.
pub fn load_model(name: &str, ov: Overrides) -> Model {
    model::load(&root().join("models").join(name), &ov).expect("model loads")
}

/// Serialises in-process HDF5 writing with spawning child processes within one test binary.
/// HDF5 opens files without close-on-exec and locks them (flock): a child spawned by one test
/// thread while another thread writes a file inherits the descriptor, keeps the lock for its
/// lifetime, and the writer's later reopen of that file fails with EAGAIN.
pub static SPAWN_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs a model quietly into `out` (holding [`SPAWN_LOCK`] while the file is open).
pub fn run_to(m: Model, out: &Path, threads: usize) -> RunSummary {
    let _guard = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    run::run(
        m,
        RunOptions {
            out: Some(out.to_string_lossy().into_owned()),
            threads: Some(threads),
            quiet: true,
            stop: None,
            timings: false,
            force: false,
            invocation: Default::default(),
            ..Default::default()
        },
    )
    .expect("run succeeds")
}

/// Reads (timestamps, node_ids) of `group/pop`.
pub fn read_spikes(file: &Path, group: &str, pop: &str) -> (Vec<f64>, Vec<u64>) {
    let f = h5::File::open(file).unwrap_or_else(|e| panic!("open {}: {e}", file.display()));
    let t = f.dataset(&format!("{group}/{pop}/timestamps")).unwrap().read_raw::<f64>().unwrap();
    let i = f.dataset(&format!("{group}/{pop}/node_ids")).unwrap().read_raw::<u64>().unwrap();
    (t, i)
}

/// Path to the built binary.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_burstsim")
}

/// Runs `cmd` to completion holding [`SPAWN_LOCK`], so that the child inherits no HDF5 file
/// another test thread of this process has open (see the lock's docs).
pub fn output(cmd: &mut std::process::Command) -> std::process::Output {
    let _guard = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    cmd.output().expect("the command starts")
}

/// Whether python3 imports `modules` (e.g. "h5py, numpy"), asked under [`SPAWN_LOCK`].
pub fn python_has(modules: &str) -> bool {
    let _guard = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    std::process::Command::new("python3").args(["-c", &format!("import {modules}")]).status().is_ok_and(|s| s.success())
}
