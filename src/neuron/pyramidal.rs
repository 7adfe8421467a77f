//! The Naud two-compartment pyramidal neuron (spec section 1; Naud, Bathellier & Gerstner 2014, as
//! implemented in the reference's `NaudGroup`).
//!
//! Continuous form (spec 1.3), f(V_d) = 1 / (1 + exp(-(V_d - E_d)/D_d)):
//! ```text
//! C_s dV_s/dt = -(C_s/tau_s)(V_s - E_L) + g_s f(V_d) - b w_s + I_syn,s + I_inj,s
//! dw_s/dt     = -w_s/tau_ws + sum_k delta(t - t_k)
//! C_d dV_d/dt = -(C_d/tau_d)(V_d - E_L) + g_d f(V_d) - a_wd w_d + c_d K(t - t^) + I_syn,d + I_inj,d
//! tau_wd dw_d/dt = (V_d - E_L) - w_d
//! dtheta/dt   = (E_theta - theta)/tau_theta
//! I_syn,s = g_L,s [g_E,s (E_E - V_s) + g_I,s (E_I - V_s)]
//! I_syn,d = g_L,d [g_E,d (E_E - V_s) + g_I,d (E_I - V_s)]     (V_s: reference quirk P1)
//! ```
//! Spike when V_s > theta: V_s <- V_reset, theta += 2 mV, w_s += 1, bAP box K on for 2 ms. No
//! refractory period and no passive coupling (P3). Units inside: mV, ms, pA, pF, nS
//! (pA/pF = mV/ms, nS x mV = pA).

use super::params::At;
use super::{Compartment, Current, InitialVoltage, NeuronKind, Receptor, SynapseModel, TwoCompartmentSynapses};
use crate::fastmath::{decay, sigmoid_f32, Simd};
use crate::param_table;
use crate::simd_kernel;

param_table! {
    /// Parameters of the pyramidal neuron, reference values from spec 1.2 (`NaudGroup::init`).
    pub struct PyramidalParams {
        /// Leak reversal of soma and dendrite, mV (E_L, `e_rest`).
        e_l_mv: potential = -70.0,
        /// Somatic reset potential, mV (`e_reset`).
        v_reset_mv: potential = -70.0,
        /// Baseline spike threshold, mV (E_theta, `e_thr`).
        e_thr_mv: potential = -50.0,
        /// Threshold jump per spike, mV (`e_spk_thr`).
        delta_thr_mv: non_negative = 2.0,
        /// Threshold relaxation time constant, ms (`tau_thr`).
        tau_thr_ms: positive = 27.0,
        /// Somatic membrane time constant, ms (`tau_soma`).
        tau_s_ms: positive = 16.0,
        /// Somatic capacitance, pF (`Cs`).
        c_s_pf: positive = 370.0,
        /// Dendrite-to-soma drive amplitude g_s, pA (`gs`).
        g_s_pa: finite = 1300.0,
        /// Somatic adaptation jump b, pA (`b_wsoma`, stored negated in the reference).
        b_pa: finite = 200.0,
        /// Somatic adaptation time constant, ms (`tau_wsoma`).
        tau_ws_ms: positive = 100.0,
        /// Dendritic membrane time constant, ms (`tau_dend`).
        tau_d_ms: positive = 7.0,
        /// Dendritic capacitance, pF (`Cd`).
        c_d_pf: positive = 170.0,
        /// Regenerative dendritic current amplitude g_d, pA (`gd`).
        g_d_pa: finite = 1200.0,
        /// Dendritic adaptation coupling a_wd, nS (`a_wdend`, stored negated in the reference).
        a_wd_ns: finite = 13.0,
        /// Dendritic adaptation time constant, ms (`tau_wdend`).
        tau_wd_ms: positive = 30.0,
        /// Back-propagating action potential amplitude c_d, pA (`zeta`).
        c_bap_pa: finite = 2600.0,
        /// bAP box duration, ms; truncated to whole steps (20 at dt = 0.1 ms, spec P17).
        bap_ms: non_negative = 2.0,
        /// Midpoint of the dendritic sigmoid E_d, mV (`e_dend`).
        e_d_mv: potential = -38.0,
        /// Width of the dendritic sigmoid D_d, mV (`Dthresh`).
        d_d_mv: positive = 6.0,
        /// AMPA time constant, ms.
        tau_ampa_ms: positive = 5.0,
        /// AMPA reversal potential, mV.
        e_exc_mv: potential = 0.0,
        /// GABA time constant, ms.
        tau_gaba_ms: positive = 10.0,
        /// GABA reversal potential, mV.
        e_inh_mv: potential = -80.0,
        /// Initial w_d, mV (1e-4 V in the reference's `clear()`).
        w_d_init_mv: potential = 0.1,
    }
}

