//! Dense f32 matrices and the one matrix product everything goes through.
//!
//! Matrices are row-major. Products use `matrixmultiply::sgemm` (pure Rust, runtime-detected
//! AVX/FMA). Parallelism: the columns of the result are cut into a number of chunks fixed by the
//! shape ([`n_chunks`]), whatever the number of threads, and the chunks run on the current rayon
//! pool. Each
//! result element is therefore computed by the same kernel call in the same order for any thread
//! count, so results are bit-identical for 1, 2 or N threads.

use rand::{Rng, RngExt};
use rayon::prelude::*;

/// Products with fewer multiply-adds than this run on the calling thread.
pub const PAR_MIN_MACS: usize = 1 << 20;

/// Number of column chunks a product with `n` result columns is cut into: 1, 2 or 4, from `n`
/// alone (never from the thread count), so results do not depend on threads. Few chunks keep the
/// re-packing of the left operand (once per chunk) cheap; 4 balance well on 2 or 4 threads.
pub fn n_chunks(n: usize) -> usize {
    match n {
        0..128 => 1,
        128..256 => 2,
        _ => 4,
    }
}

/// Column range of chunk `ci` of `nchunks` over `n` columns (chunk widths rounded up to 16).
fn chunk_range(ci: usize, nchunks: usize, n: usize) -> (usize, usize) {
    let w = n.div_ceil(nchunks).div_ceil(16) * 16;
    let j0 = (ci * w).min(n);
    (j0, (j0 + w).min(n))
}

/// A row-major `rows × cols` matrix of f32.
///
/// Invariant: `as_slice().len() == rows() * cols()`. The fields are private and every constructor
/// and mutator keeps it, so the unchecked pointer arithmetic of [`gemm`] (which trusts the shape of
/// its operands) cannot be reached with data that does not match the shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Mat {
    rows: usize,
    cols: usize,
    /// `rows * cols` values, row-major.
    data: Vec<f32>,
}

/// A [`Mat::from_vec`] whose data does not have `rows × cols` values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {rows} × {cols} matrix needs {} values, got {len}", rows.saturating_mul(*cols))]
pub struct ShapeError {
    /// Requested rows.
    pub rows: usize,
    /// Requested columns.
    pub cols: usize,
    /// Length of the data given.
    pub len: usize,
}

/// `rows * cols`, panicking on overflow (a wrapped product would break the invariant of [`Mat`]).
fn n_values(rows: usize, cols: usize) -> usize {
    rows.checked_mul(cols).unwrap_or_else(|| panic!("a {rows} × {cols} matrix has more than usize::MAX values"))
}

impl Mat {
    /// A matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Mat { rows, cols, data: vec![0.0; n_values(rows, cols)] }
    }

    /// A `rows × cols` matrix holding `data` (row-major); refused unless `data` has exactly
    /// `rows * cols` values.
    pub fn from_vec(rows: usize, cols: usize, data: Vec<f32>) -> Result<Self, ShapeError> {
        match rows.checked_mul(cols) {
            Some(n) if n == data.len() => Ok(Mat { rows, cols, data }),
            _ => Err(ShapeError { rows, cols, len: data.len() }),
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// `(rows, cols)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The `rows * cols` values, row-major.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// The `rows * cols` values, row-major, for writing (the length, hence the shape, cannot change).
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// The values, row-major (`rows * cols` of them).
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }

    /// Resizes to `rows × cols` (contents unspecified afterwards; reuses the allocation).
    pub fn reshape(&mut self, rows: usize, cols: usize) {
        self.data.resize(n_values(rows, cols), 0.0);
        self.rows = rows;
        self.cols = cols;
    }

    /// I.i.d. normal entries N(0, std²).
    pub fn randn(rows: usize, cols: usize, std: f32, rng: &mut impl Rng) -> Self {
        let mut m = Mat::zeros(rows, cols);
        for x in m.data.iter_mut() {
            *x = std * standard_normal(rng);
        }
        m
    }

    /// The matrix as a product operand.
    pub fn v(&self) -> View<'_> {
        View { data: &self.data, rows: self.rows, cols: self.cols, rs: self.cols as isize, cs: 1 }
    }

    /// The transpose as a product operand (no copy).
    pub fn t(&self) -> View<'_> {
        self.v().t()
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Row `i`, for writing.
    pub fn row_mut(&mut self, i: usize) -> &mut [f32] {
        &mut self.data[i * self.cols..(i + 1) * self.cols]
    }
}

