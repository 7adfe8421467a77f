//! Random streams. Every stochastic object (a Poisson chunk, a projection's wiring, a population's
//! initial voltages) owns its own generator, seeded from the run seed and a stream label, so results
//! do not depend on the order in which objects are built or on the number of threads.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator used everywhere in burstsim.
pub type Rng = Xoshiro256PlusPlus;

/// SplitMix64 finaliser: a bijective 64-bit mix, used to turn (seed, labels) into a seed.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Stream kinds, so that e.g. population 0's Poisson stream and projection 0's wiring differ.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum Stream {
    /// Spike generation of a Poisson population (labels: population, chunk).
    Poisson = 1,
    /// Wiring of a projection (labels: projection, block of postsynaptic neurons).
    Wiring = 2,
    /// Initial membrane potentials (labels: population).
    InitialState = 3,
    /// Burst draws of a stochastic-burst population (labels: population, chunk).
    BurstDraws = 4,
    /// Example order of a shuffled `[protocol]` (labels: epoch).
    Examples = 5,
    /// Synthetic spike trains of the STP efficacy model (no labels; `meanfield::efficacy`).
    Efficacy = 6,
    /// Per-neuron parameters drawn from a distribution (labels: population, the parameter's
    /// place in its kind's table).
    Parameters = 7,
    /// Per-synapse weights and delays drawn from a distribution (labels: projection, 0 for
    /// weights or 1 for delays, presynaptic neuron).
    SynapseValues = 8,
}

/// A generator for `stream` with the given labels under the run `seed`.
pub fn stream_rng(seed: u64, stream: Stream, labels: &[u64]) -> Rng {
    let mut s = mix(seed ^ mix(stream as u64));
    for &l in labels {
        s = mix(s ^ mix(l.wrapping_add(0x1234_5678)));
    }
    Rng::seed_from_u64(s)
}

/// A uniform draw in (0, 1], safe to take the logarithm of.
#[inline]
pub fn uniform_open0(rng: &mut Rng) -> f64 {
    use rand::RngExt as _;
    1.0 - rng.random::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt as _;

    #[test]
    fn streams_differ_by_label_and_kind_and_repeat_for_same_inputs() {
        let a: u64 = stream_rng(1, Stream::Poisson, &[0, 0]).random();
        let b: u64 = stream_rng(1, Stream::Poisson, &[0, 1]).random();
        let c: u64 = stream_rng(1, Stream::Wiring, &[0, 0]).random();
        let d: u64 = stream_rng(2, Stream::Poisson, &[0, 0]).random();
        let a2: u64 = stream_rng(1, Stream::Poisson, &[0, 0]).random();
        assert_eq!(a, a2);
        assert!(a != b && a != c && a != d && b != c);
    }
}