impl PyramidalParams {
    /// The synapses of compartment `c` (g_L = C/tau of that compartment, spec 0.4); dendritic
    /// ones are driven by the potential `force` chooses (P1).
    pub fn synapse_model(&self, c: Compartment, r: Receptor, force: DendriticDrivingForce) -> SynapseModel {
        let ampa = (self.tau_ampa_ms, self.e_exc_mv);
        let gaba = (self.tau_gaba_ms, self.e_inh_mv);
        match c {
            Compartment::Soma => SynapseModel::of(self.c_s_pf / self.tau_s_ms, r, ampa, gaba, Compartment::Soma),
            Compartment::Dendrite => {
                let drive = match force {
                    DendriticDrivingForce::Soma => Compartment::Soma,
                    DendriticDrivingForce::Dendrite => Compartment::Dendrite,
                };
                SynapseModel::of(self.c_d_pf / self.tau_d_ms, r, ampa, gaba, drive)
            }
        }
    }
}

/// Which potential sets the driving force of dendritic synapses (spec P1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DendriticDrivingForce {
    /// The reference: (E - V_s), because both synapse kernels read the somatic `mem`. Reproduces
    /// BP ~ 12 % under the sparse background (spec 7.5).
    #[default]
    Soma,
    /// The clean variant: (E - V_d).
    Dendrite,
}

/// Step-size-dependent constants computed once from `dt` (the `Derived` role of STYLE.md 1); also
/// used by the stochastic-burst variant, which shares these parameters.
#[derive(Clone, Debug)]
pub(super) struct Derived {
    pub(super) dt_tau_s: f32,
    pub(super) dt_tau_d: f32,
    pub(super) dt_c_s: f32,
    pub(super) dt_c_d: f32,
    pub(super) decay_ampa: f32,
    pub(super) decay_gaba: f32,
    pub(super) decay_ws: f32,
    pub(super) dt_tau_wd: f32,
    pub(super) dt_tau_thr: f32,
    pub(super) bap_step_mv: f32,
    pub(super) bap_steps: u32,
}

impl Derived {
    pub(super) fn new(p: &PyramidalParams, dt_ms: f64) -> Self {
        Derived {
            dt_tau_s: (dt_ms / p.tau_s_ms) as f32,
            dt_tau_d: (dt_ms / p.tau_d_ms) as f32,
            dt_c_s: (dt_ms / p.c_s_pf) as f32,
            dt_c_d: (dt_ms / p.c_d_pf) as f32,
            decay_ampa: (-dt_ms / p.tau_ampa_ms).exp() as f32,
            decay_gaba: (-dt_ms / p.tau_gaba_ms).exp() as f32,
            decay_ws: (-dt_ms / p.tau_ws_ms).exp() as f32,
            dt_tau_wd: (dt_ms / p.tau_wd_ms) as f32,
            dt_tau_thr: (dt_ms / p.tau_thr_ms) as f32,
            bap_step_mv: (dt_ms * p.c_bap_pa / p.c_d_pf) as f32,
            // Truncation, as the reference (P17); the epsilon keeps 2.0/0.1 at 20, not 19.
            bap_steps: (p.bap_ms / dt_ms + 1e-9).floor() as u32,
        }
    }
}

crate::kernel_consts! {
    /// What one step of a pyramidal neuron reads besides its state (spec 1.4): its parameters
    /// and the dt-dependent factors of [`Derived`], one value each for the population or, when
    /// a model file gives some parameter per neuron, one per neuron (the bAP step count is
    /// carried as an f32, exact for any count below 2^24).
    pub struct Consts {
        e_l, e_e, e_i, e_d, inv_d_d, b, g_s, g_d, a_wd, e_thr, v_reset, delta_thr, dt_tau_s, dt_tau_d,
        dt_c_s, dt_c_d, decay_ampa, decay_gaba, decay_ws, dt_tau_wd, dt_tau_thr, bap_step_mv, bap_steps,
    }
}

impl Consts<f32> {
    /// The constants of parameters `p` (whose dt factors are `d`).
    fn of(p: &PyramidalParams, d: &Derived) -> Self {
        Consts {
            e_l: p.e_l_mv as f32,
            e_e: p.e_exc_mv as f32,
            e_i: p.e_inh_mv as f32,
            e_d: p.e_d_mv as f32,
            inv_d_d: (1.0 / p.d_d_mv) as f32,
            b: p.b_pa as f32,
            g_s: p.g_s_pa as f32,
            g_d: p.g_d_pa as f32,
            a_wd: p.a_wd_ns as f32,
            e_thr: p.e_thr_mv as f32,
            v_reset: p.v_reset_mv as f32,
            delta_thr: p.delta_thr_mv as f32,
            dt_tau_s: d.dt_tau_s,
            dt_tau_d: d.dt_tau_d,
            dt_c_s: d.dt_c_s,
            dt_c_d: d.dt_c_d,
            decay_ampa: d.decay_ampa,
            decay_gaba: d.decay_gaba,
            decay_ws: d.decay_ws,
            dt_tau_wd: d.dt_tau_wd,
            dt_tau_thr: d.dt_tau_thr,
            bap_step_mv: d.bap_step_mv,
            bap_steps: d.bap_steps as f32,
        }
    }
}

