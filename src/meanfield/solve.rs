//! The mean field of a spiking model (issue 13 item 3; spec 8): every spiking population is one
//! unit with an event rate E and a burst probability P; every projection between spiking
//! populations is a mean conductance; the units' transfer functions close the loop.
//!
//! For unit k, with a projection from unit j of weight w (units of the target's leak conductance
//! g_L), expected in-degree K and conductance decay tau, the mean conductance is
//! g = w K R_j tau, where R_j is what one presynaptic neuron transmits per ms:
//!
//! ```text
//!   transmit = "all"     R = S_j, the spike rate measured in the sweep at the unit's inputs
//!   transmit = "events"  R = E_j
//!   transmit = "bursts"  R = B_j = P_j E_j
//!   with STP             R = rate x mean release u x: measured in the sweep for the spec 4.2
//!                        sets (all spikes), else the train model of `efficacy`
//! ```
//!
//! and acts as the current I = g_L g (E_rev - V), V the mean potential of the compartment that
//! sets the driving force (the soma for dendritic synapses of pyramidal kinds, P1), read from the
//! transfer table at the unit's inputs. Then E_k = ER_k(I_s + constant currents, I_d) and
//! P_k = BP_k(I_d, I_s) (the fitted functions of [`super::fit`]). The stationary state is found
//! by damped fixed-point iteration.
//!
//! **Weight drift** of a plastic projection, averaged over synapses, pre and post independent
//! (their correlation falls as 1/N when weights scale as 1/N): for the BurstCCN rule
//! dw/dt = eta (B_post - p_b E_post) tau_pre E_pre, i.e. -eta tau_pre delta_post E_pre with the
//! rate model's delta = -(b - p_b e) ([`crate::rate::burstccn::burst_delta`]); for the reference
//! rule (spec 5.1) dw/dt = eta tau_pre E_pre [B (1 + h) + E (h - min(P_bar, 1))] plus
//! eta E_pre max(0, theta_min - r_hom), h the homeostatic depression above theta_max, with the
//! rule's own averages (Ebar, Bbar with tau_avg from empty, r_hom with tau_hom from its initial
//! value) relaxing towards the unit's rates. The weights move quasi-statically: the state is
//! solved again every `step_ms` with the drifted weights.

use super::efficacy::{self, TrainShape};
use super::fit::{fit_all, fit_columns, Fit, Form, Surface};
use super::transfer::TransferTable;
use super::MeanfieldError;
use crate::model::schema::{ConnectRule, ModelFile};
use crate::model::{self, Model};
use crate::neuron::{Compartment, SynapseModel};
use crate::plasticity::{Homeostasis, RuleParams};
use crate::rate::burstccn::burst_delta;
use crate::rate::linalg::Mat;
use crate::stimulus::Teacher;
use crate::synapse::stp::StpParams;
use crate::synapse::Transmit;
use std::sync::Arc;

/// How a unit's ER and BP are read from its transfer measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lookup {
    /// The best fitted functions (the rate model). Default.
    #[default]
    Fit,
    /// Bilinear interpolation of the measured table.
    Table,
}

/// A population's measured transfer functions and its fits.
#[derive(Clone, Debug)]
pub struct Transfer {
    /// The table.
    pub table: TransferTable,
    /// Best event-rate function of (I_s, I_d) by BIC: a fit of the mixed input or per-column fits.
    pub er: Surface,
    /// Best burst-probability function of (I_d, I_s), if the population bursts.
    pub bp: Option<Surface>,
    /// Train shape for the STP efficacy.
    pub shape: TrainShape,
    /// The ER fit misses the table (a non-monotonic curve no form has): the table is used.
    pub er_poor: bool,
    /// The same for BP.
    pub bp_poor: bool,
}

/// A fit "misses" its table when its residual is above 3x the table's mean seed-to-seed standard
/// error and above 5 % of the table's range (both: a fit within either is as good as the data).
fn misses(rmse: f64, t: &super::transfer::Table2) -> bool {
    let finite: Vec<f64> = t.mean.iter().copied().filter(|v| v.is_finite()).collect();
    let range =
        finite.iter().cloned().fold(f64::NEG_INFINITY, f64::max) - finite.iter().cloned().fold(f64::INFINITY, f64::min);
    let se: Vec<f64> = t.se.iter().copied().filter(|v| v.is_finite()).collect();
    let se = se.iter().sum::<f64>() / se.len().max(1) as f64;
    rmse > 3.0 * se && rmse > 0.05 * range
}

