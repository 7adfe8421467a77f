//! Synaptic weights: one per projection or one per synapse. A weight is a dimensionless jump of
//! conductance in units of the target compartment's leak conductance (spec 0.4, P2).

/// The weights part of a projection.
#[derive(Clone, Debug, PartialEq)]
pub enum Weights {
    /// Every synapse has the file's weight times a protocol factor (`weight_scale`).
    Shared {
        /// The weight from the model file.
        weight: f32,
        /// Factor set by `[[phase]]` entries (1 by default).
        scale: f32,
    },
    /// One weight per synapse, in CSR order (plastic projections, or any projection that asks).
    PerSynapse(Vec<f32>),
}

impl Weights {
    /// Mean weight over the synapses (the effective shared weight).
    pub fn mean(&self) -> f64 {
        match self {
            Weights::Shared { weight, scale } => (weight * scale) as f64,
            Weights::PerSynapse(w) if w.is_empty() => 0.0,
            Weights::PerSynapse(w) => w.iter().map(|&x| x as f64).sum::<f64>() / w.len() as f64,
        }
    }

    /// The per-synapse weights, if any.
    pub fn per_synapse(&self) -> Option<&[f32]> {
        match self {
            Weights::PerSynapse(w) => Some(w),
            Weights::Shared { .. } => None,
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.per_synapse().map_or(0, |w| w.len() * 4)
    }
}