/// The constants a part steps with: the population's, or one per neuron.
type PartConsts<'a> = super::params::PartConsts<'a, Consts<f32>, Consts<Vec<f32>>>;

/// A population of Naud pyramidal neurons, state as structure of arrays.
#[derive(Clone, Debug)]
pub struct Pyramidal {
    /// Validated parameters.
    pub params: PyramidalParams,
    /// Dendritic driving-force convention (P1).
    pub driving_force: DendriticDrivingForce,
    d: Derived,
    /// Somatic potential V_s, mV.
    pub v_s: Vec<f32>,
    /// Dendritic potential V_d, mV.
    pub v_d: Vec<f32>,
    /// Somatic adaptation w_s (spike count trace, dimensionless).
    pub w_s: Vec<f32>,
    /// Dendritic adaptation w_d, mV.
    pub w_d: Vec<f32>,
    /// Moving threshold theta, mV.
    pub thr: Vec<f32>,
    /// Remaining steps of the bAP box.
    pub bap: Vec<u32>,
    /// Synaptic conductances, units of each compartment's leak conductance.
    pub g: TwoCompartmentSynapses,
    /// Per-neuron constants, when a model file gives some parameter per neuron (issue 15 item 1);
    /// `params` then holds the population means of those parameters.
    each: Option<Consts<Vec<f32>>>,
    /// The constants of the whole population (without per-neuron parameters).
    same: Consts<f32>,
}

impl Pyramidal {
    /// Gives the parameters `varying` one value per neuron (`(key, values)`, each value valid for
    /// its key, as the model layer has checked), with `params` holding the others. The
    /// constants of every neuron and the state that starts from a parameter (V_d at E_L, theta at
    /// E_theta, w_d at its initial value) follow; `params` is set to the means.
    pub fn with_varying(mut self, varying: &[(&str, Vec<f64>)], dt_ms: f64) -> Self {
        if varying.is_empty() {
            return self;
        }
        let mut all = Vec::with_capacity(self.v_s.len());
        let (v_d, thr, w_d) = (&mut self.v_d, &mut self.thr, &mut self.w_d);
        super::params::each_neuron(&mut self.params, varying, PyramidalParams::set, |i, p| {
            all.push(Consts::of(p, &Derived::new(p, dt_ms)));
            v_d[i] = p.e_l_mv as f32;
            thr[i] = p.e_thr_mv as f32;
            w_d[i] = p.w_d_init_mv as f32;
        });
        self.d = Derived::new(&self.params, dt_ms);
        self.same = Consts::of(&self.params, &self.d);
        self.each = Some(Consts::gather(&all));
        self
    }

    /// Bytes of the per-neuron constants (0 without).
    pub fn varying_bytes(&self) -> usize {
        self.each.as_ref().map_or(0, |c| c.bytes())
    }

    /// A population of `n` neurons at dt = `dt_ms`, initial state as the reference's `clear()`
    /// except for V_s, which follows `v_init`. `seed` and `pop_index` label the random stream.
    pub fn new(
        n: usize,
        params: PyramidalParams,
        driving_force: DendriticDrivingForce,
        v_init: InitialVoltage,
        dt_ms: f64,
        seed: u64,
        pop_index: u64,
    ) -> Self {
        let p = &params;
        let d = Derived::new(p, dt_ms);
        let e_l = p.e_l_mv as f32;
        let v_s = v_init.draw(n, seed, pop_index);
        let same = Consts::of(p, &d);
        Pyramidal {
            d,
            v_s,
            v_d: vec![e_l; n],
            w_s: vec![0.0; n],
            w_d: vec![p.w_d_init_mv as f32; n],
            thr: vec![p.e_thr_mv as f32; n],
            bap: vec![0; n],
            g: TwoCompartmentSynapses::new(n),
            params,
            driving_force,
            each: None,
            same,
        }
    }
}

/// The conductances of a [`Part`].
#[derive(Debug)]
struct PartSynapses<'a> {
    e_s: &'a mut [f32],
    i_s: &'a mut [f32],
    e_d: &'a mut [f32],
    i_d: &'a mut [f32],
}

