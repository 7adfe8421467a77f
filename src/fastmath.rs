//! A vectorisable single-precision exponential for the per-neuron hot loops (DESIGN.md
//! "Performance notes"). libm's `expf` is a call the compiler cannot vectorise; this one is plain
//! arithmetic, so a loop over neurons using it compiles to SIMD.
//!
//! exp(x) = 2^n e^r with n = round(x / ln 2) and |r| <= ln(2)/2, e^r from its degree-6 Taylor
//! polynomial (remainder < r^7/7! < 2.2e-7 relative), 2^n built in the exponent bits. Inputs are
//! clamped to [-87, 88] so that 2^n stays a normal float. The relative error bound (test below) is
//! 3e-7, i.e. a few float ulps, well under the resolution of any quantity it feeds.

/// e^x for f32, relative error below 3e-7 on [-87, 88] (clamped outside).
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split in a high part exact in f32 and a low correction (Cody-Waite).
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // Round to nearest by adding and removing 1.5 * 2^23 (exact for |y| < 2^22): `f32::round` is a
    // library call on baseline x86-64 and would keep the loop from vectorising.
    const ROUNDER: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2E + ROUNDER) - ROUNDER;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // Horner form of 1 + r + r^2/2 + ... + r^6/720.
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    // 2^n from the bits of 2^23 + (n + 127), whose low mantissa bits hold n + 127 exactly: integer
    // operations on the bit pattern, no (saturating, unvectorisable) float-to-int conversion.
    let biased = (n + (127.0 + 8_388_608.0)).to_bits() - 0x4B00_0000;
    let scale = f32::from_bits(biased << 23);
    p * scale
}

/// Below this a decaying non-negative quantity (a conductance, a spike trace, an adaptation
/// variable) is set to 0: left alone, exponential decay walks it into the subnormal floats, whose
/// arithmetic is ~100x slower on x86 (a silent 4000-neuron network ran 30x slower), and 1e-30 is
/// far below anything it can add to a potential in mV.
pub const FLUSH_BELOW: f32 = 1e-30;

/// `x * factor`, flushed to 0 below [`FLUSH_BELOW`] (branch-free, so loops stay SIMD).
#[inline(always)]
pub fn decay(x: f32, factor: f32) -> f32 {
    let y = x * factor;
    if y.abs() < FLUSH_BELOW {
        0.0
    } else {
        y
    }
}

/// 1 / (1 + exp(-x)) with [`exp_f32`].
#[inline(always)]
pub fn sigmoid_f32(x: f32) -> f32 {
    1.0 / (1.0 + exp_f32(-x))
}

/// The instruction set a hot loop runs with. The same Rust source is compiled once per level
/// ([`simd_kernel!`]), without fused multiply-add and in the same operation order, so every level
/// gives bit-identical results: only the vector width changes (4 floats on baseline x86-64, 8
/// with AVX2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Simd {
    /// The target's baseline (SSE2 on x86-64).
    Baseline,
    /// x86-64 with AVX2 (256-bit float and integer vectors), detected at run time.
    Avx2,
}

impl Simd {
    /// The best level this CPU runs, detected once per process.
    #[inline]
    pub fn detected() -> Simd {
        static LEVEL: std::sync::OnceLock<Simd> = std::sync::OnceLock::new();
        *LEVEL.get_or_init(|| {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                return Simd::Avx2;
            }
            Simd::Baseline
        })
    }

    /// Every level this CPU runs (for tests that compare them).
    pub fn available() -> Vec<Simd> {
        let mut v = vec![Simd::Baseline];
        if Simd::detected() == Simd::Avx2 {
            v.push(Simd::Avx2);
        }
        v
    }
}