impl Transfer {
    /// Fits the table (best form by BIC) and reads the train shape off it.
    pub fn new(table: TransferTable, dead_ms: f64) -> Result<Transfer, MeanfieldError> {
        let (er_fits, bp_fits) = fits(&table);
        let (er_pts, bp_pts) = points(&table);
        let er = best(er_fits.into_iter().next(), fit_columns(&er_pts, &Form::EVENT_RATE)).ok_or_else(|| {
            MeanfieldError::Unsupported {
                file: table.model.clone(),
                what: format!("population {:?}: too few grid points to fit its event rate", table.population),
            }
        })?;
        let bp = if bp_fits.is_empty() {
            None
        } else {
            best(bp_fits.into_iter().next(), fit_columns(&bp_pts, &Form::BURST_PROB))
        };
        let shape = shape(&table, dead_ms);
        let er_poor = misses(er.rmse(), &table.er);
        let bp_poor = bp.as_ref().is_some_and(|b| misses(b.rmse(), &table.bp));
        Ok(Transfer { er, bp, shape, table, er_poor, bp_poor })
    }
}

/// A fitted point: (primary input, secondary input, value).
pub type Point = (f64, f64, f64);

/// The better (lower BIC) of a global fit and a per-column surface.
fn best(global: Option<Fit>, columns: Option<Surface>) -> Option<Surface> {
    match (global.map(Surface::Global), columns) {
        (Some(g), Some(c)) => Some(if c.bic() < g.bic() { c } else { g }),
        (g, c) => g.or(c),
    }
}

/// The points fitted: ER as (I_s, I_d, ER), BP as (I_d, I_s, BP). BP points with fewer than 20
/// events in all (an undefined or noisy ratio) are left out.
pub fn points(t: &TransferTable) -> (Vec<Point>, Vec<Point>) {
    let mut er = Vec::new();
    let mut bp = Vec::new();
    let min_er = 20.0 / (t.grid.neurons.max(1) as f64 * t.grid.seeds.len().max(1) as f64 * t.grid.duration_ms * 1e-3);
    for k in 0..t.points() {
        let (s, d) = t.at(k);
        er.push((s, d, t.er.mean[k]));
        if t.er.mean[k] >= min_er {
            bp.push((d, s, t.bp.mean[k]));
        }
    }
    (er, bp)
}

/// Every global fit of the table's ER (against I_s, mixed with I_d) and BP (against I_d, mixed
/// with I_s), best first (no BP fit when the population never bursts).
pub fn fits(t: &TransferTable) -> (Vec<Fit>, Vec<Fit>) {
    let (er, bp) = points(t);
    let bursts = bp.iter().any(|p| p.2 > 0.0);
    let bp = if bursts { fit_all(&bp, &Form::BURST_PROB) } else { Vec::new() };
    (fit_all(&er, &Form::EVENT_RATE), bp)
}

/// Burst-weighted mean extra spikes per burst and intra-burst interval over the table.
fn shape(t: &TransferTable, dead_ms: f64) -> TrainShape {
    let (mut w, mut m, mut isi) = (0.0, 0.0, 0.0);
    for k in 0..t.points() {
        let b = t.br.mean[k];
        if b > 0.0 && t.isi_burst.mean[k].is_finite() {
            w += b;
            m += (t.sr.mean[k] - t.er.mean[k]).max(b);
            isi += b * t.isi_burst.mean[k];
        }
    }
    if w > 0.0 {
        TrainShape { dead_ms, extra_spikes: (m / w).max(1.0), intraburst_isi_ms: isi / w }
    } else {
        TrainShape { dead_ms, extra_spikes: 1.0, intraburst_isi_ms: 8.0 }
    }
}

/// A spiking population as a unit.
#[derive(Clone, Debug)]
pub struct Unit {
    /// Population name.
    pub name: String,
    /// Population index in the network.
    pub population: usize,
    /// Neurons.
    pub size: usize,
    /// Its transfer functions.
    pub transfer: Arc<Transfer>,
    /// Constant somatic current (constant and per-neuron currents, sine offsets), pA.
    pub soma_pa: f64,
    /// The same for the dendrite.
    pub dend_pa: f64,
}

