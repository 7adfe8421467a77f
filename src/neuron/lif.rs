//! Conductance-based leaky integrate-and-fire neuron: the point neuron of the COBA benchmark
//! (Vogels & Abbott 2005; Brette et al. 2007, benchmark 1), for comparing burstsim with other
//! simulators on their home ground (DESIGN.md "Benchmarks").
//!
//! tau_m dV/dt = (E_L - V) + g_E (E_E - V) + g_I (E_I - V), conductances in units of g_L = C/tau_m.
//! Spike when V > V_th: V <- V_reset, held there for t_ref. Forward Euler, exact conductance decay.

use super::params::At;
use super::refractory;
use super::{Compartment, Current, InitialVoltage, NeuronKind, PointSynapses, Receptor, SynapseModel};
use crate::fastmath::{decay, Simd};
use crate::param_table;
use crate::rng::{stream_rng, Stream};
use crate::simd_kernel;
use rand_distr::{Distribution, Normal};

param_table! {
    /// LIF parameters; defaults are the COBA benchmark's.
    pub struct LifParams {
        /// Leak reversal, mV.
        e_l_mv: potential = -60.0,
        /// Threshold, mV.
        v_th_mv: potential = -50.0,
        /// Reset, mV.
        v_reset_mv: potential = -60.0,
        /// Membrane time constant, ms.
        tau_m_ms: positive = 20.0,
        /// Capacitance, pF (g_L = C / tau_m = 10 nS).
        c_pf: positive = 200.0,
        /// Refractory period, ms (truncated to whole steps).
        t_ref_ms: non_negative = 5.0,
        /// AMPA time constant, ms.
        tau_ampa_ms: positive = 5.0,
        /// AMPA reversal, mV.
        e_exc_mv: potential = 0.0,
        /// GABA time constant, ms.
        tau_gaba_ms: positive = 10.0,
        /// GABA reversal, mV.
        e_inh_mv: potential = -80.0,
    }
}

/// Initial conductances, Gaussian (mean, sd) in units of g_L, clipped at 0 (COBA starts them
/// random so that the network's self-sustained activity takes off).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct InitialConductances {
    /// Excitatory (mean, sd).
    pub exc: (f64, f64),
    /// Inhibitory (mean, sd).
    pub inh: (f64, f64),
}

/// A population of conductance-based LIF neurons.
#[derive(Clone, Debug)]
pub struct Lif {
    /// Parameters (with per-neuron parameters: the population means of those).
    pub params: LifParams,
    /// The constants of the whole population (without per-neuron parameters).
    same: Consts<f32>,
    /// Per-neuron constants, when a model file gives some parameter per neuron.
    each: Option<Consts<Vec<f32>>>,
    /// The shortest refractory period of the population, steps.
    ref_steps: u32,
    /// Membrane potential, mV.
    pub v: Vec<f32>,
    /// Remaining refractory steps.
    pub refractory: Vec<u32>,
    /// Synaptic conductances, units of g_L.
    pub g: PointSynapses,
}

impl Lif {
    /// `n` neurons with initial potentials `v_init` and conductances `g_init`.
    pub fn new(
        n: usize,
        params: LifParams,
        v_init: InitialVoltage,
        g_init: InitialConductances,
        dt_ms: f64,
        seed: u64,
        pop_index: u64,
    ) -> Self {
        let p = &params;
        let draw = |(mean, sd): (f64, f64), label: u64| -> Vec<f32> {
            let mut rng = stream_rng(seed, Stream::InitialState, &[pop_index, label]);
            let normal = Normal::new(mean, sd.max(0.0)).expect("validated sd");
            (0..n).map(|_| normal.sample(&mut rng).max(0.0) as f32).collect()
        };
        let same = Consts::of(p, dt_ms);
        Lif {
            ref_steps: same.ref_steps as u32,
            same,
            each: None,
            v: v_init.draw(n, seed, pop_index),
            refractory: vec![0; n],
            g: PointSynapses { e: draw(g_init.exc, 1), i: draw(g_init.inh, 2) },
            params,
        }
    }

    /// Gives the parameters `varying` one value per neuron (`(key, values)`, each value valid for
    /// its key, as the model layer has checked), with `params` holding the others; `params` is
    /// then set to the means (which set the population's synapse model and its reported values).
    pub fn with_varying(mut self, varying: &[(&str, Vec<f64>)], dt_ms: f64) -> Self {
        if varying.is_empty() {
            return self;
        }
        let mut all = Vec::with_capacity(self.v.len());
        super::params::each_neuron(&mut self.params, varying, LifParams::set, |_, p| all.push(Consts::of(p, dt_ms)));
        self.same = Consts::of(&self.params, dt_ms);
        self.ref_steps = all.iter().map(|c| c.ref_steps as u32).min().unwrap_or(self.same.ref_steps as u32);
        self.each = Some(Consts::gather(&all));
        self
    }