/// Consecutive neurons of a [`Pyramidal`] population, from neuron `offset` on, their state
/// borrowed: they step on their own (see [`NeuronKind::split`]).
#[derive(Debug)]
pub struct Part<'a> {
    k: PartConsts<'a>,
    driving_force: DendriticDrivingForce,
    offset: u32,
    v_s: &'a mut [f32],
    v_d: &'a mut [f32],
    w_s: &'a mut [f32],
    w_d: &'a mut [f32],
    thr: &'a mut [f32],
    bap: &'a mut [u32],
    g: PartSynapses<'a>,
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
                let k = c.slice(first..first + self.v_s.len());
                step_kernel::<&[f32]>(level, self, k, spikes)
            }
        }
    }
}

impl Pyramidal {
    /// The whole population as one part.
    fn whole(&mut self) -> Part<'_> {
        let k = PartConsts::of(&self.each, &self.same, 0);
        let g = &mut self.g;
        Part {
            k,
            driving_force: self.driving_force,
            offset: 0,
            v_s: &mut self.v_s,
            v_d: &mut self.v_d,
            w_s: &mut self.w_s,
            w_d: &mut self.w_d,
            thr: &mut self.thr,
            bap: &mut self.bap,
            g: PartSynapses { e_s: &mut g.e_s, i_s: &mut g.i_s, e_d: &mut g.e_d, i_d: &mut g.i_d },
        }
    }
}

impl NeuronKind for Pyramidal {
    fn kind_name(&self) -> &'static str {
        "pyramidal"
    }

    fn min_interval_steps(&self) -> Option<u32> {
        // no refractory period: the reset and the threshold jump allow a spike per step
        Some(1)
    }

    fn len(&self) -> usize {
        self.v_s.len()
    }

    /// Evolve phase (spec 0.2 step 1): advances every neuron by one dt with the exact discrete update
    /// of spec 1.4 and appends the indices of neurons that spiked, in increasing order, to `spikes`.
    ///
    /// Two passes: the subthreshold update of every neuron (steps 1-9 of spec 1.4), written without
    /// data-dependent branches so that it compiles to SIMD, then the threshold check and reset
    /// (step 10). Step 10 only reads the state that steps 1-9 wrote, so the split changes nothing.
    fn step(&mut self, spikes: &mut Vec<u32>) {
        self.whole().step_at(Simd::detected(), spikes);
    }

    /// Neurons do not interact within a step and draw no random numbers, so any split works.
    fn split<'a>(&'a mut self, chunk: usize, parts: &mut Vec<super::Part<'a>>) -> bool {
        let n = self.v_s.len();
        let consts: Vec<PartConsts<'a>> =
            (0..n.div_ceil(chunk)).map(|k| PartConsts::of(&self.each, &self.same, k * chunk)).collect();
        let driving_force = self.driving_force;
        let c = |v: &'a mut Vec<f32>| v.chunks_mut(chunk);
        let potentials = c(&mut self.v_s).zip(c(&mut self.v_d));
        let adaptation = c(&mut self.w_s).zip(c(&mut self.w_d));
        let thresholds = c(&mut self.thr).zip(self.bap.chunks_mut(chunk));
        let g = &mut self.g;
        let soma = c(&mut g.e_s).zip(c(&mut g.i_s));
        let dendrite = c(&mut g.e_d).zip(c(&mut g.i_d));
        let all = potentials.zip(adaptation).zip(thresholds).zip(soma.zip(dendrite));
        for (k, ((((v_s, v_d), (w_s, w_d)), (thr, bap)), ((e_s, i_s), (e_d, i_d)))) in all.enumerate() {
            let offset = (k * chunk) as u32;
            let g = PartSynapses { e_s, i_s, e_d, i_d };
            parts.push(super::Part::Pyramidal(Part {
                k: consts[k],
                driving_force,
                offset,
                v_s,
                v_d,
                w_s,
                w_d,
                thr,
                bap,
                g,
            }));
        }
        true
    }

    fn synapse_model(&self, c: Compartment, r: Receptor) -> Option<SynapseModel> {
        Some(self.params.synapse_model(c, r, self.driving_force))
    }

    fn conductance_mut(&mut self, c: Compartment, r: Receptor) -> Option<&mut [f32]> {
        Some(self.g.get_mut(c, r))
    }

    fn accepts_current(&self, _c: Compartment) -> bool {
        true
    }

    /// Current injection (spec 0.2 step 3, `CurrentInjector`): V += dt I / C on the chosen
    /// compartment.
    fn inject(&mut self, c: Compartment, current: Current) {
        match (c, &self.each) {
            (Compartment::Soma, None) => current.add_to(&mut self.v_s, self.d.dt_c_s),
            (Compartment::Dendrite, None) => current.add_to(&mut self.v_d, self.d.dt_c_d),
            (Compartment::Soma, Some(k)) => current.add_to_each(&mut self.v_s, &k.dt_c_s),
            (Compartment::Dendrite, Some(k)) => current.add_to_each(&mut self.v_d, &k.dt_c_d),
        }
    }

    recordables! {
        V_s: "mV", "somatic membrane potential" => v_s,
        V_d: "mV", "dendritic membrane potential" => v_d,
        w_s: "1", "somatic adaptation, a spike-count trace (the current is b w_s, pA)" => w_s,
        w_d: "mV", "dendritic adaptation (the current is a_wd w_d, pA)" => w_d,
        threshold: "mV", "moving spike threshold theta" => thr,
        bap_steps: "steps", "remaining steps of the back-propagating action potential box" => bap,
        g_exc_soma: "g_L", "somatic AMPA conductance" => g.e_s,
        g_inh_soma: "g_L", "somatic GABA conductance" => g.i_s,
        g_exc_dend: "g_L", "dendritic AMPA conductance" => g.e_d,
        g_inh_dend: "g_L", "dendritic GABA conductance" => g.i_d,
    }
}

