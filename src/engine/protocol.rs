//! Protocols: timed changes applied at the start of a step (`[[phase]]` entries), e.g. the
//! reference's `sys->run(T)` followed by setters (spec 7.2: plasticity switched on after warm-up,
//! dendritic drive scaled, a current switched on).

use crate::neuron::Population;
use crate::plasticity::Estimates;
use crate::stimulus::{CurrentInput, Teacher, Waveform};
use crate::synapse::Projection;

/// One change.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Switch a projection's plasticity on or off.
    Plasticity {
        /// Projection index.
        projection: usize,
        /// On or off.
        on: bool,
    },
    /// Set the factor on a static projection's file weight.
    WeightScale {
        /// Projection index.
        projection: usize,
        /// Factor.
        scale: f64,
    },
    /// Set a Poisson population's rate.
    Rate {
        /// Population index.
        population: usize,
        /// Rate, Hz.
        hz: f64,
    },
    /// Switch a teacher on with a target (its currents computed from the estimates now), or off.
    Teacher {
        /// Teacher index.
        teacher: usize,
        /// The target; `None` switches it off.
        target: Option<f64>,
    },
    /// Set a current input's value (constant) or amplitude (sine), pA.
    Current {
        /// Current input index.
        input: usize,
        /// pA.
        pa: f64,
    },
}

/// Changes sorted by step.
#[derive(Clone, Debug, Default)]
pub struct Protocol {
    events: Vec<(u64, Action)>,
    next: usize,
}

impl Protocol {
    /// A protocol from (step, action) pairs; applied in step order, file order within a step.
    pub fn new(mut events: Vec<(u64, Action)>) -> Self {
        events.sort_by_key(|e| e.0);
        Protocol { events, next: 0 }
    }

    /// Number of changes.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when there is no change.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Saves or restores how many changes have been applied, with a hash of them: a continued
    /// run may be longer (its protocol then holds more changes, e.g. more examples), but the
    /// changes already applied must be the model's first ones.
    pub(super) fn persist(&mut self, io: &mut crate::persist::StateIo) {
        let hash = |events: &[(u64, Action)]| -> u64 {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in events.iter().flat_map(|(s, a)| format!("{s} {a:?};").into_bytes()) {
                h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
            }
            h
        };
        let mut applied = self.next;
        io.index("applied", &mut applied);
        let mut h = hash(&self.events[..self.next]);
        io.value("applied_hash", &mut h);
        if io.is_saving() {
            return;
        }
        if applied > self.events.len() || hash(&self.events[..applied]) != h {
            io.problem(
                "applied_hash",
                format!("the {applied} protocol changes applied before the save are not the model's first ones"),
            );
            return;
        }
        self.next = applied;
    }

    /// The changes due at `step`, removed from the queue.
    pub(super) fn due(&mut self, step: u64) -> Vec<Action> {
        let mut out = Vec::new();
        while self.next < self.events.len() && self.events[self.next].0 <= step {
            out.push(self.events[self.next].1.clone());
            self.next += 1;
        }
        out
    }
}

/// Applies one change to the network's parts in the protocol phase of clock step `step`
/// (indices validated by the model builder).
pub(super) fn apply(
    action: &Action,
    step: u64,
    projections: &mut [Projection],
    populations: &mut [Population],
    currents: &mut [CurrentInput],
    teachers: &mut [Teacher],
    estimates: &[Estimates],
) {
    match *action {
        Action::Plasticity { projection, on } => projections[projection].set_plasticity(on),
        Action::WeightScale { projection, scale } => projections[projection].set_weight_scale(scale as f32),
        Action::Rate { population, hz } => {
            if let Population::Poisson(p) = &mut populations[population] {
                p.change_rate(step, hz);
            }
        }
        Action::Teacher { teacher, target } => {
            let t = &mut teachers[teacher];
            t.set(target, &estimates[t.target.0 as usize]);
        }
        Action::Current { input, pa } => match &mut currents[input].waveform {
            Waveform::Constant { current_pa } => *current_pa = pa,
            Waveform::Sine { amplitude_pa, .. } => *amplitude_pa = pa,
            Waveform::Piecewise(_) | Waveform::PerNeuron(_) => {}
        },
    }
}

/// What an example window is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExampleKind {
    /// A test before training: the pattern alone, no plasticity, no teacher.
    TestBefore = 0,
    /// Training: a prediction window, then a learning window (plasticity and teachers on).
    Training = 1,
    /// A test after training.
    TestAfter = 2,
}

/// One presented example (a `[protocol]` window).
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    /// Training epoch (0-based; tests: 0 before, the number of epochs after).
    pub epoch: u32,
    /// What the window is for.
    pub kind: ExampleKind,
    /// Pattern index.
    pub pattern: usize,
    /// First step.
    pub start_step: u64,
    /// First step of the learning window (training only).
    pub learn_step: Option<u64>,
    /// First step after the example.
    pub end_step: u64,
}

/// The examples of a `[protocol]`, in presentation order, with what the recorder needs to score
/// them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExampleSchedule {
    /// Pattern names.
    pub patterns: Vec<String>,
    /// `targets[p][t]`: pattern p's target for teacher t (`None`: the pattern gives none).
    pub targets: Vec<Vec<Option<f64>>>,
    /// The examples.
    pub examples: Vec<Example>,
    /// Training epochs.
    pub epochs: u32,
}
