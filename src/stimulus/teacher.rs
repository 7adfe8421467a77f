//! Teacher currents: a current into one compartment of every neuron of a population, computed
//! online from that neuron's own moving-average event rate Ebar_i (the plasticity estimate, spec
//! 2.3) and the target of the current example, through an error-to-current function.
//!
//! The reference's XOR teacher (`generate_error`, spec 7.4) is one preset: with the event rates
//! e_min, e_max coding the targets 0 and 1 (2 and 10 Hz), a tolerance tol (1 Hz) and a base
//! current I_0 (1000 pA),
//!
//! ```text
//!   target 1:  E <= e_min + tol: +I_0;   e_min + tol < E < e_max - tol: +I_0 / (E - e_min);   else 0
//!   target 0:  E >= e_max - tol: -I_0;   e_min + tol < E < e_max - tol: -I_0 / (e_max - E);   else 0
//! ```
//!
//! Targets between 0 and 1 (regression) use the linear preset: the target rate is
//! e_min + y (e_max - e_min) and I = gain (target rate - E), clipped to +-I_max.
//!
//! The same estimate gives the cost of spec 7.4 (`compute_cost`): m = (mean_i E_i - e_min) /
//! (e_max - e_min), clipped to [0.01, 0.99], cost = -y ln m - (1 - y) ln(1 - m).

use crate::neuron::{Compartment, Current, Population};
use crate::plasticity::{AverageId, Estimates};
use crate::PopulationId;

/// How the error (target and estimated event rate) becomes a current.
#[derive(Clone, Debug, PartialEq)]
pub enum ErrorFunction {
    /// The reference's `generate_error` (spec 7.4), for targets 0 and 1 (other targets are
    /// refused by the model builder).
    Reference {
        /// Base current I_0, pA.
        base_pa: f64,
        /// Tolerance, Hz.
        tolerance_hz: f64,
    },
    /// I = gain (e_min + y (e_max - e_min) - E), clipped to [-max_pa, max_pa].
    Linear {
        /// pA per Hz of rate error.
        gain_pa_per_hz: f64,
        /// Largest |I|, pA.
        max_pa: f64,
    },
}

/// When the current is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TeacherUpdate {
    /// Once, when the teacher is switched on (the reference: the current is set from Ebar at the
    /// start of the learning window and held).
    OnSwitch,
    /// At every step, from the estimate as it is then (a single-phase teacher).
    EveryStep,
}

/// A teacher current into one population.
#[derive(Clone, Debug)]
pub struct Teacher {
    /// Name (protocol targets refer to it).
    pub name: String,
    /// Target population (its estimates hold the average read).
    pub target: PopulationId,
    /// Target compartment.
    pub compartment: Compartment,
    /// The target population's event average read (shared with its plastic projections).
    pub average: AverageId,
    /// Event rate coding target 0, Hz.
    pub rate_0_hz: f64,
    /// Event rate coding target 1, Hz.
    pub rate_1_hz: f64,
    /// The error-to-current function.
    pub function: ErrorFunction,
    /// When the current is computed.
    pub update: TeacherUpdate,
    /// The current example's target while on; `None` when off.
    target_value: Option<f64>,
    /// The current of each neuron, pA (0 while off).
    current_pa: Vec<f32>,
}

impl Teacher {
    /// A teacher, off, for a population of `n` neurons.
    #[allow(clippy::too_many_arguments)] // plain settings, each checked by the model builder
    pub fn new(
        name: String,
        target: PopulationId,
        n: usize,
        compartment: Compartment,
        average: AverageId,
        (rate_0_hz, rate_1_hz): (f64, f64),
        function: ErrorFunction,
        update: TeacherUpdate,
    ) -> Self {
        Teacher {
            name,
            target,
            compartment,
            average,
            rate_0_hz,
            rate_1_hz,
            function,
            update,
            target_value: None,
            current_pa: vec![0.0; n],
        }
    }

    /// The target while on.
    pub fn target_value(&self) -> Option<f64> {
        self.target_value
    }

    /// The current of each neuron, pA.
    pub fn current_pa(&self) -> &[f32] {
        &self.current_pa
    }

    /// One line for `burstsim check`.
    pub fn describe(&self) -> String {
        let f = match self.function {
            ErrorFunction::Reference { base_pa, tolerance_hz } => {
                format!("generate_error (spec 7.4), base {base_pa} pA, tolerance {tolerance_hz} Hz")
            }
            ErrorFunction::Linear { gain_pa_per_hz, max_pa } => {
                format!("linear, {gain_pa_per_hz} pA/Hz, clipped at {max_pa} pA")
            }
        };
        let when = match self.update {
            TeacherUpdate::OnSwitch => "set when switched on and held",
            TeacherUpdate::EveryStep => "recomputed every step",
        };
        format!("{f}; Ebar {} / {} Hz code targets 0 / 1; {when}", self.rate_0_hz, self.rate_1_hz)
    }

    /// The current for target `y` and estimated event rate `e_hz`, pA.
    pub fn current_for(&self, y: f64, e_hz: f64) -> f64 {
        let (e_min, e_max) = (self.rate_0_hz, self.rate_1_hz);
        match self.function {
            ErrorFunction::Reference { base_pa, tolerance_hz } => {
                let (lo, hi) = (e_min + tolerance_hz, e_max - tolerance_hz);
                if y >= 0.5 {
                    if e_hz <= lo {
                        base_pa
                    } else if e_hz < hi {
                        base_pa / (e_hz - e_min)
                    } else {
                        0.0
                    }
                } else if e_hz >= hi {
                    -base_pa
                } else if e_hz > lo {
                    -base_pa / (e_max - e_hz)
                } else {
                    0.0
                }
            }
            ErrorFunction::Linear { gain_pa_per_hz, max_pa } => {
                let goal = e_min + y * (e_max - e_min);
                (gain_pa_per_hz * (goal - e_hz)).clamp(-max_pa, max_pa)
            }
        }
    }