    /// The per-neuron constants (one vector per constant, as the kernel reads them), when a model
    /// file gives some parameter per neuron.
    pub fn per_neuron(&self) -> Option<&Consts<Vec<f32>>> {
        self.each.as_ref()
    }
}

crate::kernel_consts! {
    /// What one step of a LIF neuron reads besides its state: potentials in mV and dt factors,
    /// one value each for the population or, when a model file gives some parameter per neuron,
    /// one per neuron (the refractory step count carried as an f32, exact below 2^24).
    pub struct Consts {
        e_l, e_e, e_i, v_th, v_reset, dt_tau_m, decay_ampa, decay_gaba, ref_steps, dt_c,
    }
}

impl Consts<f32> {
    /// The constants of parameters `p` at dt = `dt_ms`.
    fn of(p: &LifParams, dt_ms: f64) -> Self {
        Consts {
            e_l: p.e_l_mv as f32,
            e_e: p.e_exc_mv as f32,
            e_i: p.e_inh_mv as f32,
            v_th: p.v_th_mv as f32,
            v_reset: p.v_reset_mv as f32,
            dt_tau_m: (dt_ms / p.tau_m_ms) as f32,
            decay_ampa: (-dt_ms / p.tau_ampa_ms).exp() as f32,
            decay_gaba: (-dt_ms / p.tau_gaba_ms).exp() as f32,
            ref_steps: (p.t_ref_ms / dt_ms + 1e-9).floor() as u32 as f32,
            dt_c: (dt_ms / p.c_pf) as f32,
        }
    }
}

/// The constants a part steps with: the population's, or one per neuron.
type PartConsts<'a> = super::params::PartConsts<'a, Consts<f32>, Consts<Vec<f32>>>;

/// Consecutive neurons of a [`Lif`] population, from neuron `offset` on, their state borrowed:
/// they step on their own (see [`NeuronKind::split`]).
#[derive(Debug)]
pub struct Part<'a> {
    k: PartConsts<'a>,
    offset: u32,
    v: &'a mut [f32],
    refractory: &'a mut [u32],
    g_e: &'a mut [f32],
    g_i: &'a mut [f32],
}

impl Part<'_> {
    /// Steps these neurons, appending the (population) indices of those that spiked.
    pub fn step(&mut self, spikes: &mut Vec<u32>) {
        self.step_at(Simd::detected(), spikes);
    }

    fn step_at(&mut self, level: Simd, spikes: &mut Vec<u32>) {
        match self.k {
            PartConsts::Same(k) => step_kernel::<f32>(level, self, *k, spikes),
            PartConsts::Each(c, first) => {
                let k = c.slice(first..first + self.v.len());
                step_kernel::<&[f32]>(level, self, k, spikes)
            }
        }
    }
}

impl Lif {
    /// The whole population as one part.
    fn whole(&mut self) -> Part<'_> {
        Part {
            k: PartConsts::of(&self.each, &self.same, 0),
            offset: 0,
            v: &mut self.v,
            refractory: &mut self.refractory,
            g_e: &mut self.g.e,
            g_i: &mut self.g.i,
        }
    }
}

impl NeuronKind for Lif {
    fn kind_name(&self) -> &'static str {
        "lif"
    }

    fn min_interval_steps(&self) -> Option<u32> {
        // a spike, then ref_steps clamped steps
        Some(self.ref_steps + 1)
    }

    fn len(&self) -> usize {
        self.v.len()
    }

    /// Evolve phase: the membrane update of every neuron (branch-free, SIMD), then threshold,
    /// reset and refractoriness.
    fn step(&mut self, spikes: &mut Vec<u32>) {
        self.whole().step_at(Simd::detected(), spikes);
    }

    /// Neurons do not interact within a step and draw no random numbers, so any split works.
    fn split<'a>(&'a mut self, chunk: usize, parts: &mut Vec<super::Part<'a>>) -> bool {
        let (each, same) = (&self.each, &self.same);
        let state = self.v.chunks_mut(chunk).zip(self.refractory.chunks_mut(chunk));
        let g = self.g.e.chunks_mut(chunk).zip(self.g.i.chunks_mut(chunk));
        for (c, ((v, refractory), (g_e, g_i))) in state.zip(g).enumerate() {
            let k = PartConsts::of(each, same, c * chunk);
            parts.push(super::Part::Lif(Part { k, offset: (c * chunk) as u32, v, refractory, g_e, g_i }));
        }
        true
    }

    fn synapse_model(&self, c: Compartment, r: Receptor) -> Option<SynapseModel> {
        let p = &self.params;
        (c == Compartment::Soma).then(|| {
            let g_l = p.c_pf / p.tau_m_ms;
            SynapseModel::of(g_l, r, (p.tau_ampa_ms, p.e_exc_mv), (p.tau_gaba_ms, p.e_inh_mv), Compartment::Soma)
        })
    }

    fn conductance_mut(&mut self, c: Compartment, r: Receptor) -> Option<&mut [f32]> {
        self.g.get_mut(c, r)
    }

    /// A point neuron: the soma only.
    fn accepts_current(&self, c: Compartment) -> bool {
        c == Compartment::Soma
    }

    /// Device phase: V += dt I / C (soma only).
    fn inject(&mut self, c: Compartment, current: Current) {
        match (c, &self.each) {
            (Compartment::Soma, None) => current.add_to(&mut self.v, self.same.dt_c),
            (Compartment::Soma, Some(k)) => current.add_to_each(&mut self.v, &k.dt_c),
            _ => {}
        }
    }

    recordables! {
        V: "mV", "membrane potential" => v,
        refractory_steps: "steps", "remaining refractory steps (V held at V_reset)" => refractory,
        g_exc: "g_L", "AMPA conductance" => g.e,
        g_inh: "g_L", "GABA conductance" => g.i,
    }
}

