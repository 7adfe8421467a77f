//! The gaps of the pooled Poisson process (spec 6): from a spike at slot x the next is at x + G,
//! G = floor(E m + 1.5), E ~ Exp(1), m = 1/(r dt) - 1 (see `poisson`).
//!
//! G is discrete, so it can be drawn from its own distribution instead of through E:
//!
//! - P(G = 1) = 1 - e^(-1/(2m)), and for k >= 2, P(G = k) = e^(-(k - 3/2)/m) (1 - q) with q = e^(-1/m);
//! - past any k >= 2 the law is memoryless: P(G = k + h | G > k) = q^(h - 1) (1 - q), h >= 1.
//!
//! For a fast source (m small: the 500 Hz drives of Fig. 3 have m = 19) the gaps are drawn from a
//! 256-entry alias table (Walker's method: one 64-bit draw, an index and a comparison) of
//! G = 1..255 and a tail G > 255, whose excess is drawn from a second table of the memoryless law
//! (again with a tail, rarely taken). This is the same distribution, to the 2^-32 resolution of
//! the table's thresholds, at about a third of the cost of the ziggurat draw of E (measured: 7 ns a
//! gap through E, most of the time of a network driven by many fast sources). A slow source
//! (m > [`TABLE_MAX_MEAN`]) would often take the tails, and its gaps cost little anyway: it draws E.

use crate::rng::Rng;
use rand::RngExt as _;
use rand_distr::{Distribution, Exp1};

/// Largest m (mean gap minus one, slots) drawn by table: the tail of the first table is then taken
/// with probability e^(-254.5/64) < 2 %, and each tail draw costs one more table draw.
pub const TABLE_MAX_MEAN: f64 = 64.0;

/// Entries of an alias table (the index is the top 8 bits of a draw).
const N: usize = 256;

/// How a source draws its gaps.
#[derive(Clone, Debug)]
pub enum Gaps {
    /// No spikes (rate 0).
    Never,
    /// Through E ~ Exp(1), for a slow source: floor(E m + 1.5).
    Exp(f64),
    /// From the alias tables of G and of its excess over 255.
    Table(Box<[Alias; 2]>),
}

impl Gaps {
    /// The gaps of a source whose mean gap is `mean_extra` + 1 slots (infinite: no spikes).
    pub fn new(mean_extra: f64) -> Self {
        if !mean_extra.is_finite() {
            return Gaps::Never;
        }
        if mean_extra > TABLE_MAX_MEAN {
            return Gaps::Exp(mean_extra);
        }
        let m = mean_extra;
        let q = (-1.0 / m).exp();
        // P(G = 1), P(G = k) for k = 2..=255, then the tail P(G > 255) = e^(-(255 - 1/2)/m).
        let mut gap = [0.0f64; N];
        gap[0] = -(-0.5 / m).exp_m1();
        for (j, p) in gap.iter_mut().enumerate().take(N - 1).skip(1) {
            let k = (j + 1) as f64;
            *p = (-(k - 1.5) / m).exp() * (1.0 - q);
        }
        gap[N - 1] = (-(N as f64 - 1.5) / m).exp();
        // The excess h = 1..=255 over a tail, then its own tail q^255.
        let mut excess = [0.0f64; N];
        for (j, p) in excess.iter_mut().enumerate().take(N - 1) {
            *p = q.powi(j as i32) * (1.0 - q);
        }
        excess[N - 1] = q.powi(N as i32 - 1);
        Gaps::Table(Box::new([Alias::new(&gap), Alias::new(&excess)]))
    }

    /// One gap, in slots (>= 1).
    #[inline(always)]
    pub fn draw(&self, rng: &mut Rng) -> u64 {
        match self {
            Gaps::Never => u64::MAX,
            Gaps::Exp(m) => {
                let e: f64 = Exp1.sample(rng);
                (e * m + 1.5) as u64
            }
            Gaps::Table(t) => {
                let j = t[0].draw(rng);
                if j < N - 1 {
                    return j as u64 + 1;
                }
                // G > 255: the memoryless excess, 255 more for each of its tails
                let mut g = (N - 1) as u64;
                loop {
                    let h = t[1].draw(rng);
                    if h < N - 1 {
                        return g + h as u64 + 1;
                    }
                    g += (N - 1) as u64;
                }
            }
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        match self {
            Gaps::Table(_) => std::mem::size_of::<[Alias; 2]>(),
            _ => 0,
        }
    }
}

/// A 256-outcome alias table: outcome j is kept when the low 32 bits of the draw are below
/// `keep[j]` (of 2^32), else it is `alias[j]`.
#[derive(Clone, Debug)]
pub struct Alias {
    keep: [u64; N],
    alias: [u8; N],
}

impl Alias {
    /// Vose's construction, in f64, for probabilities `p` (summing to 1 up to rounding).
    fn new(p: &[f64; N]) -> Self {
        let total: f64 = p.iter().sum();
        let mut scaled: Vec<f64> = p.iter().map(|&x| x * N as f64 / total).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..N).partition(|&j| scaled[j] < 1.0);
        let mut keep = [1u64 << 32; N];
        let mut alias = [0u8; N];
        for (j, a) in alias.iter_mut().enumerate() {
            *a = j as u8;
        }
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            keep[s] = (scaled[s] * 4_294_967_296.0).round() as u64;
            alias[s] = l as u8;
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // What is left has probability 1 up to rounding: kept always (the defaults).
        Alias { keep, alias }
    }

