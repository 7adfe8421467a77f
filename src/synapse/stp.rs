//! Extended Tsodyks-Markram short-term plasticity (spec 4.1; Costa, Sjostrom & van Rossum 2013, as
//! the reference's `STPeTMConnection`). One (x, u) pair per presynaptic neuron per projection,
//! shared by all of that neuron's synapses in the projection.
//!
//! Between spikes (Euler, relax phase): x += dt/tau_D (1 - x), u += dt/tau_F (U - u).
//! At a presynaptic spike, from the values just before it: release r = u x; x <- x - u x;
//! u <- u + k (1 - u). Every target then receives w r (after the projection's delay).
//!
//! **The facilitation increment k (a reference quirk the spec missed).** The eTM model, and spec
//! 4.1, use a separate increment f (0.1 in every simulation). But `STPeTMConnection::push_attributes`
//! is not virtual in the reference, so the base class `STPConnection::push_attributes` is the one
//! that runs, and it increments u by `Ujump` = U: k = U (0.02 facilitating, 0.9 depressing), and
//! `set_f` has no effect. This is the default ([`StpIncrement::Reference`]); it is what makes the
//! Fig. 3 network multiplex as published (with k = f = 0.1 facilitation is ~3x stronger and the two
//! layers fall into synchronous burst volleys). [`StpIncrement::Etm`] is the intended eTM model.

use crate::fastmath::Simd;
use crate::neuron::Recordable;
use crate::simd_kernel;

/// STP parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StpParams {
    /// Resting utilisation U.
    pub u: f64,
    /// Facilitation increment f.
    pub f: f64,
    /// Recovery time constant tau_D, ms.
    pub tau_d_ms: f64,
    /// Facilitation time constant tau_F, ms.
    pub tau_f_ms: f64,
    /// Initial utilisation. The reference starts every STP connection at u = 0.01 whatever U
    /// (pitfall P6), so depressing synapses are weak for the first seconds; set it to U for the
    /// clean start.
    pub u_init: f64,
    /// Which increment facilitates u at a spike (see the module documentation).
    pub increment: StpIncrement,
}

/// The increment of u at a presynaptic spike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StpIncrement {
    /// u += U (1 - u): what the reference actually runs (non-virtual `push_attributes`). Default.
    #[default]
    Reference,
    /// u += f (1 - u): the extended Tsodyks-Markram model as intended (spec 4.1).
    Etm,
}

/// The reference's initial utilisation (P6).
pub const REFERENCE_U_INIT: f64 = 0.01;

impl StpParams {
    /// Depressing (STD) set of spec 4.2: U 0.9, f 0.1, tau_D 20 ms, tau_F 1 s.
    pub fn depressing() -> Self {
        StpParams {
            u: 0.9,
            f: 0.1,
            tau_d_ms: 20.0,
            tau_f_ms: 1000.0,
            u_init: REFERENCE_U_INIT,
            increment: StpIncrement::Reference,
        }
    }
    /// Facilitating (STF) set of spec 4.2: U 0.02, f 0.1, tau_D 100 ms, tau_F 100 ms.
    pub fn facilitating() -> Self {
        StpParams {
            u: 0.02,
            f: 0.1,
            tau_d_ms: 100.0,
            tau_f_ms: 100.0,
            u_init: REFERENCE_U_INIT,
            increment: StpIncrement::Reference,
        }
    }
}

/// STP state of one projection.
#[derive(Clone, Debug)]
pub struct Stp {
    /// Parameters.
    pub params: StpParams,
    /// Available resources per presynaptic neuron.
    pub x: Vec<f32>,
    /// Utilisation per presynaptic neuron.
    pub u: Vec<f32>,
    dt_tau_d: f32,
    dt_tau_f: f32,
    /// The increment k of u at a spike (U or f).
    jump: f32,
}

impl Stp {
    /// State for `n_pre` presynaptic neurons: x = 1, u = `u_init`.
    pub fn new(n_pre: usize, params: StpParams, dt_ms: f64) -> Self {
        Stp {
            x: vec![1.0; n_pre],
            u: vec![params.u_init as f32; n_pre],
            dt_tau_d: (dt_ms / params.tau_d_ms) as f32,
            dt_tau_f: (dt_ms / params.tau_f_ms) as f32,
            jump: match params.increment {
                StpIncrement::Reference => params.u as f32,
                StpIncrement::Etm => params.f as f32,
            },
            params,
        }
    }

    /// A spike of presynaptic neuron `j`: returns the release factor u x computed from the values
    /// before the spike, then depletes x and facilitates u by k (1 - u) (in that order, spec 4.1).
    #[inline]
    pub fn release(&mut self, j: u32) -> f32 {
        let j = j as usize;
        let (x, u) = (self.x[j], self.u[j]);
        let r = u * x;
        self.x[j] = x - r;
        self.u[j] = u + self.jump * (1.0 - u);
        r
    }

    /// Recordable STP variables (one value per presynaptic neuron).
    pub fn recordables() -> &'static [Recordable] {
        const VARS: [Recordable; 2] = [
            Recordable {
                name: "u",
                units: "1",
                what: "utilisation (release probability) of each presynaptic neuron's synapses",
            },
            Recordable { name: "x", units: "1", what: "available resources of each presynaptic neuron's synapses" },
        ];
        &VARS
    }

    /// The values of recordable variable `var` ([`Stp::recordables`] order), per presynaptic neuron.
    pub fn state(&self, var: usize) -> &[f32] {
        match var {
            0 => &self.u,
            1 => &self.x,
            _ => panic!("STP has 2 recordable variables, not {}", var + 1),
        }
    }

    /// Relax phase: one Euler step of recovery and of the return of u to U.
    pub fn relax(&mut self) {
        relax_kernel(Simd::detected(), &mut self.x, &mut self.u, self.dt_tau_d, self.dt_tau_f, self.params.u as f32);
    }
}

