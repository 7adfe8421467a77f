//! Adaptive exponential integrate-and-fire interneurons (spec 3.1, the reference's Auryn
//! `AdExGroup`), with the PV-like (soma-targeting) and SST/SOM-like (dendrite-targeting) parameter
//! columns of spec 3.1 as presets.
//!
//! Continuous form, V in mV, w in mV (current / g_L), g in units of g_L:
//! ```text
//! tau_m dV/dt = (E_L - V) + Delta_T exp((V - V_T)/Delta_T) + g_E (E_E - V) + g_I (E_I - V) - w
//! tau_w dw/dt = (a/g_L)(V - E_L) - w
//! ```
//! Reference quirks kept by default (pitfall P5): the exponential is (1 + x/256)^256; V is clipped to
//! [-80, 20] mV; the spike cut-off is V > 0 mV (not V_T); at a spike V <- V_reset and w += b/g_L,
//! then for t_ref the voltage is clamped to E_L (so V_reset acts for one step only).

use super::params::At;
use super::refractory::{count_down, list_spikes, SPIKED};
use super::{Compartment, Current, InitialVoltage, NeuronKind, PointSynapses, Receptor, SynapseModel};
use crate::fastmath::{decay, Simd};
use crate::param_table;
use crate::simd_kernel;

param_table! {
    /// AdEx parameters. Defaults are the PV column of spec 3.1; [`AdexParams::sst`] gives SOM.
    pub struct AdexParams {
        /// Leak conductance g_L, nS.
        g_l_ns: positive = 10.0,
        /// Capacitance C, pF (tau_m = C / g_L).
        c_pf: positive = 100.0,
        /// Leak reversal E_L, mV.
        e_l_mv: potential = -70.0,
        /// Slope factor Delta_T, mV.
        delta_t_mv: positive = 2.0,
        /// Exponential threshold V_T, mV (PV: 200 pA / 10 nS + E_L + Delta_T = -48 mV).
        v_t_mv: potential = -48.0,
        /// Subthreshold adaptation a, nS.
        a_ns: finite = 0.0,
        /// Spike-triggered adaptation b, pA.
        b_pa: finite = 0.0,
        /// Adaptation time constant tau_w, ms.
        tau_w_ms: positive = 5.0,
        /// Reset potential, mV (acts for one step, then V is clamped to E_L; P5).
        v_reset_mv: potential = -55.0,
        /// Refractory period, ms (truncated to whole steps).
        t_ref_ms: non_negative = 1.0,
        /// Spike cut-off, mV (0 in the reference).
        v_spike_mv: potential = 0.0,
        /// Lower clip of V, mV.
        v_min_mv: potential = -80.0,
        /// Upper clip of V, mV.
        v_max_mv: potential = 20.0,
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

impl AdexParams {
    /// PV-like soma-targeting interneuron (spec 3.1 PV column; `fix_parameters_pv_neurons`).
    pub fn pv() -> Self {
        AdexParams::default()
    }

    /// SST/SOM-like dendrite-targeting interneuron (spec 3.1 SOM column). V_T from a target
    /// rheobase of 25 pA: I_rh/(g_L + a) + E_L + Delta_T - Delta_T ln(1 + a/g_L) = -61.84 mV.
    pub fn sst() -> Self {
        let (g_l, a, d_t, e_l, i_rh) = (5.0f64, 0.5f64, 4.0f64, -70.0f64, 25.0f64);
        AdexParams {
            g_l_ns: g_l,
            c_pf: 100.0,
            delta_t_mv: d_t,
            v_t_mv: i_rh / (g_l + a) + e_l + d_t - d_t * (1.0 + a / g_l).ln(),
            a_ns: a,
            b_pa: 10.0,
            tau_w_ms: 500.0,
            v_reset_mv: -65.0,
            t_ref_ms: 2.0,
            ..AdexParams::default()
        }
    }
}

/// How exp is evaluated in the spike-generating term.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ExpKind {
    /// The reference's fast approximation (1 + x/256)^256 (P5).
    #[default]
    Fast,
    /// The exact exponential.
    Exact,
}

/// (1 + x/256)^256 by eight squarings, as Auryn's `fast_exp`.
#[inline]
pub fn fast_exp(x: f32) -> f32 {
    let mut y = 1.0 + x / 256.0;
    for _ in 0..8 {
        y *= y;
    }
    y
}

/// A population of AdEx neurons (structure of arrays).
#[derive(Clone, Debug)]
pub struct Adex {
    /// Validated parameters.
    pub params: AdexParams,
    /// Exponential evaluation.
    pub exp_kind: ExpKind,
    dt_c: f32,
    /// The shortest refractory period of the population, steps.
    ref_steps: u32,
    /// The constants of the whole population (without per-neuron parameters).
    same: Consts<f32>,
    /// Per-neuron constants, when a model file gives some parameter per neuron; `params` then
    /// holds the population means of those parameters.
    each: Option<Consts<Vec<f32>>>,
    /// Membrane potential, mV.
    pub v: Vec<f32>,
    /// Adaptation, mV (current / g_L).
    pub w: Vec<f32>,
    /// Remaining refractory steps.
    pub refractory: Vec<u32>,
    /// Synaptic conductances, units of g_L.
    pub g: PointSynapses,
}

impl Adex {
    /// `n` neurons with initial potentials `v_init`; `seed` and `pop_index` label the stream.
    pub fn new(
        n: usize,
        params: AdexParams,
        exp_kind: ExpKind,
        v_init: InitialVoltage,
        dt_ms: f64,
        seed: u64,
        pop_index: u64,
    ) -> Self {
        let p = &params;
        let v = v_init.draw(n, seed, pop_index);
        let same = Consts::of(p, dt_ms);
        Adex {
            dt_c: (dt_ms / p.c_pf) as f32,
            ref_steps: same.ref_steps as u32,
            same,
            each: None,
            v,
            w: vec![0.0; n],
            refractory: vec![0; n],
            g: PointSynapses { e: vec![0.0; n], i: vec![0.0; n] },
            params,
            exp_kind,
        }
    }

    /// Gives the parameters `varying` one value per neuron (`(key, values)`, each value valid for
    /// its key and V_min below V_max for every neuron, as the model layer has checked), with
    /// `params` holding the others; `params` is then set to the means (which set the population's
    /// synapse model and its reported values).
    pub fn with_varying(mut self, varying: &[(&str, Vec<f64>)], dt_ms: f64) -> Self {
        if varying.is_empty() {
            return self;
        }
        let mut all = Vec::with_capacity(self.v.len());
        super::params::each_neuron(&mut self.params, varying, AdexParams::set, |_, p| all.push(Consts::of(p, dt_ms)));
        let p = &self.params;
        self.same = Consts::of(p, dt_ms);
        self.dt_c = (dt_ms / p.c_pf) as f32;
        self.ref_steps = all.iter().map(|c| c.ref_steps as u32).min().unwrap_or(self.same.ref_steps as u32);
        self.each = Some(Consts::gather(&all));
        self
    }
}

crate::kernel_consts! {
    /// What one step of an AdEx neuron reads besides its state: its parameters and dt factors,
    /// one value each for the population or, when a model file gives some parameter per neuron,
    /// one per neuron (the refractory step count carried as an f32, exact below 2^24).
    pub struct Consts {
        e_l, d_t, v_t, e_e, e_i, v_min, v_max, v_spike, v_reset, a_over_gl, b_over_gl, dt_tau_m, dt_tau_w,
        decay_ampa, decay_gaba, ref_steps, dt_c,
    }
}

impl Consts<f32> {
    /// The constants of parameters `p` at dt = `dt_ms`.
    fn of(p: &AdexParams, dt_ms: f64) -> Self {
        Consts {
            e_l: p.e_l_mv as f32,
            d_t: p.delta_t_mv as f32,
            v_t: p.v_t_mv as f32,
            e_e: p.e_exc_mv as f32,
            e_i: p.e_inh_mv as f32,
            v_min: p.v_min_mv as f32,
            v_max: p.v_max_mv as f32,
            v_spike: p.v_spike_mv as f32,
            v_reset: p.v_reset_mv as f32,
            a_over_gl: (p.a_ns / p.g_l_ns) as f32,
            b_over_gl: (p.b_pa / p.g_l_ns) as f32,
            dt_tau_m: (dt_ms * p.g_l_ns / p.c_pf) as f32,
            dt_tau_w: (dt_ms / p.tau_w_ms) as f32,
            decay_ampa: (-dt_ms / p.tau_ampa_ms).exp() as f32,
            decay_gaba: (-dt_ms / p.tau_gaba_ms).exp() as f32,
            ref_steps: (p.t_ref_ms / dt_ms + 1e-9).floor() as u32 as f32,
            dt_c: (dt_ms / p.c_pf) as f32,
        }
    }
}

/// The constants a part steps with: the population's, or one per neuron.
type PartConsts<'a> = super::params::PartConsts<'a, Consts<f32>, Consts<Vec<f32>>>;

/// Consecutive neurons of an [`Adex`] population, from neuron `offset` on, their state borrowed:
/// they step on their own (see [`NeuronKind::split`]).
#[derive(Debug)]
pub struct Part<'a> {
    exp_kind: ExpKind,
    k: PartConsts<'a>,
    offset: u32,
    v: &'a mut [f32],
    w: &'a mut [f32],
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

impl Adex {
    /// The per-neuron constants (one vector per constant, as the kernel reads them), when a model
    /// file gives some parameter per neuron.
    pub fn per_neuron(&self) -> Option<&Consts<Vec<f32>>> {
        self.each.as_ref()
    }

    /// The whole population as one part.
    fn whole(&mut self) -> Part<'_> {
        Part {
            k: PartConsts::of(&self.each, &self.same, 0),
            exp_kind: self.exp_kind,
            offset: 0,
            v: &mut self.v,
            w: &mut self.w,
            refractory: &mut self.refractory,
            g_e: &mut self.g.e,
            g_i: &mut self.g.i,
        }
    }
}