    /// Saves or restores whether the teacher is on, its target and its currents.
    pub fn persist(&mut self, io: &mut crate::persist::StateIo) {
        let mut on = self.target_value.is_some();
        let mut y = self.target_value.unwrap_or(f64::NAN);
        io.flag("on", &mut on);
        io.value("target", &mut y);
        self.target_value = on.then_some(y);
        io.slice("current_pa", &mut self.current_pa);
    }

    /// Switches the teacher on with target `y` (computing the currents from `est` now), or off.
    pub fn set(&mut self, target: Option<f64>, est: &Estimates) {
        self.target_value = target;
        match target {
            Some(_) => self.compute(est),
            None => self.current_pa.iter_mut().for_each(|c| *c = 0.0),
        }
    }

    fn compute(&mut self, est: &Estimates) {
        let Some(y) = self.target_value else { return };
        let avg = est.get_average(self.average);
        for i in 0..self.current_pa.len() {
            self.current_pa[i] = self.current_for(y, avg.event_rate_hz(i as u32)) as f32;
        }
    }

    /// Currents phase: recomputes the currents (every-step teachers) and injects them while on.
    pub fn apply(&mut self, est: &Estimates, pop: &mut Population) {
        if self.target_value.is_none() {
            return;
        }
        if self.update == TeacherUpdate::EveryStep {
            self.compute(est);
        }
        pop.inject(self.compartment, Current::PerNeuron(&self.current_pa));
    }

    /// The population's mean estimated event rate, Hz.
    pub fn mean_rate_hz(&self, est: &Estimates) -> f64 {
        let avg = est.get_average(self.average);
        let n = self.current_pa.len();
        (0..n as u32).map(|i| avg.event_rate_hz(i)).sum::<f64>() / n.max(1) as f64
    }

    /// The cost of spec 7.4 for target `y` at mean event rate `mean_hz`.
    pub fn cost(&self, y: f64, mean_hz: f64) -> f64 {
        let m = ((mean_hz - self.rate_0_hz) / (self.rate_1_hz - self.rate_0_hz)).clamp(0.01, 0.99);
        -y * m.ln() - (1.0 - y) * (1.0 - m).ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> Teacher {
        let mut est = Estimates::new(1);
        let avg = est.average(2000.0, 0.1);
        Teacher::new(
            "t".into(),
            PopulationId(0),
            1,
            Compartment::Dendrite,
            avg,
            (2.0, 10.0),
            ErrorFunction::Reference { base_pa: 1000.0, tolerance_hz: 1.0 },
            TeacherUpdate::OnSwitch,
        )
    }

    /// Spec 7.4 `generate_error`, branch by branch, at Ebar = 2, 3, 5, 9, 10 Hz (the branch
    /// boundaries 3 and 9 Hz, e_min and e_max, and one value inside).
    #[test]
    fn reference_error_function_follows_generate_error() {
        let t = reference();
        // target 1: <= 3 Hz full push (+1000), 3-9 Hz 1000/(E-2), >= 9 Hz nothing
        for (e, want) in [(2.0, 1000.0), (3.0, 1000.0), (5.0, 1000.0 / 3.0), (9.0, 0.0), (10.0, 0.0), (0.5, 1000.0)] {
            assert_eq!(t.current_for(1.0, e), want, "target 1, Ebar {e} Hz");
        }
        // target 0: >= 9 Hz full pull (-1000), 3-9 Hz -1000/(10-E), <= 3 Hz nothing
        for (e, want) in [(2.0, 0.0), (3.0, 0.0), (5.0, -200.0), (9.0, -1000.0), (10.0, -1000.0), (6.0, -250.0)] {
            assert_eq!(t.current_for(0.0, e), want, "target 0, Ebar {e} Hz");
        }
    }

    #[test]
    fn linear_error_function_is_clipped_proportional_control() {
        let mut t = reference();
        t.function = ErrorFunction::Linear { gain_pa_per_hz: 100.0, max_pa: 400.0 };
        // y 0.5 -> 6 Hz goal
        assert_eq!(t.current_for(0.5, 5.0), 100.0);
        assert_eq!(t.current_for(0.5, 8.0), -200.0);
        assert_eq!(t.current_for(1.0, 0.0), 400.0);
        assert_eq!(t.current_for(0.0, 20.0), -400.0);
    }

    /// compute_cost: m = (E - 2)/8 clipped to [0.01, 0.99], binary cross-entropy.
    #[test]
    fn cost_is_the_clipped_cross_entropy_of_spec_7_4() {
        let t = reference();
        assert!((t.cost(1.0, 6.0) - 2f64.ln()).abs() < 1e-12);
        assert!((t.cost(0.0, 6.0) - 2f64.ln()).abs() < 1e-12);
        assert!((t.cost(1.0, 8.0) + 0.75f64.ln()).abs() < 1e-12);
        assert!((t.cost(0.0, 8.0) + 0.25f64.ln()).abs() < 1e-12);
        // clipped: far below e_min and far above e_max
        assert!((t.cost(1.0, 0.0) + 0.01f64.ln()).abs() < 1e-12);
        assert!((t.cost(0.0, 50.0) + 0.01f64.ln()).abs() < 1e-12);
    }
}
