//! Injected currents (spec 6: `CurrentInjector`, `SineCurrentInjector`). They act in the device phase
//! (spec 0.2 step 3), after this step's threshold check: V += dt I / C.

pub mod file;
pub mod spikes;
pub mod teacher;

use crate::neuron::{Compartment, Current, Population};
use crate::PopulationId;
pub use file::{Piecewise, StimulusError};
pub use teacher::{ErrorFunction, Teacher, TeacherUpdate};

/// Time course of an injected current.
#[derive(Clone, Debug, PartialEq)]
pub enum Waveform {
    /// I(t) = current_pa.
    Constant {
        /// Current, pA.
        current_pa: f64,
    },
    /// I(t) = offset_pa + amplitude_pa sin(2 pi t / period_ms + phase), t the absolute simulation
    /// time (spec P18: switching a sine on at t0 does not restart its phase).
    Sine {
        /// Amplitude, pA.
        amplitude_pa: f64,
        /// Period, ms.
        period_ms: f64,
        /// Phase at t = 0, radians.
        phase_rad: f64,
        /// Constant offset, pA.
        offset_pa: f64,
    },
    /// A piecewise-linear time series read from a stimulus file (optionally looping).
    Piecewise(Piecewise),
    /// A constant current per neuron, pA (e.g. a teacher signal, or heterogeneous offsets).
    PerNeuron(Vec<f32>),
}

/// A current injected into one compartment of every neuron of a population, between two times.
#[derive(Clone, Debug, PartialEq)]
pub struct CurrentInput {
    /// Target population.
    pub target: PopulationId,
    /// Target compartment.
    pub compartment: Compartment,
    /// Time course.
    pub waveform: Waveform,
    /// First step at which the current acts.
    pub start_step: u64,
    /// First step at which it no longer acts (`u64::MAX`: never stops).
    pub stop_step: u64,
}

impl CurrentInput {
    /// Saves or restores the value a `[[phase]]` may have set (a constant's current, a sine's
    /// amplitude); the other waveforms do not change.
    pub fn persist(&mut self, io: &mut crate::persist::StateIo) {
        match &mut self.waveform {
            Waveform::Constant { current_pa } => io.value("current_pa", current_pa),
            Waveform::Sine { amplitude_pa, .. } => io.value("amplitude_pa", amplitude_pa),
            Waveform::Piecewise(_) | Waveform::PerNeuron(_) => {}
        }
    }

    /// The current shared by all neurons at `step` (dt in ms), or `None` outside [start, stop)
    /// or for per-neuron currents.
    pub fn current_at(&self, step: u64, dt_ms: f64) -> Option<f64> {
        if step < self.start_step || step >= self.stop_step {
            return None;
        }
        let t = step as f64 * dt_ms;
        match &self.waveform {
            Waveform::Constant { current_pa } => Some(*current_pa),
            Waveform::Sine { amplitude_pa, period_ms, phase_rad, offset_pa } => {
                Some(offset_pa + amplitude_pa * (std::f64::consts::TAU * t / period_ms + phase_rad).sin())
            }
            Waveform::Piecewise(p) => Some(p.at(t)),
            Waveform::PerNeuron(_) => None,
        }
    }

    /// Device phase: injects this input's current at `step` into its population.
    pub fn apply(&self, step: u64, dt_ms: f64, pop: &mut Population) {
        match &self.waveform {
            Waveform::PerNeuron(values) => {
                if step >= self.start_step && step < self.stop_step {
                    pop.inject(self.compartment, Current::PerNeuron(values));
                }
            }
            _ => {
                if let Some(i) = self.current_at(step, dt_ms) {
                    pop.inject(self.compartment, Current::Uniform(i as f32));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_uses_absolute_time_and_window() {
        let c = CurrentInput {
            target: PopulationId(0),
            compartment: Compartment::Soma,
            waveform: Waveform::Sine { amplitude_pa: 200.0, period_ms: 500.0, phase_rad: 0.0, offset_pa: 10.0 },
            start_step: 10_000,
            stop_step: u64::MAX,
        };
        assert_eq!(c.current_at(9_999, 0.1), None);
        // t = 1000 ms is two whole periods: sin = 0 even though the sine just switched on.
        assert!((c.current_at(10_000, 0.1).unwrap() - 10.0).abs() < 1e-9);
        // t = 1125 ms: a quarter period later, the peak.
        assert!((c.current_at(11_250, 0.1).unwrap() - 210.0).abs() < 1e-9);
    }
}