/// A projection between two units, as a mean conductance.
#[derive(Clone, Debug)]
pub struct Link {
    /// Projection name.
    pub name: String,
    /// Source unit.
    pub from: usize,
    /// Target unit.
    pub to: usize,
    /// Target compartment.
    pub target: Compartment,
    /// How the target's conductance acts.
    pub synapse: SynapseModel,
    /// Initial weight (units of the target compartment's g_L).
    pub weight: f64,
    /// Expected in-degree.
    pub in_degree: f64,
    /// Transmitted spikes.
    pub transmit: Transmit,
    /// Short-term plasticity.
    pub stp: Option<StpParams>,
    /// Long-term plasticity (only when it is on at the start or a `[[phase]]` switches it on).
    pub rule: Option<RuleParams>,
}

/// The circuit the mean field solves.
#[derive(Clone, Debug)]
pub struct Circuit {
    /// Units (spiking populations).
    pub units: Vec<Unit>,
    /// Projections between units.
    pub links: Vec<Link>,
    /// Time step, ms (the STP relaxation is the engine's Euler step).
    pub dt_ms: f64,
    /// What the mean field leaves out (phases, teachers, file currents), one line each.
    pub notes: Vec<String>,
    /// Lookup of ER and BP.
    pub lookup: Lookup,
    /// Named constant-current inputs into units (protocol patterns set them).
    pub named_inputs: Vec<NamedInput>,
    /// Teachers onto units (protocol patterns give their targets).
    pub teachers: Vec<TeacherUnit>,
}

/// A named constant current into a unit, as the model file sets it.
#[derive(Clone, Debug)]
pub struct NamedInput {
    /// The input's name.
    pub name: String,
    /// Target unit.
    pub unit: usize,
    /// Target compartment.
    pub compartment: Compartment,
    /// The current in the file (included in the unit's constant current), pA.
    pub base_pa: f64,
}

/// A teacher onto a unit: its current from the unit's event rate and the example's target.
#[derive(Clone, Debug)]
pub struct TeacherUnit {
    /// The teacher's index in the network (schedule targets are indexed by it).
    pub index: usize,
    /// Target unit.
    pub unit: usize,
    /// The engine's teacher (its error-to-current function).
    pub teacher: Teacher,
}

/// What an example adds to the circuit's constant inputs: currents per unit and teacher targets
/// (`None`: that teacher is off).
#[derive(Clone, Debug, Default)]
pub struct Drive {
    /// Somatic current added to each unit, pA (empty: none).
    pub soma_pa: Vec<f64>,
    /// Dendritic current added to each unit, pA (empty: none).
    pub dend_pa: Vec<f64>,
    /// Target per teacher of the circuit (empty: all off).
    pub targets: Vec<Option<f64>>,
}

/// The state of every unit.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// Event rates, Hz.
    pub er_hz: Vec<f64>,
    /// Burst probabilities.
    pub bp: Vec<f64>,
    /// Somatic input (constant + network), pA.
    pub soma_pa: Vec<f64>,
    /// Dendritic input, pA.
    pub dend_pa: Vec<f64>,
}

impl State {
    fn at_rest(c: &Circuit) -> State {
        let n = c.units.len();
        State {
            er_hz: vec![0.0; n],
            bp: vec![0.0; n],
            soma_pa: c.units.iter().map(|u| u.soma_pa).collect(),
            dend_pa: c.units.iter().map(|u| u.dend_pa).collect(),
        }
    }
}