/// A borrowed, possibly transposed, strided matrix operand. Only made from a [`Mat`] (private
/// fields), so `data` always holds the `rows × cols` elements its strides address.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    rs: isize,
    cs: isize,
}

impl<'a> View<'a> {
    /// The transpose.
    pub fn t(self) -> Self {
        View { data: self.data, rows: self.cols, cols: self.rows, rs: self.cs, cs: self.rs }
    }
}

/// A raw pointer that may cross threads; used only for disjoint column blocks of one matrix.
#[derive(Clone, Copy)]
struct SendPtr(*mut f32);
// SAFETY: each parallel task writes a disjoint set of columns of the result (see `gemm`).
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

impl SendPtr {
    /// The pointer (a method, so closures capture the whole `SendPtr`, which is `Send`).
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// C ← α·A·B + β·C, with C a `A.rows × B.cols` matrix (reshaped if β = 0).
///
/// With β = 0 the previous contents of C are ignored (also NaN). Runs on the current rayon pool in
/// fixed column chunks (see the module doc).
pub fn gemm(alpha: f32, a: View<'_>, b: View<'_>, beta: f32, c: &mut Mat) {
    gemm_map(alpha, a, b, beta, c, None);
}

/// An element-wise epilogue of [`gemm_map`]: called as `f(j0, segment)` on every row segment
/// C[i, j0..j1] of a finished column chunk (so it runs on the thread that computed it).
pub type Epilogue<'f> = &'f (dyn Fn(usize, &mut [f32]) + Sync);

/// [`gemm`], then `epilogue` applied to each finished row segment inside the same parallel task
/// (one fork/join per product instead of two; waking pool threads costs more than small loops).
pub fn gemm_map(alpha: f32, a: View<'_>, b: View<'_>, beta: f32, c: &mut Mat, epilogue: Option<Epilogue<'_>>) {
    assert_eq!(a.cols, b.rows, "gemm: inner dimensions differ");
    let (m, k, n) = (a.rows, a.cols, b.cols);
    if beta == 0.0 {
        c.reshape(m, n);
    } else {
        assert!(c.rows == m && c.cols == n, "gemm: C has the wrong shape");
    }
    debug_assert_eq!(c.data.len(), m * n, "Mat invariant");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        for x in c.data.iter_mut() {
            *x *= beta;
        }
        if let Some(f) = epilogue {
            for row in c.data.chunks_exact_mut(n) {
                f(0, row);
            }
        }
        return;
    }
    let cp = SendPtr(c.data.as_mut_ptr());
    let nchunks = n_chunks(n);
    let run = |ci: usize| {
        let (j0, j1) = chunk_range(ci, nchunks, n);
        let nc = j1 - j0;
        if nc == 0 {
            return;
        }
        // SAFETY: a view only comes from a `Mat`, whose data has exactly rows × cols values (the
        // `Mat` invariant, kept by its private fields), with strides matching that shape; A is
        // m × k, B is k × n and C is m × n (checked above), so every element the kernel reads or
        // writes is in bounds. Chunk `ci` writes only columns j0..j0+nc of C, disjoint from every
        // other chunk.
        unsafe {
            matrixmultiply::sgemm(
                m,
                k,
                nc,
                alpha,
                a.data.as_ptr(),
                a.rs,
                a.cs,
                b.data.as_ptr().offset(j0 as isize * b.cs),
                b.rs,
                b.cs,
                beta,
                cp.get().add(j0),
                n as isize,
                1,
            );
            if let Some(f) = epilogue {
                for i in 0..m {
                    // SAFETY: row i, columns j0..j1 of C: inside C and owned by this chunk.
                    let seg = std::slice::from_raw_parts_mut(cp.get().add(i * n + j0), nc);
                    f(j0, seg);
                }
            }
        }
    };
    // small products run on the calling thread: waking a pool thread costs ~10–20 µs
    if nchunks == 1 || m * k * n < PAR_MIN_MACS {
        (0..nchunks).for_each(run);
    } else {
        (0..nchunks).into_par_iter().for_each(run);
    }
}