    /// One outcome.
    #[inline(always)]
    fn draw(&self, rng: &mut Rng) -> usize {
        let bits: u64 = rng.random();
        let j = (bits >> 56) as usize;
        // a conditional move: the alias is taken at random, so a branch would mispredict often
        std::hint::select_unpredictable((bits & 0xFFFF_FFFF) < self.keep[j], j, self.alias[j] as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream_rng, Stream};

    /// The exact law of G = floor(E m + 1.5).
    fn p_gap(k: u64, m: f64) -> f64 {
        let cdf = |x: f64| if x <= 0.0 { 0.0 } else { 1.0 - (-x / m).exp() };
        cdf(k as f64 - 0.5) - cdf(k as f64 - 1.5)
    }

    #[test]
    fn table_draws_follow_the_law_of_the_gap() {
        // m = 19 (500 Hz at dt 0.1 ms) and m = 60 (near the table's limit, tails taken ~1.5 %):
        // 2 000 000 draws; each probability mass of G = 1..=80 and of the bins 81-160, 161-400
        // and > 400 within 5 standard errors of its count, and the mean within 5 standard errors
        // of 1/(r dt) = m + 1.
        for m in [19.0, 60.0] {
            let gaps = Gaps::new(m);
            assert!(matches!(gaps, Gaps::Table(_)));
            let mut rng = stream_rng(11, Stream::Poisson, &[0]);
            let n = 2_000_000u64;
            let mut counts = vec![0u64; 402];
            let (mut sum, mut sq) = (0.0f64, 0.0f64);
            for _ in 0..n {
                let g = gaps.draw(&mut rng);
                counts[g.min(401) as usize] += 1;
                sum += g as f64;
                sq += (g * g) as f64;
            }
            assert_eq!(counts[0], 0, "a gap is at least one slot");
            let check = |lo: u64, hi: u64| {
                let p: f64 = (lo..=hi).map(|k| p_gap(k, m)).sum();
                let c: u64 = counts[lo as usize..=hi as usize].iter().sum();
                let se = (n as f64 * p * (1.0 - p)).sqrt().max(1.0);
                assert!((c as f64 - n as f64 * p).abs() < 5.0 * se, "m {m}, G in {lo}..={hi}: {c} vs {}", n as f64 * p);
            };
            (1..=80).for_each(|k| check(k, k));
            check(81, 160);
            check(161, 400);
            let tail: f64 = 1.0 - (1..=400).map(|k| p_gap(k, m)).sum::<f64>();
            let se = (n as f64 * tail).sqrt().max(1.0);
            assert!((counts[401] as f64 - n as f64 * tail).abs() < 5.0 * se + 1.0, "m {m}: tail {}", counts[401]);
            let mean = sum / n as f64;
            let sd_mean = ((sq / n as f64 - mean * mean) / n as f64).sqrt();
            assert!((mean - (m + 1.0)).abs() < 5.0 * sd_mean, "m {m}: mean {mean}");
        }
    }

    #[test]
    fn slow_sources_draw_through_e_and_silent_ones_never_spike() {
        assert!(matches!(Gaps::new(TABLE_MAX_MEAN * 2.0), Gaps::Exp(_)));
        assert!(matches!(Gaps::new(f64::INFINITY), Gaps::Never));
        let mut rng = stream_rng(1, Stream::Poisson, &[0]);
        assert_eq!(Gaps::new(f64::INFINITY).draw(&mut rng), u64::MAX);
    }

    #[test]
    fn alias_table_keeps_each_outcome_with_its_probability() {
        // The table's own arithmetic: the exact share of the 2^40 draws (index, low 32 bits)
        // that yield each outcome equals its probability to 2^-32 per entry.
        let mut p = [0.0f64; N];
        for (j, x) in p.iter_mut().enumerate() {
            *x = (j % 7 + 1) as f64;
        }
        let total: f64 = p.iter().sum();
        let a = Alias::new(&p);
        let mut share = [0.0f64; N];
        for j in 0..N {
            let kept = a.keep[j].min(1 << 32) as f64 / 4_294_967_296.0;
            share[j] += kept / N as f64;
            share[a.alias[j] as usize] += (1.0 - kept) / N as f64;
        }
        for j in 0..N {
            assert!((share[j] - p[j] / total).abs() < 1e-9, "outcome {j}: {} vs {}", share[j], p[j] / total);
        }
    }
}