/// Builds the circuit of a model: `transfers` gives each spiking population's transfer (by name).
pub fn circuit(
    text: &str,
    file: &str,
    built: &Model,
    transfers: &dyn Fn(&str) -> Arc<Transfer>,
    lookup: Lookup,
) -> Result<Circuit, MeanfieldError> {
    let raw: ModelFile = model::parse(&model::expanded_text(text, file)?, file)?;
    let net = &built.network;
    let mut units = Vec::new();
    let mut unit_of = vec![None; net.n_populations()];
    for (p, slot) in unit_of.iter_mut().enumerate() {
        let info = net.info(p);
        if net.population(p).kind_name() == "poisson" || !net.spikes(p).has_detector() {
            continue;
        }
        *slot = Some(units.len());
        units.push(Unit {
            name: info.name.clone(),
            population: p,
            size: net.population(p).len(),
            transfer: transfers(&info.name),
            soma_pa: 0.0,
            dend_pa: 0.0,
        });
    }
    let mut notes = Vec::new();
    for u in &units {
        let t = &u.transfer;
        if t.er_poor {
            notes.push(format!(
                "{}: no fitted form follows its ER (rms {:.3} Hz: a non-monotonic curve): its table is interpolated",
                u.name,
                t.er.rmse()
            ));
        }
        if t.bp_poor {
            notes.push(format!("{}: no fitted form follows its BP: its table is interpolated", u.name));
        }
    }
    use crate::model::schema::InputSpec as I;
    let mut named_inputs = Vec::new();
    for inp in &raw.inputs {
        let mut name_of = None;
        let (target, compartment, pa, what) = match inp {
            I::ConstantCurrent { name, target, compartment, current_pa, start_ms, stop_ms, .. } => {
                name_of = name.clone();
                if start_ms.is_some() || stop_ms.is_some() {
                    notes.push(format!(
                        "constant current into {target}: held on for the whole run (start/stop left out)"
                    ));
                }
                (target, *compartment, *current_pa, "")
            }
            I::SineCurrent { target, compartment, offset_pa, .. } => {
                (target, *compartment, offset_pa.unwrap_or(0.0), "sine current: its offset only")
            }
            I::NeuronCurrents { target, compartment, values_pa: Some(v), .. } => {
                (target, *compartment, v.iter().sum::<f64>() / v.len().max(1) as f64, "")
            }
            I::NeuronCurrents { target, .. } => {
                (target, Compartment::Soma, 0.0, "per-neuron currents from a file: left out")
            }
            I::FileCurrent { target, .. } => (target, Compartment::Soma, 0.0, "file current: left out"),
            I::Poisson { .. } => continue,
        };
        if !what.is_empty() {
            notes.push(format!("input into {target}: {what}"));
        }
        let Some(u) = net.population_index(target).and_then(|p| unit_of[p]) else { continue };
        if let Some(name) = name_of {
            named_inputs.push(NamedInput { name, unit: u, compartment, base_pa: pa });
        }
        match compartment {
            Compartment::Soma => units[u].soma_pa += pa,
            Compartment::Dendrite => units[u].dend_pa += pa,
        }
    }
    if !raw.phases.is_empty() || raw.simulation.protocol_file.is_some() {
        notes.push("[[phase]] changes: left out (the mean field is stationary)".into());
    }
    let teachers = net
        .teachers()
        .iter()
        .enumerate()
        .filter_map(|(index, t)| {
            unit_of[t.target.0 as usize].map(|unit| TeacherUnit { index, unit, teacher: t.clone() })
        })
        .collect();
    if !raw.teachers.is_empty() || raw.protocol.is_some() {
        notes.push("[[teacher]] and [protocol]: left out (but used by --learn)".into());
    }
    let mut links = Vec::new();
    for spec in &raw.projections {
        let name = model::build::projection_name(spec);
        let proj = net.projections().iter().find(|p| p.name() == name).expect("every [[projection]] is built");
        let cfg = proj.config();
        let (pf, pt) = (cfg.from.0 as usize, cfg.to.0 as usize);
        let (Some(from), Some(to)) = (unit_of[pf], unit_of[pt]) else { continue };
        let n_pre = net.population(pf).len() as f64;
        let same = (pf == pt) as u8 as f64;
        // the mean in-degree: expected for the Bernoulli rule, counted from the wiring otherwise
        let same = if spec.connect.allow_autapses == Some(true) { 0.0 } else { same };
        let in_degree = match spec.connect.rule {
            ConnectRule::Probability(p) => p * (n_pre - same),
            ConnectRule::OneToOne => 1.0,
            ConnectRule::AllToAll => n_pre - same,
            _ => proj.n_synapses() as f64 / net.population(pt).len().max(1) as f64,
        };
        let synapse =
            net.population(pt).synapse_model(cfg.target, cfg.receptor).ok_or_else(|| MeanfieldError::Unsupported {
                file: file.into(),
                what: format!("projection {name:?}: its target has no such synapse"),
            })?;
        // a rule that is off from the start drifts only if a [[phase]] switches it on; the mean
        // field then lets it drift for the whole window (the compared window starts after it)
        let switched_on = raw.phases.iter().any(|ph| ph.plasticity.get(&name) == Some(&true));
        let rule = match (&cfg.plasticity, cfg.plasticity_on, switched_on) {
            (Some(r), true, _) => Some(r.clone()),
            (Some(r), false, true) => {
                notes.push(format!(
                    "projection {name:?}: plasticity switched on by a [[phase]]; compare from that time"
                ));
                Some(r.clone())
            }
            (Some(_), false, false) => {
                notes.push(format!("projection {name:?}: plasticity off for the whole run (no drift)"));
                None
            }
            (None, _, _) => None,
        };
        if cfg.transmit == Transmit::Bursts && cfg.stp.is_some() {
            notes.push(format!("projection {name:?}: STP on a bursts-only train is taken as a sparse event train"));
        }
        links.push(Link {
            name,
            from,
            to,
            target: cfg.target,
            synapse,
            weight: proj.mean_weight(),
            in_degree,
            transmit: cfg.transmit,
            stp: cfg.stp,
            rule,
        });
    }
    Ok(Circuit { units, links, dt_ms: net.dt_ms(), notes, lookup, named_inputs, teachers })
}

