//! A Poisson drive fused into its projection (see `Network::fuse_drives`): the deliver phase of a
//! one-to-one projection whose source is generated as its spikes arrive.

use super::{Projection, Weights};
use crate::neuron::Poisson;

impl Projection {
    /// True when a Poisson source read only by this projection can be fused into it (see
    /// [`Projection::deliver_drive`]): one-to-one, one delay, every spike transmitted with its
    /// weight alone (no STP, no filter, no rule).
    pub fn can_fuse_source(&self) -> bool {
        self.identity && self.queue.is_empty() && self.groups.is_none() && self.plasticity.is_none()
    }

    /// Deliver phase of a projection whose Poisson source is fused into it (a drive): the
    /// source's spikes of `delay` steps ago are generated now and added to the targets,
    /// g[i] += w (or w_i), in the same order and with the same values as
    /// [`Projection::deliver`] would add them from the source's delay ring.
    pub fn deliver_drive(&mut self, step: u64, source: &mut Poisson, g: &mut [f32]) -> u64 {
        assert!(
            self.can_fuse_source() && source.fused_lag() == self.cfg.delay_steps,
            "projection {}: a fused drive",
            self.cfg.name
        );
        let g = &mut g[..self.n_post];
        match &self.weights {
            Weights::Shared { weight, scale } => {
                let w = weight * scale;
                source.step_into(step, |i| g[i as usize] += w)
            }
            Weights::PerSynapse(w) => source.step_into(step, |i| g[i as usize] += w[i as usize]),
        }
    }
}
