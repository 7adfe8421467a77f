//! The rate model's transfer functions, fitted to a measured sweep (issue 13 item 1).
//!
//! Event rate against the somatic input, with an optional mixing of the dendritic input
//! (x = I_s + kappa I_d; for the Naud cell the dendrite drives the soma through g_s f(V_d)):
//!
//! ```text
//!   sigmoid      ER = a + c sigma(alpha (x - gamma))      (the form of the reference's analysis)
//!   softplus     ER = a + c log(1 + exp(alpha (x - gamma)))
//!   exponential  ER = a + exp(alpha (x - gamma))
//! ```
//!
//! Burst probability against the dendritic input, with an optional somatic term
//! (y = I_d + lambda I_s; for the stochastic-burst cell the soma sets the driving force of the
//! dendritic synapses, P1):
//!
//! ```text
//!   sigmoid         BP = sigma(alpha (y - gamma))
//!   scaled sigmoid  BP = lo + (hi - lo) sigma(alpha (y - gamma))
//! ```
//!
//! Each form is fitted by Levenberg-Marquardt from several starts; the forms are ranked by the
//! Bayesian information criterion n ln(RSS/n) + k ln n, so a form with more parameters wins only
//! when it fits clearly better (what "with the somatic dependence if it matters" asks).

/// A functional form of a transfer function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// ER = a + c sigma(alpha (x - gamma)).
    Sigmoid,
    /// ER = a + c softplus(alpha (x - gamma)).
    Softplus,
    /// ER = a + exp(alpha (x - gamma)).
    Exponential,
    /// BP = sigma(alpha (y - gamma)).
    BpSigmoid,
    /// BP = lo + (hi - lo) sigma(alpha (y - gamma)).
    BpScaledSigmoid,
}

impl Form {
    /// The name printed and stored.
    pub fn name(self) -> &'static str {
        match self {
            Form::Sigmoid => "sigmoid",
            Form::Softplus => "softplus",
            Form::Exponential => "exponential",
            Form::BpSigmoid => "sigmoid",
            Form::BpScaledSigmoid => "scaled_sigmoid",
        }
    }

    /// The forms tried for the event rate.
    pub const EVENT_RATE: [Form; 3] = [Form::Sigmoid, Form::Softplus, Form::Exponential];
    /// The forms tried for the burst probability.
    pub const BURST_PROB: [Form; 2] = [Form::BpSigmoid, Form::BpScaledSigmoid];

    /// Names of the shape parameters (before the mixing coefficient).
    fn shape_names(self) -> &'static [&'static str] {
        match self {
            Form::Sigmoid | Form::Softplus => &["a_hz", "c_hz", "alpha_per_pa", "gamma_pa"],
            Form::Exponential => &["a_hz", "alpha_per_pa", "gamma_pa"],
            Form::BpSigmoid => &["alpha_per_pa", "gamma_pa"],
            Form::BpScaledSigmoid => &["lo", "hi", "alpha_per_pa", "gamma_pa"],
        }
    }

    /// The value at effective input `x` (pA) for shape parameters `p` (physical units).
    fn shape(self, p: &[f64], x: f64) -> f64 {
        let z = |alpha: f64, gamma: f64| (alpha * (x - gamma)).clamp(-60.0, 60.0);
        match self {
            Form::Sigmoid => p[0] + p[1] * sigma(z(p[2], p[3])),
            Form::Softplus => p[0] + p[1] * softplus(z(p[2], p[3])),
            Form::Exponential => p[0] + z(p[1], p[2]).exp(),
            Form::BpSigmoid => sigma(z(p[0], p[1])),
            Form::BpScaledSigmoid => p[0] + (p[1] - p[0]) * sigma(z(p[2], p[3])),
        }
    }
}

/// The rate model's logistic (p = sigma(u), burstccn-rate.md 1.3), the rate side's own function.
use crate::rate::linalg::sigmoid64 as sigma;

fn softplus(z: f64) -> f64 {
    if z > 30.0 {
        z
    } else {
        z.exp().ln_1p()
    }
}

/// A fitted transfer function: `form` of the effective input `primary + mix * secondary`.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// The form.
    pub form: Form,
    /// Shape parameters (physical units, named by [`Fit::param_names`]).
    pub params: Vec<f64>,
    /// Coefficient of the other compartment's input (kappa or lambda), `None` when not fitted (0).
    pub mix: Option<f64>,
    /// Root-mean-square residual over the fitted points (Hz for ER, probability for BP).
    pub rmse: f64,
    /// Bayesian information criterion.
    pub bic: f64,
    /// Points fitted.
    pub n: usize,
}