/// Synthetic events for the STP efficacy inside the iteration (2 % Monte-Carlo error, the same
/// random numbers at every evaluation, so the map iterated is deterministic and smooth).
const SOLVER_EVENTS: usize = 5_000;

impl Circuit {
    /// ER and BP of unit `u` at inputs (soma, dend): its fits, or its table where a fit misses
    /// it (or with [`Lookup::Table`]).
    pub fn respond(&self, u: usize, soma: f64, dend: f64) -> (f64, f64) {
        let t = &self.units[u].transfer;
        let table = &t.table;
        let table_bp = || {
            let bp = table.interpolate(&table.bp, soma, dend);
            if bp.is_finite() {
                bp
            } else {
                0.0
            }
        };
        let fit = self.lookup == Lookup::Fit;
        let er = if fit && !t.er_poor { t.er.eval(soma, dend) } else { table.interpolate(&table.er, soma, dend) };
        let bp = match &t.bp {
            Some(f) if fit && !t.bp_poor => f.eval(dend, soma),
            _ if t.bp.is_none() && fit => 0.0,
            _ => table_bp(),
        };
        (er.max(0.0), bp.clamp(0.0, 1.0))
    }

    /// Mean somatic and dendritic potentials of unit `u` at inputs (soma, dend), from its table.
    fn potentials(&self, u: usize, soma: f64, dend: f64) -> (f64, f64) {
        let table = &self.units[u].transfer.table;
        (table.interpolate(&table.v_s, soma, dend), table.interpolate(&table.v_d, soma, dend))
    }

    /// What one neuron of the link's source transmits per second (see the module docs).
    fn transmitted_hz(&self, l: &Link, s: &State) -> f64 {
        let (e, p) = (s.er_hz[l.from], s.bp[l.from]);
        let shape = &self.units[l.from].transfer.shape;
        match (l.transmit, &l.stp) {
            // every spike: the measured spike rate at the source's inputs (a detector's events
            // and bursts undercount a fast cell's spikes, whose trace rarely falls below e^-1)
            (Transmit::All, None) => {
                let t = &self.units[l.from].transfer.table;
                t.interpolate(&t.sr, s.soma_pa[l.from], s.dend_pa[l.from])
            }
            (Transmit::Events, None) => e,
            (Transmit::Bursts, None) => e * p,
            // the spec 4.2 sets were measured in the sweep on the neurons' own spikes: use them
            (Transmit::All, Some(stp)) if same_set(stp, &StpParams::depressing()) => {
                let t = &self.units[l.from].transfer.table;
                t.interpolate(&t.release_std, s.soma_pa[l.from], s.dend_pa[l.from])
            }
            (Transmit::All, Some(stp)) if same_set(stp, &StpParams::facilitating()) => {
                let t = &self.units[l.from].transfer.table;
                t.interpolate(&t.release_stf, s.soma_pa[l.from], s.dend_pa[l.from])
            }
            (Transmit::All, Some(stp)) => efficacy::release_rate_n(stp, e, p, shape, self.dt_ms, SOLVER_EVENTS),
            (Transmit::Events, Some(stp)) => efficacy::release_rate_n(stp, e, 0.0, shape, self.dt_ms, SOLVER_EVENTS),
            (Transmit::Bursts, Some(stp)) => {
                efficacy::release_rate_n(stp, e * p, 0.0, shape, self.dt_ms, SOLVER_EVENTS)
            }
        }
    }