/// A standard normal draw (Box–Muller, f64 inside).
pub fn standard_normal(rng: &mut impl Rng) -> f32 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2: f64 = rng.random::<f64>();
    ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
}

/// Angle in degrees between two vectors, in f64 (the reference's `similarity`); NaN → 90°.
pub fn angle_deg(x: &[f32], y: &[f32]) -> f64 {
    let (mut xy, mut xx, mut yy) = (0.0f64, 0.0f64, 0.0f64);
    for (&a, &b) in x.iter().zip(y) {
        let (a, b) = (a as f64, b as f64);
        xy += a * b;
        xx += a * a;
        yy += b * b;
    }
    let cos = (xy / (xx.sqrt() * yy.sqrt())).clamp(-1.0, 1.0);
    let th = cos.acos().to_degrees();
    if th.is_nan() {
        90.0
    } else {
        th
    }
}

/// Logistic sigmoid σ(x) = 1 / (1 + e^{−x}).
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// The logistic function in double precision (the population limit's fits of p = sigma(...)).
pub fn sigmoid64(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn gemm_matches_naive_with_transposes() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        let a = Mat::randn(37, 150, 1.0, &mut rng);
        let b = Mat::randn(130, 150, 1.0, &mut rng);
        let mut c = Mat::zeros(0, 0);
        gemm(0.5, a.v(), b.t(), 0.0, &mut c);
        assert_eq!((c.rows(), c.cols()), (37, 130));
        for i in 0..37 {
            for j in 0..130 {
                let s: f32 = (0..150).map(|k| a.row(i)[k] * b.row(j)[k]).sum();
                assert!((c.row(i)[j] - 0.5 * s).abs() < 1e-3);
            }
        }
    }

    #[test]
    fn from_vec_refuses_a_shape_the_data_does_not_fill() {
        let m = Mat::from_vec(2, 3, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        assert_eq!((m.rows(), m.cols(), m.shape()), (2, 3, (2, 3)));
        assert_eq!(m.row(1), &[4.0, 5.0, 6.0]);
        let err = Mat::from_vec(2, 3, vec![0.0; 5]).unwrap_err();
        assert_eq!(err, ShapeError { rows: 2, cols: 3, len: 5 });
        assert_eq!(err.to_string(), "a 2 × 3 matrix needs 6 values, got 5");
        assert!(Mat::from_vec(3, 2, vec![0.0; 7]).is_err());
        // a product that overflows usize cannot be matched by any data (no wrap-around to 0)
        assert!(Mat::from_vec(usize::MAX, 2, Vec::new()).is_err());
        assert!(Mat::from_vec(1 << (usize::BITS - 1), 2, Vec::new()).is_err());
        assert!(Mat::from_vec(0, 5, Vec::new()).is_ok());
    }

    #[test]
    #[should_panic(expected = "more than usize::MAX values")]
    fn zeros_refuses_an_overflowing_shape() {
        let _ = Mat::zeros(1 << (usize::BITS - 1), 2);
    }

    #[test]
    fn shape_and_data_stay_together() {
        let mut m = Mat::zeros(2, 2);
        m.as_mut_slice()[3] = 1.0;
        m.row_mut(0)[1] = 2.0;
        assert_eq!(m.as_slice(), &[0.0, 2.0, 0.0, 1.0]);
        m.reshape(3, 5);
        assert_eq!(m.as_slice().len(), 15);
        let mut c = Mat::zeros(7, 1);
        gemm(1.0, m.v(), m.t(), 0.0, &mut c);
        assert_eq!((c.shape(), c.as_slice().len()), ((3, 3), 9));
        assert_eq!(c.into_vec().len(), 9);
    }

    #[test]
    fn angle_of_parallel_and_orthogonal() {
        assert!(angle_deg(&[1.0, 2.0], &[2.0, 4.0]) < 1e-5);
        assert!((angle_deg(&[1.0, 0.0], &[0.0, 3.0]) - 90.0).abs() < 1e-9);
        assert_eq!(angle_deg(&[0.0, 0.0], &[0.0, 3.0]), 90.0);
    }
}
