//! Connectivity: which presynaptic neuron reaches which postsynaptic neuron (spec 0.5), stored as
//! CSR by presynaptic neuron with u32 targets, so delivery walks one contiguous row per spike.

use crate::rng::{stream_rng, uniform_open0, Rng, Stream};

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

/// Postsynaptic neurons per wiring block. Probabilistic wiring draws the synapses onto each block of
/// this many consecutive postsynaptic neurons from a random stream of its own (labels: the
/// projection's stream, the block), so that a process owning some postsynaptic neurons can build
/// exactly its part of every projection, and the whole network is the same however it is split.
/// Part of the definition of a network: changing it rewires every model.
pub const WIRING_BLOCK: usize = 256;

impl Csr {
    /// Draws connectivity between `n_pre` and `n_post` neurons under run `seed` for the
    /// projection's stream label `stream`. `same_population` excludes self-connections (i -> i).
    /// Probabilistic wiring walks each block's pre x post pairs row by row with geometric skips
    /// (the reference's `connect_block_random`, applied per [`WIRING_BLOCK`]), so its cost is
    /// proportional to the number of synapses, not of pairs.
    pub fn wire(connect: Connect, n_pre: usize, n_post: usize, same_population: bool, seed: u64, stream: u64) -> Csr {
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
                let blocks: Vec<BlockWiring> = (0..n_post.div_ceil(WIRING_BLOCK))
                    .map(|b| BlockWiring::draw(p, n_pre, n_post, same_population, seed, stream, b))
                    .collect();
                return Csr::from_blocks(n_pre, &blocks);
            }
        }
        Csr { row_start, targets }
    }

    /// Assembles the CSR from the wiring of consecutive postsynaptic blocks: row i is block 0's
    /// row i, then block 1's, ..., so posts stay increasing within a row.
    fn from_blocks(n_pre: usize, blocks: &[BlockWiring]) -> Csr {
        let mut row_start = Vec::with_capacity(n_pre + 1);
        row_start.push(0usize);
        for i in 0..n_pre {
            let len: usize = blocks.iter().map(|b| b.row_len[i] as usize).sum();
            row_start.push(row_start[i] + len);
        }
        let mut targets = Vec::with_capacity(row_start[n_pre]);
        let mut cursor = vec![0usize; blocks.len()];
        for i in 0..n_pre {
            for (b, c) in blocks.iter().zip(&mut cursor) {
                let len = b.row_len[i] as usize;
                targets.extend_from_slice(&b.posts[*c..*c + len]);
                *c += len;
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

/// The synapses onto postsynaptic block `b` ([`WIRING_BLOCK`] neurons) of a projection wired with
/// probability `p`: what a process owning those neurons draws.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockWiring {
    /// Synapses of each presynaptic neuron onto the block.
    pub row_len: Vec<u32>,
    /// Their postsynaptic indices, by presynaptic neuron, increasing within a row.
    pub posts: Vec<u32>,
}

impl BlockWiring {
    /// Draws block `b` from its own stream (labels `stream`, `b`) under run `seed`.
    pub fn draw(p: f64, n_pre: usize, n_post: usize, same_population: bool, seed: u64, stream: u64, b: usize) -> Self {
        let first = b * WIRING_BLOCK;
        let width = WIRING_BLOCK.min(n_post.saturating_sub(first)) as u64;
        let mut row_len = vec![0u32; n_pre];
        let mut posts = Vec::with_capacity((n_pre as f64 * width as f64 * p * 1.05) as usize + 16);
        if width == 0 {
            return BlockWiring { row_len, posts };
        }
        let mut rng = stream_rng(seed, Stream::Wiring, &[stream, b as u64]);
        // log(1 - p): a skip of k pairs has probability (1-p)^k p.
        let ln_q = (-p).ln_1p();
        // pos walks the block's pairs row by row (pre-major); rows are followed without a division.
        let mut pos: u64 = if p >= 1.0 { 0 } else { skip(&mut rng, ln_q) };
        for (i, len) in row_len.iter_mut().enumerate() {
            let row_end = (i as u64 + 1) * width;
            while pos < row_end {
                let j = first as u64 + pos - i as u64 * width;
                if !(same_population && i as u64 == j) {
                    posts.push(j as u32);
                    *len += 1;
                }
                pos += if p >= 1.0 { 1 } else { 1 + skip(&mut rng, ln_q) };
            }
        }
        BlockWiring { row_len, posts }
    }

    /// The synapses as (pre, post) pairs, by pre then post.
    pub fn pairs(&self) -> Vec<(u32, u32)> {
        let mut out = Vec::with_capacity(self.posts.len());
        let mut k = 0;
        for (i, &len) in self.row_len.iter().enumerate() {
            out.extend(self.posts[k..k + len as usize].iter().map(|&j| (i as u32, j)));
            k += len as usize;
        }
        out
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

    fn wire(connect: Connect, n_pre: usize, n_post: usize, same: bool) -> Csr {
        Csr::wire(connect, n_pre, n_post, same, 5, 0)
    }

    #[test]
    fn probability_wiring_matches_p_and_skips_self() {
        // 1000 x 1000 pairs minus the diagonal at p = 0.05: mean 49 950, sd sqrt(n p (1-p)) = 218.
        let c = wire(Connect::Probability(0.05), 1000, 1000, true);
        let n = c.targets.len() as f64;
        assert!((n - 49_950.0).abs() < 4.0 * 218.0, "{n}");
        for i in 0..1000u32 {
            let r = c.row(i);
            assert!(!r.contains(&i), "self-connection at {i}");
            assert!(r.windows(2).all(|w| w[0] < w[1]));
            assert!(r.iter().all(|&j| j < 1000));
        }
        // In-degree spread: mean 50 per neuron (sd 7), every target reached by some source,
        // including the last, partial block (1000 = 3 x 256 + 232).
        let mut indeg = vec![0; 1000];
        for &j in &c.targets {
            indeg[j as usize] += 1;
        }
        assert!(indeg.iter().all(|&d| d > 20 && d < 90));
        // Out-degree too: the blocks' streams are independent, so rows are not correlated.
        assert!((0..1000u32).all(|i| (20..90).contains(&c.row(i).len())));
    }

    #[test]
    fn each_block_of_postsynaptic_neurons_is_wired_on_its_own() {
        // The synapses onto the neurons of block b are exactly block b's own draw: a process that
        // owns block b builds its part of the projection without the others.
        let (n_pre, n_post, p) = (300, 700, 0.1);
        let full = Csr::wire(Connect::Probability(p), n_pre, n_post, false, 9, 4);
        for b in 0..n_post.div_ceil(WIRING_BLOCK) {
            let lo = (b * WIRING_BLOCK) as u32;
            let hi = lo + WIRING_BLOCK as u32;
            let mut from_full = vec![];
            for i in 0..n_pre as u32 {
                from_full.extend(full.row(i).iter().filter(|&&j| j >= lo && j < hi).map(|&j| (i, j)));
            }
            assert_eq!(from_full, BlockWiring::draw(p, n_pre, n_post, false, 9, 4, b).pairs(), "block {b}");
        }
        // Another seed or stream gives another network.
        assert_ne!(full.targets, Csr::wire(Connect::Probability(p), n_pre, n_post, false, 9, 5).targets);
        assert_ne!(full.targets, Csr::wire(Connect::Probability(p), n_pre, n_post, false, 8, 4).targets);
    }

    #[test]
    fn deterministic_structures() {
        let o = wire(Connect::OneToOne, 5, 5, false);
        assert_eq!(o.targets, vec![0, 1, 2, 3, 4]);
        let a = wire(Connect::AllToAll, 3, 3, true);
        assert_eq!(a.targets, vec![1, 2, 0, 2, 0, 1]);
        let a = wire(Connect::AllToAll, 2, 3, false);
        assert_eq!(a.row(1), &[0, 1, 2]);
        let p1 = wire(Connect::Probability(1.0), 3, 3, true);
        assert_eq!(p1.targets, a_to_a(3));
        let p1 = wire(Connect::Probability(1.0), 2, 600, false);
        assert_eq!(p1.row(1), (0..600).collect::<Vec<u32>>().as_slice(), "across blocks");
        let p0 = wire(Connect::Probability(0.0), 30, 30, false);
        assert!(p0.targets.is_empty() && p0.row_start.len() == 31);
        let empty = wire(Connect::Probability(0.5), 4, 0, false);
        assert!(empty.targets.is_empty() && empty.row_start == vec![0; 5]);
    }

    fn a_to_a(n: u32) -> Vec<u32> {
        (0..n).flat_map(|i| (0..n).filter(move |&j| j != i)).collect()
    }
}