impl NeuronKind for Adex {
    fn kind_name(&self) -> &'static str {
        "adex"
    }

    fn min_interval_steps(&self) -> Option<u32> {
        // a spike, then ref_steps clamped steps
        Some(self.ref_steps + 1)
    }

    fn len(&self) -> usize {
        self.v.len()
    }

    /// Evolve phase: the per-step update of spec 3.1, appending spiking indices in order.
    ///
    /// Three passes over the neurons: the membrane update (steps 1-2, branch-free so it compiles to
    /// SIMD, the exact exponential only with `exp = "exact"`), the spike and refractory logic (step
    /// 3), then adaptation and conductance decay (steps 4-5). Each pass only reads what the earlier
    /// ones wrote for the same neuron, so the order of spec 3.1 is kept.
    fn step(&mut self, spikes: &mut Vec<u32>) {
        self.whole().step_at(Simd::detected(), spikes);
    }

    /// Neurons do not interact within a step and draw no random numbers, so any split works.
    fn split<'a>(&'a mut self, chunk: usize, parts: &mut Vec<super::Part<'a>>) -> bool {
        let consts: Vec<PartConsts<'a>> =
            (0..self.v.len().div_ceil(chunk)).map(|c| PartConsts::of(&self.each, &self.same, c * chunk)).collect();
        let exp_kind = self.exp_kind;
        let state = self.v.chunks_mut(chunk).zip(self.w.chunks_mut(chunk)).zip(self.refractory.chunks_mut(chunk));
        let g = self.g.e.chunks_mut(chunk).zip(self.g.i.chunks_mut(chunk));
        for (c, (((v, w), refractory), (g_e, g_i))) in state.zip(g).enumerate() {
            let offset = (c * chunk) as u32;
            let k = consts[c];
            parts.push(super::Part::Adex(Part { exp_kind, k, offset, v, w, refractory, g_e, g_i }));
        }
        true
    }

    fn synapse_model(&self, c: Compartment, r: Receptor) -> Option<SynapseModel> {
        let p = &self.params;
        (c == Compartment::Soma).then(|| {
            SynapseModel::of(p.g_l_ns, r, (p.tau_ampa_ms, p.e_exc_mv), (p.tau_gaba_ms, p.e_inh_mv), Compartment::Soma)
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
            (Compartment::Soma, None) => current.add_to(&mut self.v, self.dt_c),
            (Compartment::Soma, Some(k)) => current.add_to_each(&mut self.v, &k.dt_c),
            _ => {}
        }
    }

    recordables! {
        V: "mV", "membrane potential" => v,
        w: "mV", "adaptation current divided by g_L (w g_L in pA)" => w,
        refractory_steps: "steps", "remaining refractory steps (V held at E_L)" => refractory,
        g_exc: "g_L", "AMPA conductance" => g.e,
        g_inh: "g_L", "GABA conductance" => g.i,
    }
}