simd_kernel! {
    /// The body of [`NeuronKind::step`] for `Pyramidal`, compiled per SIMD level (identical results)
    /// and per kind of constants (one for the population, or one per neuron).
    fn step_kernel<K: At>(pop: &mut Part<'_>, k: Consts<K>, spikes: &mut Vec<u32>) {
        // 1 for the reference's somatic driving force of dendritic synapses (P1), 0 for V_d.
        let soma_force = if pop.driving_force == DendriticDrivingForce::Soma { 1.0f32 } else { 0.0 };
        let n = pop.v_s.len();
        let k = k.head(n);
        let (v_s, v_d, w_s, w_d) = (&mut pop.v_s[..n], &mut pop.v_d[..n], &mut pop.w_s[..n], &mut pop.w_d[..n]);
        let (thr, bap) = (&mut pop.thr[..n], &mut pop.bap[..n]);
        let g = &mut pop.g;
        let (g_e_s, g_i_s, g_e_d, g_i_d) = (&mut g.e_s[..n], &mut g.i_s[..n], &mut g.e_d[..n], &mut g.i_d[..n]);
        for i in 0..n {
            let (e_l, e_e, e_i) = (k.e_l.at(i), k.e_e.at(i), k.e_i.at(i));
            let vs = v_s[i];
            let vd = v_d[i];
            // 1. Synaptic drives with the old V_s (old V_d for the clean variant), then decay.
            let v_force = soma_force * vs + (1.0 - soma_force) * vd;
            let j_s = g_e_s[i] * (e_e - vs) + g_i_s[i] * (e_i - vs);
            let j_d = g_e_d[i] * (e_e - v_force) + g_i_d[i] * (e_i - v_force);
            g_e_s[i] = decay(g_e_s[i], k.decay_ampa.at(i));
            g_e_d[i] = decay(g_e_d[i], k.decay_ampa.at(i));
            g_i_s[i] = decay(g_i_s[i], k.decay_gaba.at(i));
            g_i_d[i] = decay(g_i_d[i], k.decay_gaba.at(i));
            // 2. Dendritic sigmoid f(V_d) with the old V_d.
            let f = sigmoid_f32((vd - k.e_d.at(i)) * k.inv_d_d.at(i));
            // 3.-6. Leak, adaptation, sigmoid drives, bAP box (c_d dt / C_d per step while the
            //    countdown runs; boxes do not add up), synaptic currents scaled by dt/tau (g is
            //    in units of g_L).
            let box_on = if bap[i] > 0 { 1.0f32 } else { 0.0 };
            bap[i] = bap[i].saturating_sub(1);
            let (dt_tau_s, dt_c_s, dt_tau_d, dt_c_d) = (k.dt_tau_s.at(i), k.dt_c_s.at(i), k.dt_tau_d.at(i), k.dt_c_d.at(i));
            let vs_new = vs + dt_tau_s * (e_l - vs) - dt_c_s * k.b.at(i) * w_s[i] + dt_c_s * k.g_s.at(i) * f + dt_tau_s * j_s;
            let vd_new = vd + dt_tau_d * (e_l - vd) - dt_c_d * k.a_wd.at(i) * w_d[i]
                + dt_c_d * k.g_d.at(i) * f
                + box_on * k.bap_step_mv.at(i)
                + dt_tau_d * j_d;
            // 7. Somatic adaptation decays exactly.
            w_s[i] = decay(w_s[i], k.decay_ws.at(i));
            // 8. Dendritic adaptation follows the *new* V_d.
            w_d[i] += k.dt_tau_wd.at(i) * ((vd_new - e_l) - w_d[i]);
            // 9. Moving threshold relaxes.
            thr[i] += k.dt_tau_thr.at(i) * (k.e_thr.at(i) - thr[i]);
            v_s[i] = vs_new;
            v_d[i] = vd_new;
        }
        // 10. Threshold crossing, then reset: V_s <- V_reset, theta += 2 mV, w_s += 1, bAP box on.
        //     Blocks of 16 neurons are first tested with one branch-free (SIMD) comparison; only
        //     a block holding a crossing is walked neuron by neuron, in increasing order.
        const BLOCK: usize = 16;
        let mut start = 0;
        while start < n {
            let end = (start + BLOCK).min(n);
            let crossed = v_s[start..end].iter().zip(&thr[start..end]).fold(false, |any, (v, t)| any | (v > t));
            if crossed {
                for i in start..end {
                    if v_s[i] > thr[i] {
                        spikes.push(pop.offset + i as u32);
                        v_s[i] = k.v_reset.at(i);
                        thr[i] += k.delta_thr.at(i);
                        w_s[i] += 1.0;
                        bap[i] = k.bap_steps.at(i) as u32;
                    }
                }
            }
            start = end;
        }
    }
}

