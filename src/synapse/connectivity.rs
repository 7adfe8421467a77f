//! Connectivity: which presynaptic neuron reaches which postsynaptic neuron (spec 0.5), stored as
//! CSR by presynaptic neuron with u32 targets, so delivery walks one contiguous row per spike.

use crate::rng::{uniform_open0, Rng};

/// How pairs are connected.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Connect {
    /// Each pair independently with probability p; no self-connections when source = target.
    Probability(f64),
    /// Neuron i to neuron i (sizes must match).
    OneToOne,
    /// Every pair (no self-connections when source = target).
    AllToAll,
}

/// Sparse connectivity, CSR by presynaptic neuron.
#[derive(Clone, Debug, Default)]
pub struct Csr {
    /// Row start of each presynaptic neuron in `targets`; length n_pre + 1.
    pub row_start: Vec<usize>,
    /// Postsynaptic indices, increasing within a row.
    pub targets: Vec<u32>,
}

impl Csr {
    /// Draws connectivity between `n_pre` and `n_post` neurons. `same_population` excludes
    /// self-connections (i -> i). Probabilistic wiring walks the pre x post matrix row by row with
    /// geometric skips (the reference's `connect_block_random`), so its cost is proportional to the
    /// number of synapses, not of pairs.
    pub fn generate(connect: Connect, n_pre: usize, n_post: usize, same_population: bool, rng: &mut Rng) -> Csr {
        let mut row_start = Vec::with_capacity(n_pre + 1);
        let mut targets = Vec::new();
        row_start.push(0);
        match connect {
            Connect::OneToOne => {
                for i in 0..n_pre {
                    if i < n_post && !same_population {
                        targets.push(i as u32);
                    }
                    row_start.push(targets.len());
                }
            }
            Connect::AllToAll => {
                for i in 0..n_pre {
                    targets.extend((0..n_post as u32).filter(|&j| !(same_population && j as usize == i)));
                    row_start.push(targets.len());
                }
            }
            Connect::Probability(p) => {
                let total = (n_pre as u64) * (n_post as u64);
                targets.reserve((total as f64 * p * 1.05) as usize + 16);
                // log(1 - p): a skip of k pairs has probability (1-p)^k p.
                let ln_q = (-p).ln_1p();
                let mut pos: u64 = if p >= 1.0 { 0 } else { skip(rng, ln_q) };
                for i in 0..n_pre as u64 {
                    let row_end = (i + 1) * n_post as u64;
                    while pos < row_end {
                        let j = (pos - i * n_post as u64) as u32;
                        if !(same_population && j as u64 == i) {
                            targets.push(j);
                        }
                        pos += if p >= 1.0 { 1 } else { 1 + skip(rng, ln_q) };
                    }
                    row_start.push(targets.len());
                }
            }
        }
        Csr { row_start, targets }
    }

    /// Targets of presynaptic neuron `i`.
    #[inline]
    pub fn row(&self, i: u32) -> &[u32] {
        &self.targets[self.row_start[i as usize]..self.row_start[i as usize + 1]]
    }
}

/// Number of pairs skipped before the next connection: Geometric(p) on {0, 1, ...}.
#[inline]
fn skip(rng: &mut Rng, ln_q: f64) -> u64 {
    if ln_q == 0.0 {
        return u64::MAX / 2; // p = 0: never connect
    }
    let k = uniform_open0(rng).ln() / ln_q;
    if k >= (u64::MAX / 4) as f64 {
        u64::MAX / 4
    } else {
        k as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream_rng, Stream};

    fn rng() -> Rng {
        stream_rng(5, Stream::Wiring, &[0])
    }

    #[test]
    fn probability_wiring_matches_p_and_skips_self() {
        // 1000 x 1000 pairs minus the diagonal at p = 0.05: mean 49 950, sd sqrt(n p (1-p)) = 218.
        let c = Csr::generate(Connect::Probability(0.05), 1000, 1000, true, &mut rng());
        let n = c.targets.len() as f64;
        assert!((n - 49_950.0).abs() < 4.0 * 218.0, "{n}");
        for i in 0..1000u32 {
            let r = c.row(i);
            assert!(!r.contains(&i), "self-connection at {i}");
            assert!(r.windows(2).all(|w| w[0] < w[1]));
            assert!(r.iter().all(|&j| j < 1000));
        }
        // In-degree spread: mean 50 per neuron, every target reached by some source.
        let mut indeg = vec![0; 1000];
        for &j in &c.targets {
            indeg[j as usize] += 1;
        }
        assert!(indeg.iter().all(|&d| d > 20 && d < 90));
    }

    #[test]
    fn deterministic_structures() {
        let o = Csr::generate(Connect::OneToOne, 5, 5, false, &mut rng());
        assert_eq!(o.targets, vec![0, 1, 2, 3, 4]);
        let a = Csr::generate(Connect::AllToAll, 3, 3, true, &mut rng());
        assert_eq!(a.targets, vec![1, 2, 0, 2, 0, 1]);
        let a = Csr::generate(Connect::AllToAll, 2, 3, false, &mut rng());
        assert_eq!(a.row(1), &[0, 1, 2]);
        let p1 = Csr::generate(Connect::Probability(1.0), 3, 3, true, &mut rng());
        assert_eq!(p1.targets, a_to_a(3));
        let p0 = Csr::generate(Connect::Probability(0.0), 30, 30, false, &mut rng());
        assert!(p0.targets.is_empty() && p0.row_start.len() == 31);
    }

    fn a_to_a(n: u32) -> Vec<u32> {
        (0..n).flat_map(|i| (0..n).filter(move |&j| j != i)).collect()
    }
}