    /// The inputs of every unit given the state `s` (its rates and potentials) and the weights.
    fn inputs(&self, s: &State, weights: &[f64], drive: &Drive) -> (Vec<f64>, Vec<f64>) {
        let mut soma: Vec<f64> = self.units.iter().map(|u| u.soma_pa).collect();
        let mut dend: Vec<f64> = self.units.iter().map(|u| u.dend_pa).collect();
        for (u, (a, b)) in soma.iter_mut().zip(dend.iter_mut()).enumerate() {
            *a += drive.soma_pa.get(u).copied().unwrap_or(0.0);
            *b += drive.dend_pa.get(u).copied().unwrap_or(0.0);
        }
        // a teacher's current follows its unit's event rate (the engine's every-step teacher reads
        // each neuron's Ebar; here the unit's mean rate)
        for (t, y) in self.teachers.iter().zip(&drive.targets) {
            let Some(y) = *y else { continue };
            let i = t.teacher.current_for(y, s.er_hz[t.unit]);
            match t.teacher.compartment {
                Compartment::Soma => soma[t.unit] += i,
                Compartment::Dendrite => dend[t.unit] += i,
            }
        }
        // each unit's mean potentials once, whatever number of projections reach it
        let potentials: Vec<(f64, f64)> =
            (0..self.units.len()).map(|u| self.potentials(u, s.soma_pa[u], s.dend_pa[u])).collect();
        for (l, &w) in self.links.iter().zip(weights) {
            let (v_s, v_d) = potentials[l.to];
            let v = match l.synapse.drive {
                Compartment::Soma => v_s,
                Compartment::Dendrite => v_d,
            };
            // a jump decays by d = exp(-dt/tau) per step: its mean over steps is w dt / (1 - d)
            // per jump and ms (tau + dt/2 + ..., the engine's exact exponential decay)
            let per_jump_ms = self.dt_ms / (1.0 - (-self.dt_ms / l.synapse.tau_ms).exp());
            let g = w * l.in_degree * self.transmitted_hz(l, s) * 1e-3 * per_jump_ms;
            let i = l.synapse.g_leak_ns * g * (l.synapse.e_rev_mv - v);
            match l.target {
                Compartment::Soma => soma[l.to] += i,
                Compartment::Dendrite => dend[l.to] += i,
            }
        }
        (soma, dend)
    }

    /// Removes the links named in `names`; returns the names that are not links.
    pub fn remove_links(&mut self, names: &[String]) -> Vec<String> {
        let unknown = names.iter().filter(|n| !self.links.iter().any(|l| &l.name == *n)).cloned().collect();
        self.links.retain(|l| !names.contains(&l.name));
        unknown
    }