#[cfg(test)]
mod tests {
    //! Hand computations of spec 1.4. The reference implementation below is written in SI units
    //! (V, s, A, F) and f64, as the reference code stores its constants, so it checks our unit
    //! conversions as well as the order of the update.
    use super::*;
    use crate::fastmath::level_tests::{assert_levels_agree, bits, drive, spread};

    /// Spec 1.4, one step, SI units, f64. State: (vs, vd, ws, wd, thr, gEs, gIs, gEd, gId, c).
    #[derive(Clone, Copy, Debug)]
    struct Si {
        vs: f64,
        vd: f64,
        ws: f64,
        wd: f64,
        thr: f64,
        ges: f64,
        gis: f64,
        ged: f64,
        gid: f64,
        c: u32,
    }

    fn si_step(s: &mut Si, i_soma: f64, i_dend: f64) -> bool {
        let dt = 1e-4;
        let (tau_s, cs, gs, b, tau_ws) = (16e-3, 370e-12, 1300e-12, 200e-12, 100e-3);
        let (tau_d, cd, gd, a, tau_wd) = (7e-3, 170e-12, 1200e-12, 13e-9, 30e-3);
        let (el, ethr, tau_thr, ed, dd, zeta) = (-70e-3, -50e-3, 27e-3, -38e-3, 6e-3, 2600e-12);
        let js = s.ges * (0.0 - s.vs) + s.gis * (-80e-3 - s.vs);
        let jd = s.ged * (0.0 - s.vs) + s.gid * (-80e-3 - s.vs);
        s.ges *= (-dt / 5e-3f64).exp();
        s.ged *= (-dt / 5e-3f64).exp();
        s.gis *= (-dt / 10e-3f64).exp();
        s.gid *= (-dt / 10e-3f64).exp();
        let f = 1.0 / (1.0 + (-(s.vd - ed) / dd).exp());
        s.vs += dt / tau_s * (el - s.vs) + dt / cs * (-b) * s.ws + dt / cs * gs * f;
        s.vd += dt / tau_d * (el - s.vd) + dt / cd * (-a) * s.wd + dt / cd * gd * f;
        if s.c > 0 {
            s.vd += dt * zeta / cd;
            s.c -= 1;
        }
        s.vs += dt / tau_s * js;
        s.vd += dt / tau_d * jd;
        s.ws *= (-dt / tau_ws).exp();
        s.wd += dt / tau_wd * ((s.vd - el) - s.wd);
        s.thr += dt / tau_thr * (ethr - s.thr);
        let spike = s.vs > s.thr;
        if spike {
            s.vs = -70e-3;
            s.thr += 2e-3;
            s.ws += 1.0;
            s.c = 20;
        }
        // Device phase: injected currents after the threshold check (spec 0.2).
        s.vs += dt * i_soma / cs;
        s.vd += dt * i_dend / cd;
        spike
    }

    fn one(vs_mv: f32) -> Pyramidal {
        let mut p = Pyramidal::new(
            1,
            PyramidalParams::default(),
            DendriticDrivingForce::Soma,
            InitialVoltage::at(-70.0),
            0.1,
            1,
            0,
        );
        p.v_s[0] = vs_mv;
        p
    }

