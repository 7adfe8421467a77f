//! The COBA benchmark model (models/coba.toml): after its 50 ms kick the network sustains
//! asynchronous irregular activity on its own.

mod common;

use burstsim::model::Overrides;

#[test]
fn coba_sustains_irregular_activity() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("coba.h5");
    common::run_to(common::load_model("coba.toml", Overrides { seed: Some(2), duration_ms: Some(2000.0) }), &out, 1);
    let (t, ids) = common::read_spikes(&out, "spikes", "exc");
    // Every 250 ms bin keeps firing at 10-30 Hz (measured ~17-20 Hz): neither dying out after the
    // kick (as it does without it) nor running away.
    for k in 0..8 {
        let n = t.iter().filter(|&&x| x >= 250.0 * k as f64 && x < 250.0 * (k + 1) as f64).count();
        let rate = n as f64 / 3200.0 / 0.25;
        assert!((10.0..=30.0).contains(&rate), "bin {k}: {rate} Hz");
    }
    // Irregular: the mean coefficient of variation of the interspike intervals after the kick is
    // well above that of a regular (CV ~ 0) or Poisson-like-but-refractory (CV < 1) train
    // (measured 1.8 over every tenth neuron).
    let mut cvs = vec![];
    for n in (0..3200u64).step_by(10) {
        let s: Vec<f64> = t.iter().zip(&ids).filter(|&(&x, &i)| i == n && x > 250.0).map(|(&x, _)| x).collect();
        if s.len() > 5 {
            let d: Vec<f64> = s.windows(2).map(|w| w[1] - w[0]).collect();
            let m = d.iter().sum::<f64>() / d.len() as f64;
            let sd = (d.iter().map(|x| (x - m).powi(2)).sum::<f64>() / d.len() as f64).sqrt();
            cvs.push(sd / m);
        }
    }
    let cv = cvs.iter().sum::<f64>() / cvs.len() as f64;
    assert!(cvs.len() > 200 && cv > 1.0, "{} neurons, CV {cv}", cvs.len());
}
