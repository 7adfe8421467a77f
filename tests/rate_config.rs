//! Config parsing: the shipped configs load, and malformed configs give errors that name the file
//! and the key.

use burstsim::rate::config::{self, Config};
use burstsim::rate::learner::Rule;
use burstsim::rate::network::{QMode, YMode};
use std::path::Path;

const GOOD: &str = r#"
model = "burstccn"
seed = 3
[data]
dir = "../shared/data/mnist"
[network]
layers = [784, 100, 10]
[feedback]
y_mode = "random"
q_mode = "symmetric_init"
[training]
epochs = 2
batch_size = 32
lr = 0.3
"#;

fn err(text: &str) -> String {
    config::parse(text, Path::new("models/broken.toml")).unwrap_err().to_string()
}

#[test]
fn shipped_configs_parse() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(root.join("models"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| (n.starts_with("mnist_") || n.starts_with("continuous_")) && n.ends_with(".toml"))
        .map(|n| n.trim_end_matches(".toml").to_string())
        .collect();
    names.sort();
    assert!(names.len() >= 7, "{names:?}");
    for name in names {
        let p = root.join("models").join(format!("{name}.toml"));
        let (c, _) = config::load(&p).unwrap_or_else(|e| panic!("{e}"));
        if let Config::Mnist(m) = &c {
            assert_eq!(m.learner.sizes, vec![784, 500, 500, 500, 10], "{name}");
            assert_eq!((m.batch_size, m.learner.p_b), (32, 0.5), "{name}");
        }
    }
}

#[test]
fn good_config_has_reference_defaults() {
    let Config::Mnist(c) = config::parse(GOOD, Path::new("x.toml")).unwrap() else { panic!() };
    assert_eq!(c.learner.rule, Rule::Burstccn);
    assert_eq!((c.learner.p_b, c.learner.w_gain), (0.5, 3.6));
    assert_eq!((c.learner.feedback.y_mode, c.learner.feedback.q_mode), (YMode::Random, QMode::SymmetricInit));
    assert_eq!((c.test_batch, c.angle_every, c.seed), (1000, 200, 3));
    assert!(c.learner.sgd.decay_biases);
}

#[test]
fn unknown_key_is_named() {
    let m = err(&GOOD.replace("lr = 0.3", "lr = 0.3\nlearning_rate = 0.1"));
    assert!(m.contains("models/broken.toml") && m.contains("unknown field `learning_rate`"), "{m}");
    let m = err(&format!("{GOOD}\n[extra]\nx = 1\n"));
    assert!(m.contains("models/broken.toml") && m.contains("unknown field `extra`"), "{m}");
}

#[test]
fn missing_field_is_named() {
    let m = err(&GOOD.replace("batch_size = 32\n", ""));
    assert!(m.contains("models/broken.toml") && m.contains("missing field `batch_size`"), "{m}");
    let m = err(&GOOD.replace("model = \"burstccn\"\n", ""));
    assert!(m.contains("missing field `model`"), "{m}");
    let start = GOOD.find("[training]").unwrap();
    let m = err(&GOOD[..start]);
    assert!(m.contains("models/broken.toml") && m.contains("key `training`"), "{m}");
}

#[test]
fn bad_values_are_named() {
    // wrong type
    let m = err(&GOOD.replace("lr = 0.3", "lr = \"fast\""));
    assert!(m.contains("models/broken.toml") && m.contains("lr = \"fast\"") && m.contains("invalid type"), "{m}");
    // unknown variant
    let m = err(&GOOD.replace("y_mode = \"random\"", "y_mode = \"tide\""));
    assert!(m.contains("unknown variant `tide`") && m.contains("y_mode"), "{m}");
    // out of range
    for (from, to, key) in [
        ("lr = 0.3", "lr = -1.0", "training.lr"),
        ("batch_size = 32", "batch_size = 0", "training.batch_size"),
        ("epochs = 2", "epochs = 0", "training.epochs"),
        ("layers = [784, 100, 10]", "layers = [784, 100, 9]", "network.layers"),
        ("[network]", "[network]\np_b = 1.5", "network.p_b"),
        ("[training]", "[training]\nmomentum = 1.0", "training.momentum"),
        ("q_mode = \"symmetric_init\"", "q_mode = \"tied\"\nq_learning = true", "feedback.q_learning"),
    ] {
        let m = err(&GOOD.replace(from, to));
        assert!(m.contains("models/broken.toml") && m.contains(&format!("key `{key}`")), "{key}: {m}");
    }
}