impl Fit {
    /// The value for primary input `primary` and secondary input `secondary` (pA).
    pub fn eval(&self, primary: f64, secondary: f64) -> f64 {
        self.form.shape(&self.params, primary + self.mix.unwrap_or(0.0) * secondary)
    }

    /// The parameter names, the mixing coefficient last when fitted (`mix_name`).
    pub fn param_names(&self, mix_name: &'static str) -> Vec<&'static str> {
        let mut v = self.form.shape_names().to_vec();
        if self.mix.is_some() {
            v.push(mix_name);
        }
        v
    }

    /// Parameters with the mixing coefficient last, as [`Fit::param_names`].
    pub fn all_params(&self) -> Vec<f64> {
        let mut v = self.params.clone();
        v.extend(self.mix);
        v
    }

    /// One line: form, parameters, residual.
    pub fn describe(&self, mix_name: &'static str, units: &str) -> String {
        let ps: Vec<String> = self
            .param_names(mix_name)
            .iter()
            .zip(self.all_params())
            .map(|(n, v)| format!("{n} = {}", sig(v)))
            .collect();
        format!("{} ({}), rms residual {} {units}", self.label(mix_name), ps.join(", "), sig(self.rmse))
    }

    /// The form's name, with "+ mix" when the other compartment's input enters.
    pub fn label(&self, mix_name: &str) -> String {
        match self.mix {
            Some(_) => format!("{} with {mix_name}", self.form.name()),
            None => self.form.name().to_string(),
        }
    }
}

/// Four significant digits.
fn sig(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (3 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.digits$}")
}

/// Points of a sweep: (primary input, secondary input, value), pA and the fitted quantity.
pub type Points = [(f64, f64, f64)];

/// Fits every form in `forms`, with and without the mixing coefficient, best (lowest BIC) first.
/// Points whose value is not finite are left out. Returns nothing for fewer points than a form
/// has parameters.
pub fn fit_all(points: &Points, forms: &[Form]) -> Vec<Fit> {
    let pts: Vec<(f64, f64, f64)> = points.iter().copied().filter(|p| p.2.is_finite()).collect();
    let mut fits = Vec::new();
    for &form in forms {
        for mix in [false, true] {
            if let Some(f) = fit_one(&pts, form, mix) {
                fits.push(f);
            }
        }
    }
    fits.sort_by(|a, b| a.bic.total_cmp(&b.bic));
    fits
}

/// A function of (primary, secondary) input: one fit of the mixed input, or one fit of the
/// primary input per value of the secondary (a grid column), blended linearly between columns
/// (for the Naud cell, whose event rate depends on the dendritic input through its bursts in a
/// way no single mixed input captures).
#[derive(Clone, Debug, PartialEq)]
pub enum Surface {
    /// One fit.
    Global(Fit),
    /// One fit per secondary input (increasing).
    Columns(Vec<(f64, Fit)>),
}

impl Surface {
    /// The value at (primary, secondary).
    pub fn eval(&self, primary: f64, secondary: f64) -> f64 {
        match self {
            Surface::Global(f) => f.eval(primary, secondary),
            Surface::Columns(c) => {
                let i = c.partition_point(|(s, _)| *s <= secondary);
                if i == 0 {
                    return c[0].1.eval(primary, 0.0);
                }
                if i == c.len() {
                    return c[i - 1].1.eval(primary, 0.0);
                }
                let ((s0, f0), (s1, f1)) = (&c[i - 1], &c[i]);
                let t = (secondary - s0) / (s1 - s0);
                (1.0 - t) * f0.eval(primary, 0.0) + t * f1.eval(primary, 0.0)
            }
        }
    }

    /// RMS residual over all points.
    pub fn rmse(&self) -> f64 {
        match self {
            Surface::Global(f) => f.rmse,
            Surface::Columns(c) => {
                let (ss, n) = c.iter().fold((0.0, 0), |(ss, n), (_, f)| (ss + f.rmse * f.rmse * f.n as f64, n + f.n));
                (ss / n.max(1) as f64).sqrt()
            }
        }
    }

    /// Bayesian information criterion over all points.
    pub fn bic(&self) -> f64 {
        match self {
            Surface::Global(f) => f.bic,
            Surface::Columns(c) => {
                let n: usize = c.iter().map(|(_, f)| f.n).sum();
                let k: usize = c.iter().map(|(_, f)| f.params.len()).sum();
                let rss: f64 = c.iter().map(|(_, f)| f.rmse * f.rmse * f.n as f64).sum();
                n as f64 * (rss.max(1e-300) / n as f64).ln() + k as f64 * (n as f64).ln()
            }
        }
    }

