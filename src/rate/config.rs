//! Training configs (TOML): a raw serde layer that mirrors the file (`deny_unknown_fields`), then
//! validation that names the file and the key of every bad value.
//!
//! Paths in a config (`data.dir`) are resolved relative to the current directory first, then
//! relative to the config file's directory; run from the repository root, `../shared/data/mnist`
//! is the project's MNIST copy.

use super::burstprop::RecurrentSpec;
use super::continuous::{ContinuousParams, ContinuousRule};
use super::error::RateError;
use super::learner::{LearnerSpec, Rule};
use super::network::{FeedbackSpec, QMode, YMode};
use super::optim::{DecayMode, LrSchedule, SgdParams};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Which model a config trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Discrete BurstCCN on MNIST.
    Burstccn,
    /// Discrete burstprop on MNIST.
    Burstprop,
    /// Backprop MLP on MNIST (same network, init and optimiser).
    Backprop,
    /// Feedback alignment MLP on MNIST (Y as the random feedback).
    FeedbackAlignment,
    /// Continuous-time BurstCCN on the teacher–student task.
    ContinuousBurstccn,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    model: ModelKind,
    #[serde(default = "default_seed")]
    seed: u64,
    data: Option<RawData>,
    network: Option<RawNetwork>,
    #[serde(default)]
    feedback: RawFeedback,
    training: Option<RawTraining>,
    continuous: Option<RawContinuous>,
}

fn default_seed() -> u64 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawData {
    dir: PathBuf,
    train_limit: Option<usize>,
    test_limit: Option<usize>,
    validation: Option<usize>,
    #[serde(default)]
    standardise: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    layers: Vec<usize>,
    #[serde(default = "default_pb")]
    p_b: f32,
    #[serde(default = "default_gain")]
    w_gain: f32,
}

