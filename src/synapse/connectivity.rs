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
    /// Every postsynaptic neuron gets `k` sources drawn uniformly (NEST's `fixed_indegree`);
    /// with `multapses` a source may be drawn more than once.
    FixedIndegree {
        /// Sources per target.
        k: usize,
        /// Draw with replacement.
        multapses: bool,
    },
    /// Every presynaptic neuron gets `k` targets drawn uniformly (NEST's `fixed_outdegree`).
    FixedOutdegree {
        /// Targets per source.
        k: usize,
        /// Draw with replacement.
        multapses: bool,
    },
    /// `n` synapses, each pair drawn uniformly from all allowed pairs (NEST's
    /// `fixed_total_number`).
    FixedTotal {
        /// Synapses.
        n: usize,
        /// Draw with replacement.
        multapses: bool,
    },
}

impl Connect {
    /// The most synapses the rule can make without multapses between `n_pre` and `n_post`
    /// neurons (`no_self`: i -> i excluded), against which its count is checked: the sources a
    /// target can have, the targets a source can have, or the pairs.
    pub fn capacity(&self, n_pre: usize, n_post: usize, no_self: bool) -> Option<usize> {
        let minus = |n: usize| if no_self { n.saturating_sub(1) } else { n };
        match *self {
            Connect::FixedIndegree { .. } => Some(minus(n_pre)),
            Connect::FixedOutdegree { .. } => Some(minus(n_post)),
            Connect::FixedTotal { .. } => Some(n_pre * n_post - if no_self { n_pre.min(n_post) } else { 0 }),
            _ => None,
        }
    }
}