    /// One line.
    pub fn describe(&self, mix_name: &'static str, units: &str) -> String {
        match self {
            Surface::Global(f) => f.describe(mix_name, units),
            Surface::Columns(c) => format!(
                "{} per column ({} columns of the other input, {} parameters each), rms residual {} {units}",
                c[0].1.form.name(),
                c.len(),
                c[0].1.params.len(),
                sig(self.rmse())
            ),
        }
    }
}

/// The best per-column fit: one form (the one with the lowest total BIC) fitted to each column
/// of the secondary input separately.
pub fn fit_columns(points: &Points, forms: &[Form]) -> Option<Surface> {
    let mut cols: Vec<f64> = points.iter().map(|p| p.1).collect();
    cols.sort_by(f64::total_cmp);
    cols.dedup();
    let mut best: Option<Surface> = None;
    for &form in forms {
        let mut fits = Vec::new();
        for &c in &cols {
            let pts: Vec<(f64, f64, f64)> = points.iter().copied().filter(|p| p.1 == c && p.2.is_finite()).collect();
            match fit_one(&pts, form, false) {
                Some(f) => fits.push((c, f)),
                None => break,
            }
        }
        if fits.len() == cols.len() && cols.len() > 1 {
            let s = Surface::Columns(fits);
            if best.as_ref().is_none_or(|b| s.bic() < b.bic()) {
                best = Some(s);
            }
        }
    }
    best
}

/// Input scale: the fit works in units of `scale` pA so that every parameter is of order one.
fn input_scale(pts: &Points) -> f64 {
    pts.iter().map(|p| p.0.abs().max(p.1.abs())).fold(1.0, f64::max)
}

/// Fits one form (with the mixing coefficient when `mix`) from several starts.
fn fit_one(pts: &Points, form: Form, mix: bool) -> Option<Fit> {
    let k = form.shape_names().len() + mix as usize;
    if pts.len() <= k {
        return None;
    }
    let s = input_scale(pts);
    // internal parameters: alphas times s, gammas over s, so the residuals are O(1) in each
    let to_phys = |q: &[f64]| -> (Vec<f64>, Option<f64>) {
        let mut p = q[..form.shape_names().len()].to_vec();
        let (ia, ig) = alpha_gamma(form);
        p[ia] /= s;
        p[ig] *= s;
        (p, mix.then(|| q[k - 1]))
    };
    let residuals = |q: &[f64], r: &mut Vec<f64>| {
        let (p, m) = to_phys(q);
        r.clear();
        r.extend(pts.iter().map(|&(x, y, v)| form.shape(&p, x + m.unwrap_or(0.0) * y) - v));
    };
    let (lo, hi) = pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.2), b.max(p.2)));
    let xs: Vec<f64> = pts.iter().map(|p| p.0 / s).collect();
    let (xmin, xmax) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    let mut best: Option<(f64, Vec<f64>)> = None;
    for &alpha in &[1.0, 3.0, 10.0] {
        for frac in [0.25, 0.5, 0.75, 1.0] {
            let gamma = xmin + frac * (xmax - xmin);
            let mut q = match form {
                Form::Sigmoid => vec![lo, (hi - lo).max(1e-3), alpha, gamma],
                Form::Softplus => vec![lo, ((hi - lo) / (alpha * (xmax - gamma).max(0.1))).max(1e-3), alpha, gamma],
                Form::Exponential => vec![lo, alpha, xmax - (hi - lo).max(1e-3).ln() / alpha],
                Form::BpSigmoid => vec![alpha, gamma],
                Form::BpScaledSigmoid => vec![lo, hi, alpha, gamma],
            };
            if mix {
                q.push(0.0);
            }
            let (rss, q) = levenberg_marquardt(&residuals, q);
            if rss.is_finite() && best.as_ref().is_none_or(|b| rss < b.0) {
                best = Some((rss, q));
            }
        }
    }
    let (rss, q) = best?;
    let n = pts.len();
    let (params, mix) = to_phys(&q);
    Some(Fit {
        form,
        params,
        mix,
        rmse: (rss / n as f64).sqrt(),
        bic: n as f64 * (rss.max(1e-300) / n as f64).ln() + k as f64 * (n as f64).ln(),
        n,
    })
}

/// Positions of alpha and gamma among a form's shape parameters.
fn alpha_gamma(form: Form) -> (usize, usize) {
    match form {
        Form::Sigmoid | Form::Softplus | Form::BpScaledSigmoid => (2, 3),
        Form::Exponential => (1, 2),
        Form::BpSigmoid => (0, 1),
    }
}

