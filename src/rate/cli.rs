//! The `train` and `bench mnist_epoch` commands: argument struct and entry points for `main.rs`.

use super::checkpoint::{self, CheckpointInfo};
use super::config::{self, Config, MnistConfig};
use super::continuous::{ContinuousBurstCcn, Trace, Window};
use super::error::RateError;
use super::estimate;
use super::idx::{Mnist, MNIST_FILES};
use super::learner::{Learner, LearnerSpec, Rule};
use super::network::{FeedbackSpec, QMode, YMode};
use super::optim::{DecayMode, LrPlan, SgdParams};
use super::trace_file;
use super::trainer::{run_epoch, EpochReport, LoopSettings};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::fs::OpenOptions;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Arguments of `burstsim train`.
#[derive(clap::Args, Debug, Clone)]
pub struct TrainArgs {
    /// Training config (TOML), e.g. models/mnist_burstccn.toml.
    pub config: PathBuf,
    /// Number of epochs, overriding `training.epochs` of the config.
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub epochs: Option<usize>,
    /// Write one CSV row per epoch to this file (appended to when resuming).
    #[arg(long)]
    pub log: Option<PathBuf>,
    /// Worker threads (default: all cores). Results are bit-identical for any value.
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub threads: Option<usize>,
    /// No progress bar (it is also off when stderr is not a terminal).
    #[arg(long)]
    pub quiet: bool,
    /// Resume from this HDF5 checkpoint (written by an earlier run of the same config).
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Where to write the checkpoint after every epoch [default: CONFIG_STEM.h5 in the current
    /// directory].
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Do not write checkpoints.
    #[arg(long)]
    pub no_checkpoint: bool,
    /// Continuous models: write the per-step trace (output, target, output burst probability,
    /// loss, angles to the gradient) to this HDF5 file.
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// Record every N-th step in the trace.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub trace_every: u64,
    /// Refuse to start when the memory estimate of the run exceeds SIZE (e.g. 8G, 512M)
    /// [default: the machine's available memory].
    #[arg(long, value_name = "SIZE", value_parser = crate::memory::parse_size)]
    pub max_memory: Option<u64>,
}

/// Prints `warnings` on stderr, each prefixed `warning: `.
fn print_warnings(warnings: &[String]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

/// The memory check of an MNIST run, made before the data are read and the learner is built:
/// the data sets' sizes come from the IDX headers (when they cannot be read, the load that follows
/// reports why).
pub fn check_mnist_memory(cfg: &MnistConfig, limit: &crate::memory::Limit) -> Result<(), RateError> {
    let sets: Vec<(usize, usize)> = [MNIST_FILES[0], MNIST_FILES[2]]
        .iter()
        .filter_map(|f| super::idx::peek_dims(&cfg.data_dir.join(f), 3))
        .map(|d| (d[0], d[1].saturating_mul(d[2])))
        .collect();
    let (held, reading) = estimate::data_bytes(&sets);
    // a batch holds at most the examples there are
    let cap = |b: usize, i: usize| sets.get(i).map_or(b, |&(n, _)| b.min(n.max(1)));
    let (batch, test_batch) = if sets.len() == 2 {
        (cap(cfg.batch_size, 0), cap(cfg.test_batch, 1))
    } else {
        (cfg.batch_size, cfg.test_batch)
    };
    let learner = estimate::learner_bytes(&cfg.learner, batch, test_batch, cfg.angle_every > 0);
    let what = format!(
        "config {} (network.layers = {:?}, training.batch_size = {})",
        cfg.config_path.display(),
        cfg.learner.sizes,
        cfg.batch_size
    );
    limit.check(held + learner.max(reading), &what).map_err(RateError::Memory)
}

/// Builds a rayon pool with `threads` workers (None = all cores).
pub fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool, RateError> {
    let n = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    rayon::ThreadPoolBuilder::new()
        .num_threads(n.max(1))
        .build()
        .map_err(|e| RateError::Threads { threads: n, message: e.to_string() })
}

/// Loads MNIST and applies the config's example limits, printing a warning on stderr for a limit
/// above the examples there are (see [`load_mnist_warn`]).
pub fn load_mnist(cfg: &MnistConfig) -> Result<Mnist, RateError> {
    let mut warnings = Vec::new();
    let data = load_mnist_warn(cfg, &mut warnings)?;
    print_warnings(&warnings);
    Ok(data)
}

/// Loads MNIST and applies the config's example limits; a limit above the examples of its file
/// adds a warning to `warnings` (it is an upper bound, "at most N": a config written for the full
/// data set still runs on a smaller copy, but the user is told that fewer examples are used than
/// the number written).
pub fn load_mnist_warn(cfg: &MnistConfig, warnings: &mut Vec<String>) -> Result<Mnist, RateError> {
    let mut data = Mnist::load(&cfg.data_dir)?;
    let n_in = cfg.learner.sizes.first().copied().unwrap_or(0);
    let what = format!("`network.layers[0]` of config {}", cfg.config_path.display());
    check_image_size(&data, &cfg.data_dir, n_in, &what)?;
    for (key, limit, set, file) in [
        ("data.train_limit", cfg.train_limit, &mut data.train, MNIST_FILES[0]),
        ("data.test_limit", cfg.test_limit, &mut data.test, MNIST_FILES[2]),
    ] {
        if let Some(n) = limit {
            if n > set.len {
                warnings.push(format!(
                    "config {}: key `{key}` = {n} is above the {} examples of {}: all {} are used",
                    cfg.config_path.display(),
                    set.len,
                    cfg.data_dir.join(file).display(),
                    set.len
                ));
            }
            set.truncate(n);
        }
    }
    if let Some(n) = cfg.validation {
        if n >= data.train.len {
            return Err(RateError::ConfigValue {
                path: cfg.config_path.clone(),
                key: "data.validation".into(),
                message: format!("{n}: must be below the {} training examples", data.train.len),
            });
        }
        data.val = Some(data.train.split_off(n));
    }
    if cfg.standardise {
        let (m, s) = super::idx::MNIST_MEAN_STD;
        data.train.standardise(m, s);
        data.test.standardise(m, s);
        if let Some(v) = data.val.as_mut() {
            v.standardise(m, s);
        }
    }
    Ok(data)
}

/// Refuses image files whose images do not have `n_in` pixels, the size of the network's input
/// layer (`what` names where it comes from): the product `W x` would not be defined.
pub fn check_image_size(data: &Mnist, dir: &Path, n_in: usize, what: &str) -> Result<(), RateError> {
    for (set, file) in [(&data.train, MNIST_FILES[0]), (&data.test, MNIST_FILES[2])] {
        if set.dim != n_in {
            let (rows, cols) = set.image_shape;
            return Err(RateError::IdxContent {
                path: dir.join(file),
                message: format!(
                    "images of {rows}x{cols} = {} pixels, but {what} is {n_in}: the input layer needs one unit per pixel",
                    set.dim
                ),
            });
        }
    }
    Ok(())
}

/// `burstsim train CONFIG.toml`: trains, printing one line per epoch.
pub fn train(args: &TrainArgs) -> Result<(), RateError> {
    let (cfg, text) = config::load(&args.config)?;
    let pool = pool(args.threads)?;
    let progress = !args.quiet && std::io::stderr().is_terminal();
    match cfg {
        Config::Mnist(_) if args.trace.is_some() => Err(RateError::Usage(
            "--trace records the per-step trace of a continuous model; MNIST runs log per epoch (--log)".into(),
        )),
        Config::Mnist(cfg) => train_mnist(args, &cfg, &text, &pool, progress),
        Config::Continuous(p) => {
            // fail before the run, not after it, when the trace cannot be written there
            if let Some(dir) = args.trace.as_ref().and_then(|t| t.parent()).filter(|d| !d.as_os_str().is_empty()) {
                if !dir.is_dir() {
                    return Err(RateError::io(
                        dir,
                        std::io::Error::new(std::io::ErrorKind::NotFound, "directory of --trace does not exist"),
                    ));
                }
            }
            let p = match args.epochs {
                Some(_) => {
                    eprintln!("note: --epochs has no meaning for the continuous model; ignored");
                    p
                }
                None => p,
            };
            if p.beta == 0.0 {
                print_warnings(&[format!(
                    "config {}: key `continuous.beta` = 0: the apical gain is 0, so burst probabilities stay at p_b and nothing is learned",
                    args.config.display()
                )]);
            }
            let mut log = open_log(args.log.as_deref(), false)?;
            let n_layers = p.layers.len() - 1;
            if let Some((f, path)) = log.as_mut() {
                let mut h = "window,last_step,phase,mean_loss,seconds".to_string();
                for l in 1..=n_layers {
                    h.push_str(&format!(",angle_grad_l{l}"));
                }
                writeln!(f, "{h}").map_err(|e| RateError::io(path.clone(), e))?;
            }
            let t0 = std::time::Instant::now();
            let n_out = *p.layers.last().unwrap_or(&1);
            let what = format!("config {} (continuous.layers = {:?})", args.config.display(), p.layers);
            let estimate = estimate::continuous_bytes(&p, args.trace.as_ref().map(|_| args.trace_every));
            crate::memory::Limit::new(args.max_memory).check(estimate, &what).map_err(RateError::Memory)?;
            let mut model = ContinuousBurstCcn::new(p);
            let mut idx = 0usize;
            let mut io_err = None;
            let mut out_err = None;
            let mut trace = args.trace.as_ref().map(|_| Trace::new(args.trace_every as usize));
            let windows = model.run_task_traced(trace.as_mut(), |w: &Window| {
                idx += 1;
                let secs = t0.elapsed().as_secs_f64();
                let angles: Vec<String> = w.angles.iter().map(|a| format!("{a:.2}")).collect();
                // after a failed write (the reader has gone, the device is full) the run goes on
                // without printing, so that the log and the trace are still written
                if out_err.is_none() {
                    if let Err(e) = crate::outln!(
                        "window {idx:4} step {:>9} {:6} mean_loss {:.6} angle_to_grad [{}] {:.1} s",
                        w.last_step,
                        w.phase,
                        w.mean_loss,
                        angles.join(" "),
                        secs
                    ) {
                        out_err = Some(e);
                    }
                }
                if let Some((f, path)) = log.as_mut() {
                    let row =
                        format!("{idx},{},{},{},{secs:.3},{}", w.last_step, w.phase, w.mean_loss, angles.join(","));
                    if let Err(e) = writeln!(f, "{row}") {
                        io_err.get_or_insert(RateError::io(path.clone(), e));
                    }
                }
            });
            let mean = |phase: &str| {
                let v: Vec<f64> = windows.iter().filter(|w| w.phase == phase).map(|w| w.mean_loss).collect();
                v.iter().sum::<f64>() / v.len().max(1) as f64
            };
            let (before, after) = (mean("before"), mean("after"));
            if out_err.is_none() {
                out_err = crate::outln!(
                    "mean loss before teaching {before:.6}, after {after:.6} (ratio {:.1})",
                    before / after
                )
                .err();
            }
            if let (Some(path), Some(tr)) = (&args.trace, &trace) {
                trace_file::save(path, tr, n_out, n_layers, &text)?;
            }
            io_err.or(out_err).map_or(Ok(()), Err)
        }
    }
}

fn open_log(path: Option<&Path>, append: bool) -> Result<Option<(std::fs::File, PathBuf)>, RateError> {
    let Some(path) = path else { return Ok(None) };
    let f = OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(path)
        .map_err(|e| RateError::io(path, e))?;
    Ok(Some((f, path.to_path_buf())))
}

fn train_mnist(
    args: &TrainArgs,
    cfg: &MnistConfig,
    text: &str,
    pool: &rayon::ThreadPool,
    progress: bool,
) -> Result<(), RateError> {
    check_mnist_memory(cfg, &crate::memory::Limit::new(args.max_memory))?;
    let mut warnings = Vec::new();
    let data = load_mnist_warn(cfg, &mut warnings)?;
    print_warnings(&warnings);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed);
    let mut learner = Learner::new(cfg.learner.clone(), &mut rng);
    let mut start = 1;
    let epochs = args.epochs.unwrap_or(cfg.epochs);
    if let Some(r) = &args.resume {
        let info = checkpoint::load(r, &mut learner)?;
        let done = info.epoch as usize;
        if done >= epochs {
            let asked = match args.epochs {
                Some(e) => format!("--epochs {e}"),
                None => format!("training.epochs = {epochs} of config {}", args.config.display()),
            };
            let message = format!(
                "checkpoint {} is at epoch {done}; {asked} has nothing left to do; give --epochs above {done}",
                r.display()
            );
            return Err(match args.epochs {
                Some(_) => RateError::Usage(message),
                None => RateError::ConfigValue { path: args.config.clone(), key: "training.epochs".into(), message },
            });
        }
        if info.seed != cfg.seed {
            eprintln!("note: checkpoint seed {} differs from the config's seed {}", info.seed, cfg.seed);
        }
        for w in &info.warnings {
            eprintln!("note: {}", w);
        }
        start = done + 1;
        crate::outln!("resumed from {} after epoch {}", r.display(), info.epoch)?;
    }
    let ckpt = if args.no_checkpoint {
        None
    } else {
        Some(args.checkpoint.clone().unwrap_or_else(|| {
            let stem = args.config.file_stem().map_or("checkpoint".into(), |s| s.to_string_lossy().into_owned());
            PathBuf::from(format!("{stem}.h5"))
        }))
    };
    let resuming = args.resume.is_some();
    let append = resuming && args.log.as_ref().is_some_and(|p| p.exists());
    let mut log = open_log(args.log.as_deref(), append)?;
    let nl = learner.net.n_layers();
    if let Some((f, path)) = log.as_mut() {
        if !append {
            let mut h =
                "epoch,train_error_pct,test_error_pct,seconds,train_mse,test_mse,val_error_pct,val_mse".to_string();
            for l in 1..=nl {
                h.push_str(&format!(",angle_bp_l{l}"));
            }
            writeln!(f, "{h}").map_err(|e| RateError::io(path.clone(), e))?;
        }
    }
    let s = LoopSettings {
        batch_size: cfg.batch_size,
        test_batch: cfg.test_batch,
        angle_every: cfg.angle_every,
        seed: cfg.seed,
        progress,
        lr: Some(LrPlan {
            schedule: cfg.lr_schedule,
            lr: learner.spec.sgd.lr,
            warmup: cfg.lr_warmup,
            decay_start: cfg.lr_decay_start,
            lr_final: cfg.lr_final,
            // the schedule spans the config's epochs (or a longer --epochs): a shorter --epochs
            // stops inside it, so a run stopped early and resumed follows the same rates as one
            // run straight through
            epochs: epochs.max(cfg.epochs),
        }),
    };
    crate::outln!(
        "{}: {:?} {:?}, {} train / {} validation / {} test examples, {} thread(s)",
        args.config.display(),
        cfg.learner.rule,
        cfg.learner.sizes,
        data.train.len,
        data.val.as_ref().map_or(0, |v| v.len),
        data.test.len,
        pool.current_num_threads()
    )?;
    for epoch in start..=epochs {
        let r = pool.install(|| run_epoch(&mut learner, &data, &s, epoch))?;
        // a failed console line (closed pipe, full device) ends the run, but only after the
        // epoch's log row and checkpoint are written
        let printed = crate::outln!("{}", format_report(&r));
        if let Some((f, path)) = log.as_mut() {
            writeln!(f, "{}", csv_row(&r)).map_err(|e| RateError::io(path.clone(), e))?;
            f.flush().map_err(|e| RateError::io(path.clone(), e))?;
        }
        if let Some(c) = &ckpt {
            let info = CheckpointInfo {
                epoch: epoch as u64,
                seed: cfg.seed,
                config: text.to_string(),
                warnings: warnings.clone(),
            };
            checkpoint::save(c, &mut learner, &info)?;
        }
        printed?;
    }
    Ok(())
}

/// The console line of an epoch.
pub fn format_report(r: &EpochReport) -> String {
    let angles: Vec<String> = r.angles.iter().map(|a| format!("{a:.2}")).collect();
    let val = r.val.map_or(String::new(), |(e, _)| format!("  val_error {e:6.2}%"));
    format!(
        "epoch {:3}  train_error {:6.2}%{val}  test_error {:6.2}%  test_mse {:.5}  angle_to_bp_deg [{}]  {:.1} s",
        r.epoch,
        r.train_error_pct,
        r.test_error_pct,
        r.test_mse,
        angles.join(" "),
        r.seconds
    )
}

/// The CSV row of an epoch (columns: see the header written by `train`).
pub fn csv_row(r: &EpochReport) -> String {
    let mut s = format!(
        "{},{:.4},{:.4},{:.3},{:.6},{:.6}",
        r.epoch, r.train_error_pct, r.test_error_pct, r.seconds, r.train_mse, r.test_mse
    );
    match r.val {
        Some((e, m)) => s.push_str(&format!(",{e:.4},{m:.6}")),
        None => s.push_str(",,"),
    }
    for a in &r.angles {
        s.push_str(&format!(",{a:.4}"));
    }
    s
}

/// The NeurIPS network: 784-500-500-500-10 sigmoid BurstCCN, tied Y and Q, p_b 0.5, lr 0.3,
/// batch 32, plain SGD (spec 1.9 and 1.13).
pub fn bench_spec() -> LearnerSpec {
    LearnerSpec {
        sizes: vec![784, 500, 500, 500, 10],
        rule: Rule::Burstccn,
        p_b: 0.5,
        w_gain: 3.6,
        feedback: FeedbackSpec {
            y_mode: YMode::Tied,
            y_scale: 1.0,
            q_mode: QMode::Tied,
            q_scale: 1.0,
            y_lr: None,
            q_lr: None,
            y_follows_w: false,
        },
        sgd: SgdParams {
            lr: 0.3,
            momentum: 0.0,
            weight_decay: 0.0,
            decay_mode: DecayMode::Reference,
            decay_biases: true,
        },
        recurrent: None,
    }
}

/// The benchmark: the network of models/mnist_burstccn.toml (tied BurstCCN, weight decay 1.5e-5 per
/// step, standardised pixels) at a constant lr 0.6: one epoch has no room for that config's
/// warm-up and decay, and the time per epoch does not depend on the rate.
pub fn bench_tuned_spec() -> LearnerSpec {
    let mut s = bench_spec();
    s.sgd.lr = 0.6;
    s.sgd.weight_decay = 1.5e-5;
    s
}

/// `burstsim bench mnist_epoch`: one training epoch (60 000 examples, batch 32, no angle
/// measurements) of models/mnist_burstccn.toml's network per thread count, printing seconds per
/// epoch (training only; the test pass is excluded), samples per second and the test error after
/// the epoch. `weight_sum` is a checksum of the weights: equal for every thread count.
pub fn bench_mnist_epoch(data_dir: &Path, threads: &[usize], runs: usize, quiet: bool) -> Result<(), RateError> {
    let sets: Vec<(usize, usize)> = [MNIST_FILES[0], MNIST_FILES[2]]
        .iter()
        .filter_map(|f| super::idx::peek_dims(&data_dir.join(f), 3))
        .map(|d| (d[0], d[1].saturating_mul(d[2])))
        .collect();
    let (held, reading) = estimate::data_bytes(&sets);
    let learner = estimate::learner_bytes(&bench_tuned_spec(), 32, 1000, false);
    crate::memory::Limit::new(None)
        .check(held + learner.max(reading), &format!("bench mnist_epoch on {}", data_dir.display()))
        .map_err(RateError::Memory)?;
    let mut data = Mnist::load(data_dir)?;
    check_image_size(&data, data_dir, bench_tuned_spec().sizes[0], "the input layer of the benchmark network")?;
    let (m, s) = super::idx::MNIST_MEAN_STD;
    data.train.standardise(m, s);
    data.test.standardise(m, s);
    let progress = !quiet && std::io::stderr().is_terminal();
    // Each run trains a fresh learner for one epoch; runs alternate between thread counts so a
    // change of machine load hits all of them alike. Min and median as the spiking benchmarks.
    let mut secs: Vec<Vec<f64>> = vec![Vec::new(); threads.len()];
    let mut last = vec![(0.0, 0.0); threads.len()];
    for _ in 0..runs.max(1) {
        for (k, &n) in threads.iter().enumerate() {
            let pool = pool(Some(n))?;
            let mut learner = Learner::new(bench_tuned_spec(), &mut Xoshiro256PlusPlus::seed_from_u64(1));
            let s = LoopSettings { batch_size: 32, test_batch: 1000, angle_every: 0, seed: 1, progress, lr: None };
            let r = pool.install(|| run_epoch(&mut learner, &data, &s, 1))?;
            let checksum: f64 = learner.net.w.iter().flat_map(|w| w.as_slice().iter()).map(|&x| x as f64).sum();
            secs[k].push(r.seconds);
            last[k] = (r.test_error_pct, checksum);
        }
    }
    for (k, &n) in threads.iter().enumerate() {
        let v = &mut secs[k];
        v.sort_by(f64::total_cmp);
        let (min, med) = (v[0], v[v.len() / 2]);
        let per_s = |t: f64| data.train.len as f64 / t;
        crate::outln!(
            "mnist_epoch threads={n} runs={} seconds_per_epoch_min={min:.2} seconds_per_epoch_med={med:.2} \
             samples_per_s_max={:.0} samples_per_s_med={:.0} test_error_pct={:.2} weight_sum={:.9e} peak_rss_mib={:.0}",
            v.len(),
            per_s(min),
            per_s(med),
            last[k].0,
            last[k].1,
            crate::memory::peak_rss_kib() as f64 / 1024.0
        )?;
    }
    Ok(())
}