    fn si_of(p: &Pyramidal) -> Si {
        Si {
            vs: p.v_s[0] as f64 * 1e-3,
            vd: p.v_d[0] as f64 * 1e-3,
            ws: p.w_s[0] as f64,
            wd: p.w_d[0] as f64 * 1e-3,
            thr: p.thr[0] as f64 * 1e-3,
            ges: p.g.e_s[0] as f64,
            gis: p.g.i_s[0] as f64,
            ged: p.g.e_d[0] as f64,
            gid: p.g.i_d[0] as f64,
            c: p.bap[0],
        }
    }

    fn assert_close(p: &Pyramidal, s: &Si, tol_mv: f64, what: &str) {
        let pairs = [
            ("V_s", p.v_s[0] as f64, s.vs * 1e3),
            ("V_d", p.v_d[0] as f64, s.vd * 1e3),
            ("w_d", p.w_d[0] as f64, s.wd * 1e3),
            ("theta", p.thr[0] as f64, s.thr * 1e3),
            ("w_s", p.w_s[0] as f64, s.ws),
        ];
        for (name, ours, theirs) in pairs {
            assert!((ours - theirs).abs() < tol_mv, "{what}: {name} = {ours}, expected {theirs}");
        }
        assert_eq!(p.bap[0], s.c, "{what}: bAP countdown");
    }

    #[test]
    fn one_step_from_rest_by_hand() {
        // From rest: f(-70) = 1/(1 + e^(32/6)) = 0.0048050; only the sigmoid drives move V.
        let mut p = one(-70.0);
        let mut spikes = vec![];
        p.step(&mut spikes);
        let f = 1.0 / (1.0 + (32.0f64 / 6.0).exp());
        let vs = -70.0 + 0.1 / 370.0 * 1300.0 * f;
        let vd = -70.0 - 0.1 / 170.0 * 13.0 * 0.1 + 0.1 / 170.0 * 1200.0 * f;
        let wd = 0.1 + 0.1 / 30.0 * ((vd + 70.0) - 0.1);
        assert!(spikes.is_empty());
        assert!((p.v_s[0] as f64 - vs).abs() < 2e-5, "{} vs {vs}", p.v_s[0]);
        assert!((p.v_d[0] as f64 - vd).abs() < 2e-5, "{} vs {vd}", p.v_d[0]);
        assert!((p.w_d[0] as f64 - wd).abs() < 1e-6);
        assert_eq!(p.thr[0], -50.0);
    }

    #[test]
    fn synaptic_drive_uses_old_somatic_potential_for_both_compartments() {
        // V_s = -60, V_d = -50, g_E,s 0.5, g_I,s 0.2, g_E,d 0.3, g_I,d 0.1 (units of g_L).
        // J_s = 0.5 (0+60) + 0.2 (-80+60) = 26; J_d = 0.3 (60) + 0.1 (-20) = 16 with V_s (P1),
        // or 0.3 (50) + 0.1 (-30) = 12 with V_d (clean variant).
        for (force, jd) in [(DendriticDrivingForce::Soma, 16.0), (DendriticDrivingForce::Dendrite, 12.0)] {
            let mut p = Pyramidal::new(1, PyramidalParams::default(), force, InitialVoltage::at(-70.0), 0.1, 1, 0);
            p.v_s[0] = -60.0;
            p.v_d[0] = -50.0;
            (p.g.e_s[0], p.g.i_s[0], p.g.e_d[0], p.g.i_d[0]) = (0.5, 0.2, 0.3, 0.1);
            p.step(&mut vec![]);
            let f = 1.0 / (1.0 + (12.0f64 / 6.0).exp()); // f(-50)
            let vs = -60.0 + 0.1 / 16.0 * (-10.0) + 0.1 / 370.0 * 1300.0 * f + 0.1 / 16.0 * 26.0;
            let vd = -50.0 + 0.1 / 7.0 * (-20.0) - 0.1 / 170.0 * 13.0 * 0.1 + 0.1 / 170.0 * 1200.0 * f + 0.1 / 7.0 * jd;
            assert!((p.v_s[0] as f64 - vs).abs() < 2e-5, "V_s {} vs {vs}", p.v_s[0]);
            assert!((p.v_d[0] as f64 - vd).abs() < 2e-5, "{force:?}: V_d {} vs {vd}", p.v_d[0]);
            // Conductances decay by exp(-dt/tau) after use.
            assert!((p.g.e_s[0] as f64 - 0.5 * (-0.1f64 / 5.0).exp()).abs() < 1e-7);
            assert!((p.g.i_d[0] as f64 - 0.1 * (-0.1f64 / 10.0).exp()).abs() < 1e-7);
        }
    }

