//! Long-term plasticity of projections.
//!
//! [`burst_rule`] holds the burst-dependent plasticity rule of the reference (spec section 5.1,
//! `AdaptiveEBCPConnection`): postsynaptic bursts potentiate, postsynaptic events depress in
//! proportion to the neuron's moving-average burst probability, both gated by the presynaptic event
//! trace. The module is pure logic: the engine classifies spikes into events and bursts
//! ([`crate::burst::BurstDetector`]), owns the weights and the connectivity, and calls the rule's
//! hooks in the order of a step (spec 0.2).

pub mod burst_rule;

pub use burst_rule::*;