/// Defines `fn NAME(level: Simd, args..) -> R` running `body` compiled for `level`: an inner
/// `#[inline(always)]` function holding the body, called from a baseline wrapper and from an
/// AVX2 wrapper (`#[target_feature(enable = "avx2")]`, no FMA), so the two are the same source.
/// A level the CPU lacks must not be passed (take it from [`Simd::detected`] or
/// [`Simd::available`]); on other architectures every level runs the baseline.
#[macro_export]
macro_rules! simd_kernel {
    // A kernel generic over how it reads its constants (`neuron::params::At`): one copy per
    // type and SIMD level.
    ($(#[$m:meta])* $vis:vis fn $name:ident<$g:ident : $bound:path>($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$m])*
        $vis fn $name<$g: $bound>(level: $crate::fastmath::Simd, $($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body<$g: $bound>($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            fn avx2<$g: $bound>($($arg: $ty),*) $(-> $ret)? {
                body::<$g>($($arg),*)
            }
            match level {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: the caller passes Avx2 only when the CPU has it (Simd::detected).
                $crate::fastmath::Simd::Avx2 => unsafe { avx2::<$g>($($arg),*) },
                _ => body::<$g>($($arg),*),
            }
        }
    };
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$m])*
        $vis fn $name(level: $crate::fastmath::Simd, $($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            fn avx2($($arg: $ty),*) $(-> $ret)? {
                body($($arg),*)
            }
            match level {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: the caller passes Avx2 only when the CPU has it (Simd::detected).
                $crate::fastmath::Simd::Avx2 => unsafe { avx2($($arg),*) },
                _ => body($($arg),*),
            }
        }
    };
}

/// What the tests comparing the SIMD levels of a kernel share: deterministic inputs, state as
/// bits, and the comparison of every level with the baseline.
#[cfg(test)]
pub(crate) mod level_tests {
    use super::Simd;

    /// A deterministic spread of values in [lo, hi) for neuron `i` and variable `k`.
    pub fn spread(i: usize, k: u64, lo: f32, hi: f32) -> f32 {
        let h = (i as u64 ^ (k << 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        lo + (hi - lo) * (h as f32 / (1u64 << 24) as f32)
    }

    /// The bit patterns of a state vector (so that NaNs and signed zeros compare too).
    pub fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// `steps` steps of a population kernel (`step`), with `kick(pop, k)` before every
    /// `every`-th step: the spikes of each step.
    pub fn drive<P>(
        pop: &mut P,
        steps: u64,
        every: u64,
        mut kick: impl FnMut(&mut P, u64),
        mut step: impl FnMut(&mut P, &mut Vec<u32>),
    ) -> Vec<Vec<u32>> {
        let mut out = vec![];
        for k in 0..steps {
            if k % every == 0 {
                kick(pop, k);
            }
            let mut spikes = vec![];
            step(pop, &mut spikes);
            out.push(spikes);
        }
        out
    }

    /// Runs `run` at the baseline and at every other level this CPU has, asserting that each
    /// gives the baseline's result; returns it.
    pub fn assert_levels_agree<T: PartialEq>(what: &str, run: impl Fn(Simd) -> T) -> T {
        let base = run(Simd::Baseline);
        for level in Simd::available() {
            assert!(run(level) == base, "{what}: {level:?} differs from the baseline");
        }
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_error_below_3e7_over_the_range() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x <= 88.0 {
            let exact = (x as f64).exp();
            let err = ((exp_f32(x) as f64 - exact) / exact).abs();
            worst = worst.max(err);
            x += 0.000_73;
        }
        assert!(worst < 3e-7, "worst relative error {worst:e}");
        assert_eq!(exp_f32(0.0), 1.0);
        // Clamped, finite, at the extremes.
        assert!(exp_f32(-1000.0) > 0.0 && exp_f32(1000.0).is_finite());
    }

    #[test]
    fn sigmoid_matches_the_exact_one() {
        for k in -400..=400 {
            let x = k as f32 * 0.05;
            let exact = 1.0 / (1.0 + (-(x as f64)).exp());
            assert!((sigmoid_f32(x) as f64 - exact).abs() < 1e-7, "{x}");
        }
    }
}