simd_kernel! {
    /// The body of [`NeuronKind::step`] for `Lif`, compiled per SIMD level (identical results)
    /// and per kind of constants (one for the population, or one per neuron).
    fn step_kernel<K: At>(pop: &mut Part<'_>, k: Consts<K>, spikes: &mut Vec<u32>) {
        let n = pop.v.len();
        let k = k.head(n);
        let (v, g_e, g_i, refr) = (&mut pop.v[..n], &mut pop.g_e[..n], &mut pop.g_i[..n], &mut pop.refractory[..n]);
        // Without data-dependent branches (see `refractory`): integrate; a neuron still refractory
        // is held at V_reset and counts down; one past it that crosses V_th is reset and marked.
        for i in 0..n {
            let (e_l, e_e, e_i) = (k.e_l.at(i), k.e_e.at(i), k.e_i.at(i));
            let vi = v[i];
            let v_new = vi + k.dt_tau_m.at(i) * ((e_l - vi) + g_e[i] * (e_e - vi) + g_i[i] * (e_i - vi));
            g_e[i] = decay(g_e[i], k.decay_ampa.at(i));
            g_i[i] = decay(g_i[i], k.decay_gaba.at(i));
            let (held, v_reset) = (refr[i] > 0, k.v_reset.at(i));
            let fired = !held & (v_new > k.v_th.at(i));
            v[i] = if held | fired { v_reset } else { v_new };
            refr[i] = refractory::count_down(refr[i], fired);
        }
        refractory::list_spikes(refr, pop.offset, |i| k.ref_steps.at(i) as u32, spikes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastmath::level_tests::{assert_levels_agree, bits, drive, spread};

    /// Noiseless f-I curve: the rheobase is g_L (V_th - E_L) = 10 nS x 10 mV = 100 pA; above it the
    /// interspike interval is t_ref + tau_m ln(I / (I - 100 pA)) (exact for the continuous model;
    /// Euler with dt = 0.1 ms adds under a step per interval).
    #[test]
    fn f_i_curve_matches_the_closed_form() {
        for (i_pa, expect) in [
            (90.0f64, 0.0f64),
            (150.0, 1000.0 / (5.0 + 20.0 * (150.0f64 / 50.0).ln())),
            (400.0, 1000.0 / (5.0 + 20.0 * (400.0f64 / 300.0).ln())),
        ] {
            let mut l =
                Lif::new(1, LifParams::default(), InitialVoltage::at(-60.0), InitialConductances::default(), 0.1, 1, 0);
            let mut times = vec![];
            for s in 0..20_000u32 {
                let mut sp = vec![];
                l.step(&mut sp);
                if !sp.is_empty() {
                    times.push(s);
                }
                l.inject(Compartment::Soma, Current::Uniform(i_pa as f32));
            }
            if expect == 0.0 {
                assert!(times.is_empty(), "{i_pa} pA");
                continue;
            }
            let isi_ms = (times[times.len() - 1] - times[1]) as f64 * 0.1 / (times.len() - 2) as f64;
            assert!((1000.0 / isi_ms - expect).abs() < 0.03 * expect, "{i_pa} pA: {} Hz vs {expect}", 1000.0 / isi_ms);
        }
    }

    #[test]
    fn every_simd_level_gives_bit_identical_state() {
        let run = |level: Simd| {
            let mut l = Lif::new(
                300,
                LifParams::default(),
                InitialVoltage::at(-60.0),
                InitialConductances::default(),
                0.1,
                1,
                0,
            );
            for i in 0..300 {
                l.v[i] = spread(i, 1, -65.0, -48.0);
            }
            let out = drive(
                &mut l,
                600,
                5,
                |l, k| {
                    for i in 0..300 {
                        l.g.e[i] += spread(i, 10 + k, 0.0, 0.5);
                        l.g.i[i] += spread(i, 20 + k, 0.0, 0.2);
                    }
                },
                |l, spikes| l.whole().step_at(level, spikes),
            );
            (out, [&l.v, &l.g.e, &l.g.i].map(|v| bits(v)), l.refractory.clone())
        };
        let base = assert_levels_agree("lif", run);
        assert!(base.0.iter().map(Vec::len).sum::<usize>() > 100, "the run must spike");
    }
}