simd_kernel! {
    /// The body of [`Stp::relax`], compiled per SIMD level (identical results).
    fn relax_kernel(x: &mut [f32], u: &mut [f32], kd: f32, kf: f32, big_u: f32) {
        for x in x.iter_mut() {
            *x += kd * (1.0 - *x);
        }
        for u in u.iter_mut() {
            *u += kf * (big_u - *u);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastmath::level_tests::{assert_levels_agree, bits};

    /// Paired pulses from rest (x = 1, u = U) at a 5 ms ISI, dt = 0.1 ms: the release, 50 relax
    /// steps, the release again.
    fn paired_pulse(mut p: StpParams, increment: StpIncrement) -> (f32, f32) {
        p.u_init = p.u;
        p.increment = increment;
        let mut s = Stp::new(1, p, 0.1);
        let r1 = s.release(0);
        for _ in 0..50 {
            s.relax();
        }
        (r1, s.release(0))
    }

    /// Hand values for the second release: x = 1 - U (1 - dt/tau_D)^50 and
    /// u = U + (U + k (1 - U) - U)(1 - dt/tau_F)^50 = U + k (1 - U)(1 - dt/tau_F)^50.
    fn second(p: StpParams, k: f64) -> f64 {
        let x = 1.0 - p.u * (1.0 - 0.1 / p.tau_d_ms).powi(50);
        let u = p.u + k * (1.0 - p.u) * (1.0 - 0.1 / p.tau_f_ms).powi(50);
        u * x
    }

    #[test]
    fn paired_pulse_efficacies_etm_match_spec_4_4() {
        // Spec 4.4 (eTM, k = f = 0.1): STD 0.90 then ~0.27; STF 0.020 then ~0.111.
        let (d, f) = (StpParams::depressing(), StpParams::facilitating());
        let (a, b) = paired_pulse(d, StpIncrement::Etm);
        assert!((a - 0.9).abs() < 1e-6);
        assert!((b as f64 - second(d, 0.1)).abs() < 1e-5 && (b - 0.2726).abs() < 1e-3, "{b}");
        let (a, b) = paired_pulse(f, StpIncrement::Etm);
        assert!((a - 0.02).abs() < 1e-6);
        assert!((b as f64 - second(f, 0.1)).abs() < 1e-5 && (b - 0.111).abs() < 1e-3, "{b}");
    }

    #[test]
    fn paired_pulse_efficacies_reference_increment_is_u() {
        // The reference runs u += U (1 - u): STD 0.90 then 0.2964; STF 0.020 then 0.0379.
        let (d, f) = (StpParams::depressing(), StpParams::facilitating());
        let (a, b) = paired_pulse(d, StpIncrement::Reference);
        assert!((a - 0.9).abs() < 1e-6);
        assert!((b as f64 - second(d, 0.9)).abs() < 1e-5 && (b - 0.2964).abs() < 1e-3, "{b}");
        let (a, b) = paired_pulse(f, StpIncrement::Reference);
        assert!((a - 0.02).abs() < 1e-6);
        assert!((b as f64 - second(f, 0.02)).abs() < 1e-5 && (b - 0.0379).abs() < 1e-3, "{b}");
    }

    #[test]
    fn periodic_train_reaches_the_analytic_fixed_point() {
        // Spikes every k steps. With a = (1 - dt/tau_D)^k and c = (1 - dt/tau_F)^k, the values just
        // before a spike at steady state satisfy (j the increment)
        //   u* = U + (u* + j (1 - u*) - U) c   =>  u* = (U (1 - c) + j c) / (1 - c + j c)
        //   x* = 1 - (1 - x* (1 - u*)) a       =>  x* = (1 - a) / (1 - a (1 - u*))
        // and the release per spike is u* x*.
        for increment in [StpIncrement::Reference, StpIncrement::Etm] {
            for (mut p, k) in
                [(StpParams::depressing(), 200), (StpParams::facilitating(), 100), (StpParams::facilitating(), 37)]
            {
                p.increment = increment;
                let j = if increment == StpIncrement::Etm { p.f } else { p.u };
                let mut s = Stp::new(1, p, 0.1);
                let mut r = 0.0;
                for _ in 0..2000 {
                    r = s.release(0);
                    for _ in 0..k {
                        s.relax();
                    }
                }
                let a = (1.0 - 0.1 / p.tau_d_ms).powi(k);
                let c = (1.0 - 0.1 / p.tau_f_ms).powi(k);
                let u = (p.u * (1.0 - c) + j * c) / (1.0 - c + j * c);
                let x = (1.0 - a) / (1.0 - a * (1.0 - u));
                assert!((r as f64 - u * x).abs() < 1e-4, "{increment:?} {k}: {r} vs {}", u * x);
            }
        }
    }

    #[test]
    fn reference_start_is_u_0_01() {
        let mut s = Stp::new(3, StpParams::depressing(), 0.1);
        assert_eq!(s.u, vec![0.01; 3]);
        assert!((s.release(1) - 0.01).abs() < 1e-7);
        assert_eq!(s.x[0], 1.0);
    }

    #[test]
    fn every_simd_level_gives_bit_identical_relaxation() {
        let run = |level: Simd| {
            let mut s = Stp::new(301, StpParams::facilitating(), 0.1);
            for k in 0..400u32 {
                for j in (k % 3..301).step_by(3 + (k % 5) as usize) {
                    s.release(j);
                }
                relax_kernel(level, &mut s.x, &mut s.u, s.dt_tau_d, s.dt_tau_f, s.params.u as f32);
            }
            (bits(&s.x), bits(&s.u))
        };
        assert_levels_agree("stp relaxation", run);
    }
}