    /// Sets the weight of each link in `targets` (link, unit, BP) so that the unit's stationary BP
    /// is the given one, the other weights fixed: bisection on each weight (BP is monotone in one
    /// weight onto the unit's dendrite), the links taken in turn until none moves by more than
    /// 1e-9 relative (Gauss-Seidel). Returns the weights, or the link that no weight >= 0 can
    /// bring to its BP.
    pub fn calibrate(&mut self, targets: &[(usize, usize, f64)]) -> Result<Vec<f64>, usize> {
        for _round in 0..50 {
            let mut moved: f64 = 0.0;
            for &(k, u, bp) in targets {
                let mut w = self.weights();
                let f = |c: &Circuit, w: &[f64]| c.stationary(w, None).0.bp[u] - bp;
                let f0 = {
                    w[k] = 0.0;
                    f(self, &w)
                };
                let mut hi = (4.0 * self.links[k].weight).max(1e-3);
                let mut fh = {
                    w[k] = hi;
                    f(self, &w)
                };
                let mut tries = 0;
                while fh.signum() == f0.signum() && tries < 40 {
                    hi *= 2.0;
                    w[k] = hi;
                    fh = f(self, &w);
                    tries += 1;
                }
                if fh.signum() == f0.signum() {
                    return Err(k);
                }
                let mut lo = 0.0;
                for _ in 0..60 {
                    let mid = 0.5 * (lo + hi);
                    w[k] = mid;
                    if f(self, &w).signum() == f0.signum() {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                let new = 0.5 * (lo + hi);
                moved = moved.max((new - self.links[k].weight).abs() / new.max(1e-12));
                self.links[k].weight = new;
            }
            if moved < 1e-9 {
                break;
            }
        }
        Ok(self.weights())
    }

    /// Initial weights of the links.
    pub fn weights(&self) -> Vec<f64> {
        self.links.iter().map(|l| l.weight).collect()
    }

    /// The stationary state with `weights`, from `start` (or rest): damped fixed-point iteration
    /// on the inputs. Returns the state and the iterations used; `None` iterations when it did
    /// not converge (the last state is returned).
    pub fn stationary(&self, weights: &[f64], start: Option<&State>) -> (State, Option<usize>) {
        self.stationary_driven(weights, start, &Drive::default())
    }

    /// [`Circuit::stationary`] with an example's currents and teachers added.
    pub fn stationary_driven(&self, weights: &[f64], start: Option<&State>, drive: &Drive) -> (State, Option<usize>) {
        let mut s = start.cloned().unwrap_or_else(|| State::at_rest(self));
        let n = self.units.len();
        for u in 0..n {
            let (e, p) = self.respond(u, s.soma_pa[u], s.dend_pa[u]);
            s.er_hz[u] = e;
            s.bp[u] = p;
        }
        let mut damping = 0.5;
        let mut last_change = f64::INFINITY;
        for it in 0..20_000 {
            let (soma, dend) = self.inputs(&s, weights, drive);
            let mut change: f64 = 0.0;
            for u in 0..n {
                let ns = s.soma_pa[u] + damping * (soma[u] - s.soma_pa[u]);
                let nd = s.dend_pa[u] + damping * (dend[u] - s.dend_pa[u]);
                change = change.max((ns - s.soma_pa[u]).abs()).max((nd - s.dend_pa[u]).abs());
                s.soma_pa[u] = ns;
                s.dend_pa[u] = nd;
                let (e, p) = self.respond(u, ns, nd);
                s.er_hz[u] = e;
                s.bp[u] = p;
            }
            if change < 1e-7 {
                return (s, Some(it + 1));
            }
            // an oscillating iteration is damped further
            if change > last_change {
                damping = (damping * 0.7).max(0.02);
            }
            last_change = change;
        }
        (s, None)
    }

    /// Mean weight drift of every link per second in state `s` (0 for static links), with the
    /// reference rule's averages `avg` (one per link; unused by other rules).
    pub fn drift_per_s(&self, s: &State, avg: &[Averages]) -> Vec<f64> {
        self.links
            .iter()
            .zip(avg)
            .map(|(l, a)| {
                let (e_pre, e_post, p_post) = (s.er_hz[l.from], s.er_hz[l.to], s.bp[l.to]);
                match &l.rule {
                    None => 0.0,
                    Some(RuleParams::BurstCcn(r)) => {
                        // the rate model's learning signal delta = -(b - p_b e), one unit
                        let e = Mat::from_vec(1, 1, vec![e_post as f32]).expect("1 x 1");
                        let b = Mat::from_vec(1, 1, vec![(p_post * e_post) as f32]).expect("1 x 1");
                        let mut delta = Mat::zeros(1, 1);
                        burst_delta(&b, &e, r.p_baseline as f32, &mut delta);
                        -r.eta * delta.as_slice()[0] as f64 * r.tau_pre_ms * 1e-3 * e_pre
                    }
                    Some(RuleParams::Burst(r)) => {
                        // spec 5.1 averaged: bursts +1, events -min(P_bar, 1) (-1 before the first
                        // event, P_bar = 0/0), both plus h, the relative depression above theta_max
                        // of the event-rate estimate; homeostatic potentiation per presynaptic event
                        let h =
                            if a.e_bar_hz > r.theta_max_hz { -(a.e_bar_hz - r.theta_max_hz) / a.e_bar_hz } else { 0.0 };
                        let p_bar = if a.e_bar_hz > 0.0 { (a.b_bar_hz / a.e_bar_hz).min(1.0) } else { 1.0 };
                        let b = p_post * e_post;
                        r.eta * r.tau_pre_ms * 1e-3 * e_pre * (b * (1.0 + h) + e_post * (h - p_bar))
                            + r.eta * e_pre * (r.theta_min_hz - a.r_hom_hz).max(0.0)
                    }
                }
            })
            .collect()
    }

    /// The reference rule's averages at the start: empty estimates, r_hom at its initial value.
    pub(super) fn initial_averages(&self) -> Vec<Averages> {
        self.links
            .iter()
            .map(|l| match &l.rule {
                Some(RuleParams::Burst(r)) => Averages { e_bar_hz: 0.0, b_bar_hz: 0.0, r_hom_hz: r.r_hom_init_hz },
                _ => Averages::default(),
            })
            .collect()
    }

    /// Advances the averages by `dt_ms` in state `s` (exact low-pass of constant rates).
    pub(super) fn relax_averages(&self, avg: &mut [Averages], s: &State, dt_ms: f64) {
        for (a, l) in avg.iter_mut().zip(&self.links) {
            let Some(RuleParams::Burst(r)) = &l.rule else { continue };
            let (e, p) = (s.er_hz[l.to], s.bp[l.to]);
            let k = (-dt_ms / r.tau_avg_ms).exp();
            a.e_bar_hz = e + (a.e_bar_hz - e) * k;
            a.b_bar_hz = p * e + (a.b_bar_hz - p * e) * k;
            let target = match r.homeostasis {
                Homeostasis::Reference => e * (1.0 + p * self.units[l.to].transfer.shape.extra_spikes),
                Homeostasis::EventRate => a.e_bar_hz,
            };
            a.r_hom_hz = target + (a.r_hom_hz - target) * (-dt_ms / r.tau_hom_ms).exp();
        }
    }

    /// Solves the stationary state and lets the plastic weights drift for `duration_ms` in steps
    /// of `step_ms`, re-solving after each.
    pub fn integrate(&self, duration_ms: f64, step_ms: f64) -> Solution {
        let w0 = self.weights();
        let (initial, iters) = self.stationary(&w0, None);
        let mut converged = iters.is_some();
        let mut avg = self.initial_averages();
        let drift0 = self.drift_per_s(&initial, &avg);
        let mut w = w0.clone();
        let mut s = initial.clone();
        let n = self.units.len();
        let (mut er_avg, mut bp_avg) = (vec![0.0; n], vec![0.0; n]);
        let steps = if self.links.iter().any(|l| l.rule.is_some()) {
            (duration_ms / step_ms).ceil().max(1.0) as usize
        } else {
            0
        };
        let dt_s = if steps > 0 { duration_ms / steps as f64 * 1e-3 } else { 0.0 };
        for _ in 0..steps {
            let before = s.clone();
            // the averages over the step, then the drift they give (the step is short against
            // the weights' time scale, not always against tau_avg: hence the averages first)
            self.relax_averages(&mut avg, &s, dt_s * 1e3);
            let d = self.drift_per_s(&s, &avg);
            for ((wi, di), l) in w.iter_mut().zip(&d).zip(&self.links) {
                let (lo, hi) = l.rule.as_ref().map_or((f64::NEG_INFINITY, f64::INFINITY), bounds);
                *wi = (*wi + di * dt_s).clamp(lo, hi);
            }
            let (ns, it) = self.stationary(&w, Some(&s));
            converged &= it.is_some();
            s = ns;
            for u in 0..n {
                er_avg[u] += 0.5 * (before.er_hz[u] + s.er_hz[u]) / steps as f64;
                bp_avg[u] += 0.5 * (before.bp[u] + s.bp[u]) / steps as f64;
            }
        }
        if steps == 0 {
            er_avg.clone_from(&initial.er_hz);
            bp_avg.clone_from(&initial.bp);
        }
        Solution { initial, er_avg_hz: er_avg, bp_avg, w0, w_end: w, drift0_per_s: drift0, converged, duration_ms }
    }
}

/// The reference rule's running averages of a projection's target, as rates (Hz).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Averages {
    /// Ebar / tau_avg.
    pub e_bar_hz: f64,
    /// Bbar / tau_avg.
    pub b_bar_hz: f64,
    /// The homeostatic rate r_hom.
    pub r_hom_hz: f64,
}

/// The same STP parameters apart from the initial utilisation (the steady state forgets it).
fn same_set(a: &StpParams, b: &StpParams) -> bool {
    StpParams { u_init: b.u_init, ..*a } == *b
}

pub(super) fn bounds(r: &RuleParams) -> (f64, f64) {
    match r {
        RuleParams::BurstCcn(p) => (p.w_min, p.w_max),
        RuleParams::Burst(p) => (p.w_min, p.w_max),
    }
}

/// The mean field's answer.
#[derive(Clone, Debug)]
pub struct Solution {
    /// The stationary state with the initial weights.
    pub initial: State,
    /// ER averaged over the drift, Hz.
    pub er_avg_hz: Vec<f64>,
    /// BP averaged over the drift.
    pub bp_avg: Vec<f64>,
    /// Initial mean weight per link.
    pub w0: Vec<f64>,
    /// Mean weight per link after the drift.
    pub w_end: Vec<f64>,
    /// Drift per second at the start.
    pub drift0_per_s: Vec<f64>,
    /// Every stationary solve converged.
    pub converged: bool,
    /// Drift duration, ms.
    pub duration_ms: f64,
}
