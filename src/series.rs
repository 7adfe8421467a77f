//! A piecewise-linear time series (stimulus currents, Poisson rates): a leaf type that both the
//! stimuli and the neuron kinds read, so neither module depends on the other for it.

/// A piecewise-linear time series (a current in pA, or a rate in Hz for Poisson sources).
#[derive(Clone, Debug, PartialEq)]
pub struct Piecewise {
    /// Sample times, ms, strictly increasing.
    pub times_ms: Vec<f64>,
    /// Currents, pA.
    pub values_pa: Vec<f64>,
    /// Period of the loop, ms (None: hold the last value after the last time).
    pub loop_ms: Option<f64>,
}

impl Piecewise {
    /// Current at time `t_ms`: linear between samples, the first value before the first time,
    /// the last value after the last (or the series repeated every `loop_ms`).
    pub fn at(&self, t_ms: f64) -> f64 {
        let t = match self.loop_ms {
            Some(p) => t_ms.rem_euclid(p),
            None => t_ms,
        };
        let ts = &self.times_ms;
        let k = ts.partition_point(|&x| x <= t);
        if k == 0 {
            return self.values_pa[0];
        }
        if k == ts.len() {
            return self.values_pa[k - 1];
        }
        let (t0, t1, v0, v1) = (ts[k - 1], ts[k], self.values_pa[k - 1], self.values_pa[k]);
        v0 + (v1 - v0) * (t - t0) / (t1 - t0)
    }
}