/// Minimises the sum of squared residuals from `q0` (finite-difference Jacobian, Marquardt's
/// diagonal damping). Returns the residual sum of squares and the parameters.
fn levenberg_marquardt(residuals: &dyn Fn(&[f64], &mut Vec<f64>), q0: Vec<f64>) -> (f64, Vec<f64>) {
    let k = q0.len();
    let mut q = q0;
    let mut r = Vec::new();
    residuals(&q, &mut r);
    let mut rss: f64 = r.iter().map(|x| x * x).sum();
    let mut lambda = 1e-3;
    let mut jac = vec![Vec::new(); k];
    let mut trial = Vec::new();
    for _ in 0..300 {
        for (j, col) in jac.iter_mut().enumerate() {
            let h = 1e-6 * q[j].abs().max(1e-3);
            let mut qp = q.clone();
            qp[j] += h;
            residuals(&qp, col);
            for (c, &r0) in col.iter_mut().zip(&r) {
                *c = (*c - r0) / h;
            }
        }
        // normal equations J^T J and J^T r
        let mut a = vec![vec![0.0; k]; k];
        let mut g = vec![0.0; k];
        for i in 0..k {
            for j in 0..=i {
                let s: f64 = jac[i].iter().zip(&jac[j]).map(|(x, y)| x * y).sum();
                a[i][j] = s;
                a[j][i] = s;
            }
            g[i] = jac[i].iter().zip(&r).map(|(x, y)| x * y).sum();
        }
        let mut improved = false;
        for _ in 0..20 {
            let mut m = a.clone();
            for (i, row) in m.iter_mut().enumerate() {
                row[i] += lambda * a[i][i].max(1e-12);
            }
            let Some(step) = solve(m, g.iter().map(|x| -x).collect()) else {
                lambda *= 10.0;
                continue;
            };
            let qn: Vec<f64> = q.iter().zip(&step).map(|(a, b)| a + b).collect();
            residuals(&qn, &mut trial);
            let rn: f64 = trial.iter().map(|x| x * x).sum();
            if rn.is_finite() && rn < rss {
                let gain = (rss - rn) / rss.max(1e-300);
                q = qn;
                std::mem::swap(&mut r, &mut trial);
                rss = rn;
                lambda = (lambda / 3.0).max(1e-12);
                improved = gain > 1e-12;
                break;
            }
            lambda *= 4.0;
        }
        if !improved {
            break;
        }
    }
    (rss, q)
}