/// The keys added for schedules, validation, burstprop's Y learning and the continuous burstprop:
/// out-of-range or contradictory values name the key; good ones reach the config.
#[test]
fn schedule_validation_and_burstprop_keys() {
    let with = |extra_training: &str| GOOD.replace("lr = 0.3", &format!("lr = 0.3\n{extra_training}"));
    let ok = |text: &str| match config::parse(text, Path::new("x.toml")).unwrap() {
        Config::Mnist(c) => c,
        Config::Continuous(_) => panic!("continuous"),
    };
    let c = ok(&with("lr_schedule = \"linear\"\nlr_decay_start = 1.5\nlr_final = 0.01\nlr_warmup = 0.5"));
    assert_eq!((c.lr_decay_start, c.lr_final, c.lr_warmup), (1.5, 0.01, 0.5));
    let c = ok(&GOOD.replace("[network]", "validation = 10000\n[network]"));
    assert_eq!(c.validation, Some(10000));
    for (text, key) in [
        (with("lr_decay_start = 5"), "training.lr_decay_start"),
        (with("lr_final = 0.1"), "training.lr_final"),
        (with("lr_schedule = \"linear\"\nlr_decay_start = -1"), "training.lr_decay_start"),
        (with("lr_warmup = -2"), "training.lr_warmup"),
        // GOOD trains 2 epochs: a decay starting at 2 or a 3-epoch warm-up would never happen
        (with("lr_schedule = \"linear\"\nlr_decay_start = 2"), "training.lr_decay_start"),
        (with("lr_warmup = 3"), "training.lr_warmup"),
        (GOOD.replace("[network]", "validation = 0\n[network]"), "data.validation"),
        (GOOD.replace("q_mode = \"symmetric_init\"", "y_lr = 0.01"), "feedback.y_lr"),
        (
            GOOD.replace("model = \"burstccn\"", "model = \"burstprop\"")
                .replace("q_mode = \"symmetric_init\"", "y_learning = true\ny_lr = 0.01"),
            "feedback.y_lr",
        ),
        (
            GOOD.replace("model = \"burstccn\"", "model = \"backprop\"")
                .replace("q_mode = \"symmetric_init\"", "y_learning = true"),
            "feedback.y_learning",
        ),
    ] {
        let m = err(&text);
        assert!(m.contains(&format!("key `{key}`")), "{key}: {m}");
    }
    // burstprop's Y learning follows W
    let c = ok(&GOOD
        .replace("model = \"burstccn\"", "model = \"burstprop\"")
        .replace("q_mode = \"symmetric_init\"", "y_learning = true"));
    assert!(c.learner.feedback.y_follows_w && c.learner.feedback.y_lr.is_none());

    let cont = "model = \"continuous_burstccn\"\n[continuous]\n";
    let cfg = |extra: &str| config::parse(&format!("{cont}{extra}"), Path::new("c.toml"));
    match cfg("rule = \"burstprop\"\nteach_cycle = 55\nteach_steps = 5").unwrap() {
        Config::Continuous(p) => {
            assert_eq!((p.teach_cycle, p.teach_steps, p.beta), (55, 5, 1.0), "burstprop's β defaults to 1");
        }
        Config::Mnist(_) => panic!("mnist"),
    }
    for (extra, key) in [
        ("tau_avg = 5.0", "continuous.tau_avg"),
        ("rule = \"burstprop\"\ntau_avg = 0.0", "continuous.tau_avg"),
        ("teach_steps = 5", "continuous.teach_steps"),
        ("teach_cycle = 55", "continuous.teach_steps"),
        ("teach_cycle = 55\nteach_steps = 56", "continuous.teach_steps"),
    ] {
        let m = cfg(extra).unwrap_err().to_string();
        assert!(m.contains("c.toml") && m.contains(&format!("key `{key}`")), "{extra}: {m}");
    }
}