fn default_pb() -> f32 {
    0.5
}
fn default_gain() -> f32 {
    3.6
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeedback {
    #[serde(default = "default_ymode")]
    y_mode: YMode,
    #[serde(default = "one")]
    y_scale: f32,
    #[serde(default = "default_qmode")]
    q_mode: QMode,
    #[serde(default = "one")]
    q_scale: f32,
    #[serde(default)]
    y_learning: bool,
    y_lr: Option<f32>,
    #[serde(default)]
    q_learning: bool,
    #[serde(default = "default_fb_lr")]
    q_lr: f32,
    #[serde(default)]
    recurrent_input: bool,
    #[serde(default = "default_rec_lr")]
    recurrent_lr: f32,
    #[serde(default = "default_rec_scale")]
    recurrent_scale: f32,
}

fn default_rec_lr() -> f32 {
    1e-4
}
fn default_rec_scale() -> f32 {
    0.01
}

impl Default for RawFeedback {
    fn default() -> Self {
        RawFeedback {
            y_mode: default_ymode(),
            y_scale: 1.0,
            q_mode: default_qmode(),
            q_scale: 1.0,
            y_learning: false,
            y_lr: None,
            q_learning: false,
            q_lr: default_fb_lr(),
            recurrent_input: false,
            recurrent_lr: default_rec_lr(),
            recurrent_scale: default_rec_scale(),
        }
    }
}

fn default_ymode() -> YMode {
    YMode::Random
}
fn default_qmode() -> QMode {
    QMode::SymmetricInit
}
fn one() -> f32 {
    1.0
}
fn default_fb_lr() -> f32 {
    0.001
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTraining {
    epochs: usize,
    batch_size: usize,
    lr: f32,
    #[serde(default)]
    momentum: f32,
    #[serde(default)]
    weight_decay: f32,
    #[serde(default = "default_decay_mode")]
    decay_mode: DecayMode,
    decay_biases: Option<bool>,
    #[serde(default = "default_test_batch")]
    test_batch: usize,
    #[serde(default = "default_angle_every")]
    angle_every: usize,
    #[serde(default)]
    lr_schedule: LrSchedule,
    lr_decay_start: Option<f64>,
    lr_final: Option<f32>,
    #[serde(default)]
    lr_warmup: f64,
}

fn default_decay_mode() -> DecayMode {
    DecayMode::Reference
}
fn default_test_batch() -> usize {
    1000
}
fn default_angle_every() -> usize {
    200
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContinuous {
    rule: Option<ContinuousRule>,
    tau_avg: Option<f32>,
    teach_cycle: Option<usize>,
    teach_steps: Option<usize>,
    layers: Option<Vec<usize>>,
    teacher_hidden: Option<usize>,
    teacher_weight_scale: Option<f32>,
    dt: Option<f32>,
    tau_v: Option<f32>,
    tau_u: Option<f32>,
    tau_w: Option<f32>,
    beta: Option<f32>,
    p_b: Option<f32>,
    predict_before: Option<usize>,
    train_steps: Option<usize>,
    predict_after: Option<usize>,
    task_seed: Option<u64>,
    report_every: Option<usize>,
}

/// A validated MNIST training config.
#[derive(Debug, Clone, PartialEq)]
pub struct MnistConfig {
    /// The config file (names errors found after parsing, e.g. when the data are loaded).
    pub config_path: PathBuf,
    /// Directory of the four MNIST `.gz` files (resolved).
    pub data_dir: PathBuf,
    /// Use only the first N training examples.
    pub train_limit: Option<usize>,
    /// Use only the first N test examples.
    pub test_limit: Option<usize>,
    /// Hold out the last N training examples (after `train_limit`) as a validation set.
    pub validation: Option<usize>,
    /// Standardise pixels with MNIST's mean and std (journal code) instead of raw [0, 1] (NeurIPS
    /// code, the default).
    pub standardise: bool,
    /// Network, rule, feedback and optimiser.
    pub learner: LearnerSpec,
    /// Epochs to train.
    pub epochs: usize,
    /// Mini-batch size B.
    pub batch_size: usize,
    /// Batch size of the test pass (no plasticity).
    pub test_batch: usize,
    /// Measure angles to backprop every this many batches (0 = never).
    pub angle_every: usize,
    /// Learning-rate schedule over the epochs (`training.lr_schedule`).
    pub lr_schedule: LrSchedule,
    /// `Linear` schedule: epochs done before the decay starts (`training.lr_decay_start`).
    pub lr_decay_start: f64,
    /// `Linear` schedule: the rate at the end of the run (`training.lr_final`).
    pub lr_final: f32,
    /// Epochs of linear warm-up (`training.lr_warmup`, 0 = none).
    pub lr_warmup: f64,
    /// Seed of the weights and the shuffling.
    pub seed: u64,
}

/// A validated config.
#[derive(Debug, Clone, PartialEq)]
pub enum Config {
    /// A discrete model trained on MNIST.
    Mnist(MnistConfig),
    /// The continuous-time model on its regression task.
    Continuous(ContinuousParams),
}

/// Reads and validates a config file.
pub fn load(path: &Path) -> Result<(Config, String), RateError> {
    let text = std::fs::read_to_string(path).map_err(|e| RateError::io(path, e))?;
    let cfg = parse(&text, path)?;
    Ok((cfg, text))
}

/// Parses and validates config text (`path` names errors and anchors relative paths).
pub fn parse(text: &str, path: &Path) -> Result<Config, RateError> {
    let raw: RawConfig =
        toml::from_str(text).map_err(|e| RateError::ConfigParse { path: path.to_path_buf(), cause: Box::new(e) })?;
    let bad =
        |key: &str, message: String| RateError::ConfigValue { path: path.to_path_buf(), key: key.to_string(), message };
    let missing =
        |key: &str| bad(key, format!("section [{key}] is required for model = \"{:?}\"", raw.model).to_lowercase());
    if raw.model == ModelKind::ContinuousBurstccn {
        for (present, key) in
            [(raw.data.is_some(), "data"), (raw.network.is_some(), "network"), (raw.training.is_some(), "training")]
        {
            if present {
                return Err(bad(key, "not used by model = \"continuous_burstccn\"; remove it".into()));
            }
        }
        let c = raw.continuous.unwrap_or_default();
        let d = ContinuousParams::default();
        let rule = c.rule.unwrap_or(d.rule);
        let p = ContinuousParams {
            rule,
            tau_avg: c.tau_avg.unwrap_or(d.tau_avg),
            teach_cycle: c.teach_cycle.unwrap_or(0),
            teach_steps: c.teach_steps.unwrap_or(0),
            layers: c.layers.unwrap_or(d.layers),
            teacher_hidden: c.teacher_hidden.unwrap_or(d.teacher_hidden),
            teacher_weight_scale: c.teacher_weight_scale.unwrap_or(d.teacher_weight_scale),
            dt: c.dt.unwrap_or(d.dt),
            tau_v: c.tau_v.unwrap_or(d.tau_v),
            tau_u: c.tau_u.unwrap_or(d.tau_u),
            tau_w: c.tau_w.unwrap_or(d.tau_w),
            // the reference's burstprop layers use β = 1, BurstCCN's β = 4 (spec 2.2, 3 item 2)
            beta: c.beta.unwrap_or(if rule == ContinuousRule::Burstprop { 1.0 } else { d.beta }),
            p_b: c.p_b.unwrap_or(d.p_b),
            predict_before: c.predict_before.unwrap_or(d.predict_before),
            train_steps: c.train_steps.unwrap_or(d.train_steps),
            predict_after: c.predict_after.unwrap_or(d.predict_after),
            model_seed: raw.seed,
            task_seed: c.task_seed.unwrap_or(d.task_seed),
            report_every: c.report_every.unwrap_or(d.report_every),
        };
        if p.layers.len() < 2 || p.layers.contains(&0) {
            return Err(bad("continuous.layers", format!("{:?}: need at least 2 layers, all > 0", p.layers)));
        }
        for (key, v) in [
            ("continuous.dt", p.dt),
            ("continuous.tau_v", p.tau_v),
            ("continuous.tau_u", p.tau_u),
            ("continuous.tau_w", p.tau_w),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(bad(key, format!("{v}: must be > 0")));
            }
        }
        for (key, v, tau) in [("continuous.tau_v", p.tau_v, p.tau_v), ("continuous.tau_u", p.tau_u, p.tau_u)] {
            if p.dt > tau {
                return Err(bad(key, format!("{v}: must be ≥ dt = {} (Euler stability)", p.dt)));
            }
            let _ = tau;
        }
        check_pb(p.p_b, "continuous.p_b", &bad)?;
        // β = 0 is allowed (a control without apical drive: p stays at p_b; `train` warns)
        if !(p.beta >= 0.0 && p.beta.is_finite()) {
            return Err(bad("continuous.beta", format!("{}: must be a finite number ≥ 0 (the apical gain)", p.beta)));
        }
        // a negative scale flips the teacher's weights, drawn symmetrically: allowed
        if !p.teacher_weight_scale.is_finite() {
            return Err(bad(
                "continuous.teacher_weight_scale",
                format!("{}: must be finite (a factor on the teacher's weights)", p.teacher_weight_scale),
            ));
        }
        if p.teacher_hidden == 0 {
            return Err(bad("continuous.teacher_hidden", "0: must be ≥ 1 (the teacher's hidden width)".into()));
        }
        if p.train_steps == 0 {
            return Err(bad(
                "continuous.train_steps",
                "0: must be ≥ 1 (steps of teaching; the untrained loss is what predict_before measures)".into(),
            ));
        }
        if c.tau_avg.is_some() && rule != ContinuousRule::Burstprop {
            return Err(bad(
                "continuous.tau_avg",
                "only used by rule = \"burstprop\" (BurstCCN's baseline is p_b)".into(),
            ));
        }
        if !(p.tau_avg > 0.0 && p.tau_avg.is_finite()) {
            return Err(bad("continuous.tau_avg", format!("{}: must be > 0", p.tau_avg)));
        }
        match (c.teach_cycle, c.teach_steps) {
            (None | Some(0), Some(_)) => {
                return Err(bad("continuous.teach_steps", "given without a teach_cycle > 0".into()));
            }
            (Some(n), s) if n > 0 && !(1..=n).contains(&s.unwrap_or(0)) => {
                return Err(bad(
                    "continuous.teach_steps",
                    format!(
                        "{}: need 1 ≤ teach_steps ≤ teach_cycle = {n}",
                        s.map_or("missing".into(), |s| s.to_string())
                    ),
                ));
            }
            _ => {}
        }
        if p.report_every == 0 {
            return Err(bad("continuous.report_every", "0: must be ≥ 1".into()));
        }
        return Ok(Config::Continuous(p));
    }
    if raw.continuous.is_some() {
        return Err(bad("continuous", "only used by model = \"continuous_burstccn\"; remove it".into()));
    }
    let data = raw.data.ok_or_else(|| missing("data"))?;
    let net = raw.network.ok_or_else(|| missing("network"))?;
    let tr = raw.training.ok_or_else(|| missing("training"))?;
    let fb = raw.feedback;
    if net.layers.len() < 2 || net.layers.contains(&0) {
        return Err(bad("network.layers", format!("{:?}: need at least 2 layers, all > 0", net.layers)));
    }
    if net.layers[0] != 784 || *net.layers.last().unwrap_or(&0) != 10 {
        return Err(bad("network.layers", format!("{:?}: MNIST needs 784 inputs and 10 outputs", net.layers)));
    }
    check_pb(net.p_b, "network.p_b", &bad)?;
    if !(net.w_gain > 0.0 && net.w_gain.is_finite()) {
        return Err(bad("network.w_gain", format!("{}: must be > 0", net.w_gain)));
    }
    for (key, v) in [("feedback.y_scale", fb.y_scale), ("feedback.q_scale", fb.q_scale)] {
        if !v.is_finite() {
            return Err(bad(key, format!("{v}: must be finite")));
        }
    }
    let y_lr = fb.y_lr.unwrap_or(default_fb_lr());
    for (key, on, v) in [("feedback.y_lr", fb.y_learning, y_lr), ("feedback.q_lr", fb.q_learning, fb.q_lr)] {
        if on && !(v > 0.0 && v.is_finite()) {
            return Err(bad(key, format!("{v}: must be > 0 when learning is on")));
        }
    }
    if fb.y_learning && fb.y_mode == YMode::Tied {
        return Err(bad(
            "feedback.y_learning",
            "Y is tied to W (y_mode = \"tied\"), so it cannot also be learned".into(),
        ));
    }
    if fb.q_learning && fb.q_mode == QMode::Tied {
        return Err(bad(
            "feedback.q_learning",
            "Q is tied to Y (q_mode = \"tied\"), so it cannot also be learned".into(),
        ));
    }
    let rule = match raw.model {
        ModelKind::Burstccn => Rule::Burstccn,
        ModelKind::Burstprop => Rule::Burstprop,
        ModelKind::Backprop => Rule::Backprop,
        ModelKind::FeedbackAlignment => Rule::FeedbackAlignment,
        ModelKind::ContinuousBurstccn => unreachable!("handled above"),
    };
    match rule {
        Rule::Burstccn => {}
        // burstprop's Y learning gives Y W's own update (spec 3 item 3): no rate of its own
        Rule::Burstprop if fb.y_lr.is_some() => {
            return Err(bad(
                "feedback.y_lr",
                "burstprop's Y learning applies W's update (same lr, momentum, decay); remove y_lr".into(),
            ));
        }
        Rule::Burstprop if fb.q_learning => {
            return Err(bad("feedback.q_learning", "burstprop has no Q pathway (spec 3)".into()));
        }
        Rule::Burstprop => {}
        _ if fb.y_learning || fb.q_learning => {
            let key = if fb.y_learning { "feedback.y_learning" } else { "feedback.q_learning" };
            return Err(bad(key, "feedback learning exists only for model = \"burstccn\" or \"burstprop\"".into()));
        }
        _ => {}
    }
    if fb.y_lr.is_some() && !fb.y_learning {
        return Err(bad("feedback.y_lr", "given, but y_learning is false".into()));
    }
    if fb.recurrent_input && rule != Rule::Burstprop {
        return Err(bad(
            "feedback.recurrent_input",
            "the recurrent input exists only for model = \"burstprop\"".into(),
        ));
    }
    for (key, v) in [("feedback.recurrent_lr", fb.recurrent_lr), ("feedback.recurrent_scale", fb.recurrent_scale)] {
        if fb.recurrent_input && !(v >= 0.0 && v.is_finite()) {
            return Err(bad(key, format!("{v}: must be ≥ 0")));
        }
    }
    if tr.epochs == 0 {
        return Err(bad("training.epochs", "0: must be ≥ 1".into()));
    }
    if tr.batch_size == 0 {
        return Err(bad("training.batch_size", "0: must be ≥ 1".into()));
    }
    if tr.test_batch == 0 {
        return Err(bad("training.test_batch", "0: must be ≥ 1".into()));
    }
    if !(tr.lr > 0.0 && tr.lr.is_finite()) {
        return Err(bad("training.lr", format!("{}: must be > 0", tr.lr)));
    }
    if !(0.0..1.0).contains(&tr.momentum) {
        return Err(bad("training.momentum", format!("{}: must be in [0, 1)", tr.momentum)));
    }
    if !(tr.weight_decay >= 0.0 && tr.weight_decay < 1.0) {
        return Err(bad("training.weight_decay", format!("{}: must be in [0, 1)", tr.weight_decay)));
    }
    if !(tr.lr_warmup >= 0.0 && tr.lr_warmup <= tr.epochs as f64) {
        return Err(bad(
            "training.lr_warmup",
            format!("{}: must be in [0, training.epochs = {}] (epochs of warm-up)", tr.lr_warmup, tr.epochs),
        ));
    }
    if tr.lr_schedule == LrSchedule::Linear {
        if let Some(s) = tr.lr_decay_start {
            if !(s >= 0.0 && s < tr.epochs as f64) {
                return Err(bad(
                    "training.lr_decay_start",
                    format!("{s}: must be in [0, training.epochs = {}) (epochs done before the decay)", tr.epochs),
                ));
            }
        }
        if let Some(f) = tr.lr_final {
            if !(f >= 0.0 && f.is_finite()) {
                return Err(bad("training.lr_final", format!("{f}: must be ≥ 0")));
            }
        }
    } else {
        for (key, given) in
            [("training.lr_decay_start", tr.lr_decay_start.is_some()), ("training.lr_final", tr.lr_final.is_some())]
        {
            if given {
                return Err(bad(key, "only used with lr_schedule = \"linear\"".into()));
            }
        }
    }
    for (key, v) in [
        ("data.train_limit", data.train_limit),
        ("data.test_limit", data.test_limit),
        ("data.validation", data.validation),
    ] {
        if v == Some(0) {
            return Err(bad(key, "0: must be ≥ 1".into()));
        }
    }
    let data_dir = resolve(&data.dir, path);
    Ok(Config::Mnist(MnistConfig {
        config_path: path.to_path_buf(),
        data_dir,
        train_limit: data.train_limit,
        test_limit: data.test_limit,
        validation: data.validation,
        standardise: data.standardise,
        learner: LearnerSpec {
            sizes: net.layers,
            rule,
            p_b: net.p_b,
            w_gain: net.w_gain,
            feedback: FeedbackSpec {
                y_mode: fb.y_mode,
                y_scale: fb.y_scale,
                q_mode: fb.q_mode,
                q_scale: fb.q_scale,
                y_lr: (fb.y_learning && rule == Rule::Burstccn).then_some(y_lr),
                q_lr: fb.q_learning.then_some(fb.q_lr),
                y_follows_w: fb.y_learning && rule == Rule::Burstprop,
            },
            sgd: SgdParams {
                lr: tr.lr,
                momentum: tr.momentum,
                weight_decay: tr.weight_decay,
                decay_mode: tr.decay_mode,
                // reference: BurstCCN decays biases, burstprop does not (spec 1.4, 3)
                decay_biases: tr.decay_biases.unwrap_or(rule != Rule::Burstprop),
            },
            recurrent: fb
                .recurrent_input
                .then_some(RecurrentSpec { lr: fb.recurrent_lr, init_std: fb.recurrent_scale }),
        },
        epochs: tr.epochs,
        batch_size: tr.batch_size,
        test_batch: tr.test_batch,
        angle_every: tr.angle_every,
        lr_schedule: tr.lr_schedule,
        lr_decay_start: tr.lr_decay_start.unwrap_or(0.0),
        lr_final: tr.lr_final.unwrap_or(0.0),
        lr_warmup: tr.lr_warmup,
        seed: raw.seed,
    }))
}

fn check_pb(p_b: f32, key: &str, bad: &dyn Fn(&str, String) -> RateError) -> Result<(), RateError> {
    if !(p_b > 0.0 && p_b < 1.0) {
        return Err(bad(key, format!("{p_b}: must be in (0, 1)")));
    }
    Ok(())
}

/// A relative path: as given if it exists relative to the current directory, else relative to the
/// config's directory (if that exists), else as given (the reader then reports it missing).
fn resolve(p: &Path, config: &Path) -> PathBuf {
    if p.is_absolute() || p.exists() {
        return p.to_path_buf();
    }
    if let Some(dir) = config.parent() {
        let alt = dir.join(p);
        if alt.exists() {
            return alt;
        }
    }
    p.to_path_buf()
}