    #[test]
    fn spike_resets_soma_jumps_threshold_adapts_and_starts_a_20_step_bap_box() {
        let mut p = one(-40.0);
        let mut spikes = vec![];
        p.step(&mut spikes);
        assert_eq!(spikes, vec![0]);
        assert_eq!(p.v_s[0], -70.0, "reset to V_reset, no refractory clamp");
        assert_eq!(p.thr[0], -48.0, "theta was at E_theta, then +2 mV");
        assert_eq!(p.w_s[0], 1.0);
        assert_eq!(p.bap[0], 20);
        // Next step: the box adds dt c_d / C_d = 0.1 * 2600 / 170 = 1.5294 mV to V_d, the
        // adaptation current takes dt b w_s / C_s = 0.1 * 200 * 1 / 370 mV from V_s
        // (w_s is used before its decay), and theta relaxes by dt/27 ms of its 2 mV excess.
        let (vd0, vs0, wd0) = (p.v_d[0] as f64, p.v_s[0] as f64, p.w_d[0] as f64);
        p.step(&mut spikes);
        let f = 1.0 / (1.0 + (-(vd0 + 38.0) / 6.0).exp());
        let vd = vd0 + 0.1 / 7.0 * (-70.0 - vd0) - 0.1 / 170.0 * 13.0 * wd0 + 0.1 / 170.0 * 1200.0 * f;
        assert!(
            (p.v_d[0] as f64 - (vd + 0.1 * 2600.0 / 170.0)).abs() < 2e-5,
            "bAP step: {} vs {}",
            p.v_d[0],
            vd + 1.5294
        );
        let vs = vs0 + 0.1 / 16.0 * (-70.0 - vs0) - 0.1 / 370.0 * 200.0 * 1.0 + 0.1 / 370.0 * 1300.0 * f;
        assert!((p.v_s[0] as f64 - vs).abs() < 2e-5, "adaptation: {} vs {vs}", p.v_s[0]);
        assert!((p.thr[0] as f64 - (-48.0 - 0.1 / 27.0 * 2.0)).abs() < 1e-5);
        assert!((p.w_s[0] as f64 - (-0.1f64 / 100.0).exp()).abs() < 1e-7);
        assert_eq!(p.bap[0], 19);
    }

    #[test]
    fn multi_step_trajectory_matches_si_transcription_of_spec() {
        // 600 steps (60 ms) of constant somatic (600 pA) and dendritic (300 pA) current plus an
        // initial conductance kick: several spikes, bAP boxes, a dendritic plateau. Every variable
        // stays within 0.01 mV of the f64 SI transcription (f32 state drifts by ~1e-4 mV).
        let mut p = one(-65.0);
        (p.g.e_s[0], p.g.i_s[0], p.g.e_d[0], p.g.i_d[0]) = (0.4, 0.1, 0.6, 0.05);
        let mut s = si_of(&p);
        let mut n_spikes = 0;
        for k in 0..600 {
            let mut spikes = vec![];
            p.step(&mut spikes);
            p.inject(Compartment::Soma, Current::Uniform(600.0));
            p.inject(Compartment::Dendrite, Current::Uniform(300.0));
            let si_spike = si_step(&mut s, 600e-12, 300e-12);
            assert_eq!(!spikes.is_empty(), si_spike, "spike mismatch at step {k}");
            n_spikes += spikes.len();
            assert_close(&p, &s, 1e-2, &format!("step {k}"));
        }
        assert!(n_spikes >= 3, "the trajectory must exercise spikes ({n_spikes})");
    }

    #[test]
    fn every_simd_level_gives_bit_identical_state() {
        // 300 neurons (not a multiple of 8: the vector tails run too) from spread-out states,
        // kicked every 7 steps so that they spike and burst, 600 steps per level.
        let run = |level: Simd| {
            let mut p = Pyramidal::new(
                300,
                PyramidalParams::default(),
                DendriticDrivingForce::Soma,
                InitialVoltage::at(-70.0),
                0.1,
                1,
                0,
            );
            for i in 0..300 {
                p.v_s[i] = spread(i, 1, -75.0, -45.0);
                p.v_d[i] = spread(i, 2, -75.0, -20.0);
            }
            let out =
                drive(&mut p, 600, 7, |p, k| p.g.kick_for_tests(k, 0.8), |p, spikes| p.whole().step_at(level, spikes));
            let state =
                [&p.v_s, &p.v_d, &p.w_s, &p.w_d, &p.thr, &p.g.e_s, &p.g.i_s, &p.g.e_d, &p.g.i_d].map(|v| bits(v));
            (out, state, p.bap.clone())
        };
        let base = assert_levels_agree("pyramidal", run);
        assert!(base.0.iter().map(Vec::len).sum::<usize>() > 300, "the run must spike");
    }
}