/// Solves m x = b by Gaussian elimination with partial pivoting (k <= 6).
fn solve(mut m: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let k = b.len();
    for c in 0..k {
        let p = (c..k).max_by(|&i, &j| m[i][c].abs().total_cmp(&m[j][c].abs()))?;
        if m[p][c].abs() < 1e-300 || !m[p][c].is_finite() {
            return None;
        }
        m.swap(c, p);
        b.swap(c, p);
        let (top, rest) = m.split_at_mut(c + 1);
        let pivot = &top[c];
        let bc = b[c];
        for (row, bi) in rest.iter_mut().zip(b[c + 1..].iter_mut()) {
            let f = row[c] / pivot[c];
            for (x, &p) in row[c..].iter_mut().zip(&pivot[c..]) {
                *x -= f * p;
            }
            *bi -= f * bc;
        }
    }
    let mut x = vec![0.0; k];
    for i in (0..k).rev() {
        let s: f64 = (i + 1..k).map(|j| m[i][j] * x[j]).sum();
        x[i] = (b[i] - s) / m[i][i];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(mut f: impl FnMut(f64, f64) -> f64) -> Vec<(f64, f64, f64)> {
        let mut v = Vec::new();
        for i in 0..9 {
            for j in 0..7 {
                let (x, y) = (-200.0 + 100.0 * i as f64, -150.0 + 50.0 * j as f64);
                v.push((x, y, f(x, y)));
            }
        }
        v
    }

    #[test]
    fn recovers_the_parameters_of_an_exact_sigmoid_and_prefers_it() {
        // ER = 1 + 20 sigma(0.01 (I - 250)) exactly: the sigmoid form must come first with a
        // residual at rounding level and the parameters back to 1e-4 relative.
        let pts = grid(|x, _| 1.0 + 20.0 * sigma(0.01 * (x - 250.0)));
        let fits = fit_all(&pts, &Form::EVENT_RATE);
        let best = &fits[0];
        assert_eq!(best.form, Form::Sigmoid);
        assert!(best.rmse < 1e-6, "{}", best.describe("kappa", "Hz"));
        for (got, want) in best.params.iter().zip([1.0, 20.0, 0.01, 250.0]) {
            assert!((got - want).abs() < 1e-4 * want.abs(), "{got} vs {want}");
        }
        // without a dendritic dependence in the data the extra parameter must not win the BIC
        // by more than its residual gain: either it is left out, or its value is ~0
        assert!(best.mix.is_none_or(|k| k.abs() < 1e-6), "{:?}", best.mix);
    }

    #[test]
    fn finds_the_somatic_term_of_the_burst_probability_when_it_is_there() {
        // BP = sigma(0.02 (I_d + 0.3 I_s - 50)): the fit must find lambda = 0.3 and beat the form
        // without it; on data without the term the 2-parameter form must win.
        // points as (I_d, I_s, BP): the dendritic input is the primary one
        let with: Vec<_> =
            grid(|x, y| sigma(0.02 * (y + 0.3 * x - 50.0))).into_iter().map(|(x, y, v)| (y, x, v)).collect();
        let best = &fit_all(&with, &Form::BURST_PROB)[0];
        let lambda = best.mix.expect("the somatic term is needed");
        assert!((lambda - 0.3).abs() < 1e-4, "{}", best.describe("lambda", ""));
        // noise-free data of the plain form: a perfect 2-parameter fit wins over 3-5 parameters
        let plain: Vec<_> = grid(|_, y| sigma(0.02 * (y - 50.0))).into_iter().map(|(x, y, v)| (y, x, v)).collect();
        let best = &fit_all(&plain, &Form::BURST_PROB)[0];
        assert!(best.rmse < 1e-6);
        assert!((best.params[0] - 0.02).abs() < 1e-6 && (best.params[1] - 50.0).abs() < 1e-3, "{best:?}");
    }

    #[test]
    fn recovers_known_parameters_from_noisy_data() {
        // ER = 1 + 20 sigma(0.01 (I_s - 250)) + N(0, 0.3 Hz) on the 9 x 7 grid (fixed seed): with 63
        // points and noise 1.5 % of the amplitude the parameters' standard errors are ~1-2 %; 4x that
        // is allowed. The residual must be the noise's (0.3 Hz within 25 %), not more (a bad fit) nor
        // much less (an overfit).
        use rand::{RngExt as _, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let mut gauss = move || {
            let (u1, u2): (f64, f64) = (1.0 - rng.random::<f64>(), rng.random::<f64>());
            (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        };
        let pts = grid(|x, _| 1.0 + 20.0 * sigma(0.01 * (x - 250.0)) + 0.3 * gauss());
        let best = fit_all(&pts, &[Form::Sigmoid]).into_iter().find(|f| f.mix.is_none()).unwrap();
        for (got, want, tol) in
            [(best.params[1], 20.0, 0.08), (best.params[2], 0.01, 0.08), (best.params[3], 250.0, 0.04)]
        {
            assert!((got / want - 1.0).abs() < tol, "{got} vs {want}: {}", best.describe("kappa", "Hz"));
        }
        assert!((best.params[0] - 1.0).abs() < 0.5, "{}", best.describe("kappa", "Hz"));
        assert!((best.rmse / 0.3 - 1.0).abs() < 0.25, "rmse {}", best.rmse);
        // BP = sigma(0.02 (I_d - 50)) + N(0, 0.01): alpha and gamma back within 5 % and 5 pA
        let bp: Vec<_> =
            grid(|_, y| sigma(0.02 * (y - 50.0)) + 0.01 * gauss()).into_iter().map(|(x, y, v)| (y, x, v)).collect();
        let b = fit_all(&bp, &[Form::BpSigmoid]).into_iter().find(|f| f.mix.is_none()).unwrap();
        assert!(
            (b.params[0] / 0.02 - 1.0).abs() < 0.05 && (b.params[1] - 50.0).abs() < 5.0,
            "{}",
            b.describe("lambda", "")
        );
    }

    #[test]
    fn softplus_and_exponential_data_select_their_own_forms() {
        let sp = grid(|x, _| 0.5 + 4.0 * softplus(0.02 * (x - 100.0)));
        assert_eq!(fit_all(&sp, &Form::EVENT_RATE)[0].form, Form::Softplus);
        let ex = grid(|x, _| 0.2 + (0.01 * (x - 300.0)).exp());
        assert_eq!(fit_all(&ex, &Form::EVENT_RATE)[0].form, Form::Exponential);
    }

    #[test]
    fn solve_matches_a_known_system() {
        let x = solve(vec![vec![2.0, 1.0], vec![1.0, 3.0]], vec![3.0, 5.0]).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12);
        assert!(solve(vec![vec![0.0, 0.0], vec![0.0, 0.0]], vec![1.0, 1.0]).is_none());
    }
}