/// Sparse connectivity, CSR by presynaptic neuron.
#[derive(Clone, Debug, Default)]
pub struct Csr {
    /// Row start of each presynaptic neuron in `targets`; length n_pre + 1.
    pub row_start: Vec<usize>,
    /// Postsynaptic indices, increasing within a row (non-decreasing with multapses; a
    /// projection with per-synapse delays orders each row by delay first).
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
            Connect::FixedIndegree { k, multapses } => {
                // Per block of targets, from the block's own stream (as the Bernoulli rule), so a
                // process owning a block draws exactly its synapses.
                let mut pairs = Vec::with_capacity(n_post * k);
                for b in 0..n_post.div_ceil(WIRING_BLOCK) {
                    let mut rng = stream_rng(seed, Stream::Wiring, &[stream, b as u64]);
                    for j in b * WIRING_BLOCK..((b + 1) * WIRING_BLOCK).min(n_post) {
                        let no_self = same_population && j < n_pre;
                        for i in draw_others(&mut rng, n_pre, no_self.then_some(j), k, multapses) {
                            pairs.push((i as u32, j as u32));
                        }
                    }
                }
                return Csr::from_pairs(n_pre, &pairs).0;
            }
            Connect::FixedOutdegree { k, multapses } => {
                // Per block of sources, each from its own stream.
                let mut pairs = Vec::with_capacity(n_pre * k);
                for b in 0..n_pre.div_ceil(WIRING_BLOCK) {
                    let mut rng = stream_rng(seed, Stream::Wiring, &[stream, b as u64]);
                    for i in b * WIRING_BLOCK..((b + 1) * WIRING_BLOCK).min(n_pre) {
                        let no_self = same_population && i < n_post;
                        for j in draw_others(&mut rng, n_post, no_self.then_some(i), k, multapses) {
                            pairs.push((i as u32, j as u32));
                        }
                    }
                }
                return Csr::from_pairs(n_pre, &pairs).0;
            }
            Connect::FixedTotal { n, multapses } => {
                // Pair indices over the allowed pairs, row-major; without self-connections
                // (square, same population) row i skips column i.
                let no_self = same_population && n_pre == n_post;
                let width = if no_self { n_post.saturating_sub(1) } else { n_post };
                let mut rng = stream_rng(seed, Stream::Wiring, &[stream]);
                let picks = draw_indices(&mut rng, n_pre * width, n, multapses);
                let pairs: Vec<(u32, u32)> = picks
                    .into_iter()
                    .map(|m| {
                        let (i, r) = (m / width, m % width);
                        let j = if no_self && r >= i { r + 1 } else { r };
                        (i as u32, j as u32)
                    })
                    .collect();
                return Csr::from_pairs(n_pre, &pairs).0;
            }
        }
        Csr { row_start, targets }
    }

    /// The CSR of explicit (pre, post) pairs, rows in pre order and each row by post (stable:
    /// repeated pairs keep their order), with `order[k]`, the index in `pairs` of synapse k, so
    /// per-synapse values given with the pairs can follow. Every pre must be below `n_pre`.
    pub fn from_pairs(n_pre: usize, pairs: &[(u32, u32)]) -> (Csr, Vec<usize>) {
        let mut order: Vec<usize> = (0..pairs.len()).collect();
        order.sort_by_key(|&k| pairs[k]);
        let mut row_start = vec![0usize; n_pre + 1];
        for &(i, _) in pairs {
            row_start[i as usize + 1] += 1;
        }
        for i in 0..n_pre {
            row_start[i + 1] += row_start[i];
        }
        let targets = order.iter().map(|&k| pairs[k].1).collect();
        (Csr { row_start, targets }, order)
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

/// `k` indices below `n` other than `skip`, drawn uniformly: distinct (and increasing) without
/// `multapses`, independent with. The caller has checked that enough indices exist.
fn draw_others(rng: &mut Rng, n: usize, skip: Option<usize>, k: usize, multapses: bool) -> Vec<usize> {
    let m = n - skip.is_some() as usize;
    let mut out = draw_indices(rng, m, k, multapses);
    if let Some(s) = skip {
        for x in &mut out {
            *x += (*x >= s) as usize;
        }
    }
    out
}

/// `k` indices below `m`: distinct and sorted without `multapses` (rand's `index::sample`),
/// independent uniform draws with.
fn draw_indices(rng: &mut Rng, m: usize, k: usize, multapses: bool) -> Vec<usize> {
    use rand::RngExt as _;
    if m == 0 || k == 0 {
        return Vec::new();
    }
    if multapses {
        return (0..k).map(|_| rng.random_range(0..m)).collect();
    }
    let mut v = rand::seq::index::sample(rng, m, k).into_vec();
    v.sort_unstable();
    v
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

    fn degrees(c: &Csr, n_post: usize) -> (Vec<usize>, Vec<usize>) {
        let mut indeg = vec![0; n_post];
        for &j in &c.targets {
            indeg[j as usize] += 1;
        }
        let outdeg = c.row_start.windows(2).map(|w| w[1] - w[0]).collect();
        (indeg, outdeg)
    }

    fn has_duplicates(c: &Csr) -> bool {
        (0..c.row_start.len() - 1).any(|i| c.row(i as u32).windows(2).any(|w| w[0] == w[1]))
    }

    #[test]
    fn degree_rules_give_exact_degrees() {
        let c = wire(Connect::FixedIndegree { k: 7, multapses: false }, 40, 600, false);
        let (indeg, _) = degrees(&c, 600);
        assert!(indeg.iter().all(|&d| d == 7) && !has_duplicates(&c));
        let c = wire(Connect::FixedOutdegree { k: 9, multapses: false }, 600, 30, true);
        let (_, outdeg) = degrees(&c, 30);
        assert!(outdeg[..30].iter().all(|&d| d == 9) && !has_duplicates(&c));
        assert!((0..30u32).all(|i| !c.row(i).contains(&i)), "no autapse");
        let c = wire(Connect::FixedTotal { n: 500, multapses: false }, 30, 30, true);
        assert_eq!(c.targets.len(), 500);
        assert!(!has_duplicates(&c) && (0..30u32).all(|i| !c.row(i).contains(&i)));
        // Every allowed pair: the whole matrix less the diagonal.
        let c = wire(Connect::FixedTotal { n: 870, multapses: false }, 30, 30, true);
        assert_eq!(c.targets, a_to_a(30));
        let c = wire(Connect::FixedIndegree { k: 29, multapses: false }, 30, 30, true);
        assert_eq!(c.targets, a_to_a(30));
        // With multapses a small source population must repeat pairs.
        let c = wire(Connect::FixedIndegree { k: 20, multapses: true }, 5, 50, false);
        assert!(degrees(&c, 50).0.iter().all(|&d| d == 20) && has_duplicates(&c));
    }

    #[test]
    fn explicit_pairs_keep_their_order_for_per_synapse_values() {
        let pairs = [(2, 0), (0, 3), (2, 1), (0, 1), (0, 3)];
        let (c, order) = Csr::from_pairs(4, &pairs);
        assert_eq!(c.row_start, vec![0, 3, 3, 5, 5]);
        assert_eq!(c.targets, vec![1, 3, 3, 0, 1]);
        assert_eq!(order, vec![3, 1, 4, 0, 2]);
    }

    fn a_to_a(n: u32) -> Vec<u32> {
        (0..n).flat_map(|i| (0..n).filter(move |&j| j != i)).collect()
    }
}