simd_kernel! {
    /// The body of [`NeuronKind::step`] for `Adex`, compiled per SIMD level (identical results)
    /// and per kind of constants (one for the population, or one per neuron).
    fn step_kernel<K: At>(pop: &mut Part<'_>, k: Consts<K>, spikes: &mut Vec<u32>) {
        let n = pop.v.len();
        let k = k.head(n);
        let (v, w, g_e, g_i, refractory) =
            (&mut pop.v[..n], &mut pop.w[..n], &mut pop.g_e[..n], &mut pop.g_i[..n], &mut pop.refractory[..n]);
        // 1. Euler step of the membrane (conductances in units of g_L, w in mV); 2. clip (P5).
        let membrane = |i: usize, v: f32, ex: f32, g_e: f32, g_i: f32, w: f32| {
            let (e_l, d_t, e_e, e_i) = (k.e_l.at(i), k.d_t.at(i), k.e_e.at(i), k.e_i.at(i));
            let v = v + k.dt_tau_m.at(i) * ((e_l - v) + d_t * ex + g_e * (e_e - v) + g_i * (e_i - v) - w);
            v.clamp(k.v_min.at(i), k.v_max.at(i))
        };
        // 3. Spike at the 0 mV cut-off when not refractory (V_reset); during refractoriness V is
        //    held at E_L (not V_reset, P5). Without data-dependent branches (see `refractory`):
        //    a neuron that fired is marked, and listed after step 5. In the same pass as 1-2, so
        //    that V is always stored anew (a select that mostly keeps the old V compiles to a
        //    masked store, slow on some CPUs).
        let settle = |i: usize, v: f32, count: &mut u32| {
            let held = *count > 0;
            let fired = !held & (v > k.v_spike.at(i));
            *count = count_down(*count, fired);
            let (e_l, v_reset) = (k.e_l.at(i), k.v_reset.at(i));
            if held {
                e_l
            } else if fired {
                v_reset
            } else {
                v
            }
        };
        match pop.exp_kind {
            ExpKind::Fast => {
                for i in 0..n {
                    let ex = fast_exp((v[i] - k.v_t.at(i)) / k.d_t.at(i));
                    v[i] = settle(i, membrane(i, v[i], ex, g_e[i], g_i[i], w[i]), &mut refractory[i]);
                }
            }
            ExpKind::Exact => {
                for i in 0..n {
                    let ex = ((v[i] - k.v_t.at(i)) / k.d_t.at(i)).exp();
                    v[i] = settle(i, membrane(i, v[i], ex, g_e[i], g_i[i], w[i]), &mut refractory[i]);
                }
            }
        }
        // 3 (cont.). w += b for a neuron that fired; 4. adaptation with the new V; 5. conductances
        //    decay.
        for i in 0..n {
            let (wi, b) = (w[i], k.b_over_gl.at(i));
            let wi = if refractory[i] == SPIKED { wi + b } else { wi };
            w[i] = wi + k.dt_tau_w.at(i) * (k.a_over_gl.at(i) * (v[i] - k.e_l.at(i)) - wi);
            g_e[i] = decay(g_e[i], k.decay_ampa.at(i));
            g_i[i] = decay(g_i[i], k.decay_gaba.at(i));
        }
        list_spikes(refractory, pop.offset, |i| k.ref_steps.at(i) as u32, spikes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastmath::level_tests::{assert_levels_agree, bits, drive, spread};

    fn rate(params: AdexParams, current_pa: f32, ms: f64) -> (f64, Adex) {
        let mut a = Adex::new(1, params, ExpKind::Fast, InitialVoltage::at(-70.0), 0.1, 1, 0);
        let steps = (ms / 0.1) as usize;
        let mut n = 0;
        for _ in 0..steps {
            let mut s = vec![];
            a.step(&mut s);
            n += s.len();
            a.inject(Compartment::Soma, Current::Uniform(current_pa));
        }
        (n as f64 / (ms * 1e-3), a)
    }

    #[test]
    fn presets_match_spec_table() {
        let s = AdexParams::sst();
        assert!((s.v_t_mv - (-61.84)).abs() < 0.01, "{}", s.v_t_mv);
        assert_eq!((s.g_l_ns, s.a_ns / s.g_l_ns, s.b_pa / s.g_l_ns), (5.0, 0.1, 2.0));
        let p = AdexParams::pv();
        assert_eq!((p.v_t_mv, p.v_reset_mv, p.t_ref_ms, p.c_pf / p.g_l_ns), (-48.0, -55.0, 1.0, 10.0));
    }

    #[test]
    fn fast_exp_is_the_reference_approximation() {
        // (1 + x/256)^256 equals exp(x) to 0.2 % near threshold and undershoots for large x.
        for x in [-2.0f32, 0.0, 1.0, 3.0] {
            assert!((fast_exp(x) / x.exp() - 1.0).abs() < 0.02, "{x}");
        }
        assert_eq!(fast_exp(0.0), 1.0);
        assert!((fast_exp(1.0) - (1.0f32 + 1.0 / 256.0).powi(256)).abs() < 1e-5);
    }

    #[test]
    fn f_i_points_around_rheobase() {
        // Rheobase by design: PV 200 pA, SOM 25 pA (spec 3.1). 10 % below: silent; 20 % above:
        // firing. Constant current, noiseless, 1 s.
        assert_eq!(rate(AdexParams::pv(), 180.0, 1000.0).0, 0.0);
        assert!(rate(AdexParams::pv(), 240.0, 1000.0).0 > 5.0);
        assert_eq!(rate(AdexParams::sst(), 22.0, 1000.0).0, 0.0);
        assert!(rate(AdexParams::sst(), 30.0, 1000.0).0 > 1.0);
        // Strong drive: the refractory period caps the rate below 1/t_ref.
        let (r, _) = rate(AdexParams::pv(), 5000.0, 200.0);
        assert!(r < 1000.0 && r > 300.0, "{r}");
    }

    #[test]
    fn reset_then_clamp_to_rest_for_the_refractory_period() {
        let mut a = Adex::new(1, AdexParams::sst(), ExpKind::Fast, InitialVoltage::at(-70.0), 0.1, 1, 0);
        a.v[0] = 10.0; // above the 0 mV cut-off after one Euler step
        let mut s = vec![];
        a.step(&mut s);
        assert_eq!(s, vec![0]);
        assert_eq!(a.v[0], -65.0, "V_reset for the spike step");
        assert_eq!(a.refractory[0], 20, "2 ms");
        // b/g_L = 2 mV jump, then one adaptation step: w += dt/tau_w (a/g_L (V - E_L) - w).
        let w_expected = 2.0 + 0.1 / 500.0 * (0.1 * 5.0 - 2.0);
        assert!((a.w[0] as f64 - w_expected).abs() < 1e-6, "{}", a.w[0]);
        for k in 0..20 {
            a.step(&mut s);
            assert_eq!(a.v[0], -70.0, "clamped to E_L during refractory step {k}");
        }
        assert_eq!(a.refractory[0], 0);
        a.step(&mut s);
        assert!(a.v[0] != -70.0, "free again");
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn every_simd_level_gives_bit_identical_state() {
        for exp_kind in [ExpKind::Fast, ExpKind::Exact] {
            let run = |level: Simd| {
                let mut a = Adex::new(300, AdexParams::default(), exp_kind, InitialVoltage::at(-70.0), 0.1, 1, 0);
                for i in 0..300 {
                    a.v[i] = spread(i, 1, -75.0, -45.0);
                }
                let out = drive(
                    &mut a,
                    600,
                    5,
                    |a, k| {
                        for i in 0..300 {
                            a.g.e[i] += spread(i, 10 + k, 0.0, 0.5);
                            a.g.i[i] += spread(i, 20 + k, 0.0, 0.2);
                        }
                    },
                    |a, spikes| a.whole().step_at(level, spikes),
                );
                (out, [&a.v, &a.w, &a.g.e, &a.g.i].map(|v| bits(v)), a.refractory.clone())
            };
            let base = assert_levels_agree(&format!("adex {exp_kind:?}"), run);
            assert!(base.0.iter().map(Vec::len).sum::<usize>() > 100, "the run must spike");
        }
    }
}
