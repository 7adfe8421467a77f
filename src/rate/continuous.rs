//! Continuous-time, single-phase BurstCCN (spec 2) and its teacher–student regression task (2.4).
//!
//! Euler dynamics, one network step per input sample:
//! - soma: v_l ← (1 − dt/τ_v) v_l + (dt/τ_v)(W_l e_{l−1} + c_l), e_l = σ(v_l);
//! - output bursts: p_L = p_b + p_b (t − e_L)(1 − e_L) while teaching, p_b otherwise; b_L = p_L e_L;
//! - apical (hidden): u_l ← (1 − dt/τ_u) u_l + (dt/τ_u) β (1 − e_l) ⊙ (Y_lᵀ b_{l+1} − Q_lᵀ e_{l+1}),
//!   p_l = 2 p_b σ(u_l) (= σ(u_l) for p_b = 0.5, the reference), b_l = p_l e_l;
//! - plasticity while teaching: ΔW_l = (dt/τ_W) ((p_l − p_b) ⊙ e_l) e_{l−1}ᵀ, Δc_l likewise;
//! - weight transport after each teaching step: Y_l ← W_{l+1}, Q_l ← p_b W_{l+1}.
//!
//! The same dynamics run burstprop (spec 3, [N] `continuous_burstprop_*`) with `rule = Burstprop`:
//! no Q pathway, β = 1, and a *measured* baseline instead of the constant p_b: moving averages
//! ē ← ē + (dt/τ_avg)(e − ē), b̄ likewise, p̄ = b̄/ē (τ_avg = 5), and ΔW = (dt/τ_W)((p − p̄) ⊙ e)
//! e_preᵀ; the output's teaching signal uses the averaged rate, p_L = p_b + p_b (t − ē_L)(1 − ē_L).
//! While the teacher stays on, p̄ catches up with p within τ_avg and the learning signal fades:
//! burstprop needs teacher-off periods (`teach_cycle`/`teach_steps`), BurstCCN does not (spec 6.1
//! item 2). The baseline used at a step is the average of the steps before it (the reference's
//! cached value).
//!
//! Q is stored positive and subtracted (the reference stores −p_b W and adds; same value).
//! Deviation from the reference (spec 2.3): every quantity uses the current step's values; the
//! reference's one-step delays of bursts per layer and of the cached p in the update are dropped
//! (with dt = τ the dynamics are instantaneous, so this only shifts the learning signal by a step).

use super::linalg::{angle_deg, sigmoid, standard_normal, Mat};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The learning rule of the continuous model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContinuousRule {
    /// BurstCCN: constant baseline p_b, Q cancels Y (spec 2.1).
    Burstccn,
    /// Burstprop: moving-average baseline p̄ = b̄/ē, no Q (spec 3 item 1).
    Burstprop,
}

/// Parameters of the continuous model and its task (defaults: spec 2.2 and 2.4).
#[derive(Debug, Clone, PartialEq)]
pub struct ContinuousParams {
    /// Learning rule (BurstCCN).
    pub rule: ContinuousRule,
    /// Burstprop's moving-average time constant τ_avg (5).
    pub tau_avg: f32,
    /// Teaching schedule inside the training phase: 0 = single phase (teacher and plasticity at
    /// every step); N > 0 = cycles of N steps whose last `teach_steps` teach and learn, the rest
    /// predict (two-phase learning, as burstprop needs).
    pub teach_cycle: usize,
    /// Teaching steps at the end of each cycle (used when `teach_cycle` > 0).
    pub teach_steps: usize,
    /// Student widths, default [3, 50, 1].
    pub layers: Vec<usize>,
    /// Teacher hidden width (25).
    pub teacher_hidden: usize,
    /// Factor on the teacher's weights (3).
    pub teacher_weight_scale: f32,
    /// Time step dt (0.1).
    pub dt: f32,
    /// Somatic time constant τ_v (0.1).
    pub tau_v: f32,
    /// Apical time constant τ_u (0.1).
    pub tau_u: f32,
    /// Plasticity time constant τ_W (100; per-step rate dt/τ_W).
    pub tau_w: f32,
    /// Apical gain β (4).
    pub beta: f32,
    /// Baseline burst probability p_b (0.5).
    pub p_b: f32,
    /// Prediction-only steps before teaching (10 000).
    pub predict_before: usize,
    /// Teaching + plasticity steps (1 000 000).
    pub train_steps: usize,
    /// Prediction-only steps after teaching (20 000).
    pub predict_after: usize,
    /// Seed of the student's initial weights (1).
    pub model_seed: u64,
    /// Seed of the task: input frequencies and phases, teacher weights (1).
    pub task_seed: u64,
    /// Steps per reported window.
    pub report_every: usize,
}

impl Default for ContinuousParams {
    fn default() -> Self {
        ContinuousParams {
            rule: ContinuousRule::Burstccn,
            tau_avg: 5.0,
            teach_cycle: 0,
            teach_steps: 0,
            layers: vec![3, 50, 1],
            teacher_hidden: 25,
            teacher_weight_scale: 3.0,
            dt: 0.1,
            tau_v: 0.1,
            tau_u: 0.1,
            tau_w: 100.0,
            beta: 4.0,
            p_b: 0.5,
            predict_before: 10_000,
            train_steps: 1_000_000,
            predict_after: 20_000,
            model_seed: 1,
            task_seed: 1,
            report_every: 100_000,
        }
    }
}

/// The teacher–student task: x_i(k) = cos(ω_i k + φ_i), target = fixed random sigmoid ANN(x_k).
#[derive(Debug, Clone)]
pub struct SineTeacher {
    omega: Vec<f32>,
    phi: Vec<f32>,
    w1: Mat,
    c1: Vec<f32>,
    w2: Mat,
    c2: Vec<f32>,
}

impl SineTeacher {
    /// ω_i ~ U(0, 2π/40), φ_i ~ U(0, 2π); teacher W, c ~ U(±1/√fan_in) (torch `nn.Linear`), W × scale.
    pub fn new(n_in: usize, hidden: usize, n_out: usize, scale: f32, seed: u64) -> Self {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let two_pi = std::f32::consts::TAU;
        let omega = (0..n_in).map(|_| rng.random::<f32>() * two_pi / 40.0).collect();
        let phi = (0..n_in).map(|_| rng.random::<f32>() * two_pi).collect();
        let mut lin = |o: usize, i: usize| {
            let bound = 1.0 / (i as f32).sqrt();
            let mut w = Mat::zeros(o, i);
            for x in w.as_mut_slice().iter_mut() {
                *x = scale * bound * (2.0 * rng.random::<f32>() - 1.0);
            }
            let c = (0..o).map(|_| bound * (2.0 * rng.random::<f32>() - 1.0)).collect();
            (w, c)
        };
        let (w1, c1) = lin(hidden, n_in);
        let (w2, c2) = lin(n_out, hidden);
        SineTeacher { omega, phi, w1, c1, w2, c2 }
    }

    /// Input and target at step k.
    pub fn sample(&self, k: usize, x: &mut Vec<f32>, t: &mut Vec<f32>) {
        x.clear();
        x.extend(self.omega.iter().zip(&self.phi).map(|(&w, &p)| (w * k as f32 + p).cos()));
        let h = affine_sigmoid(&self.w1, &self.c1, x);
        *t = affine_sigmoid(&self.w2, &self.c2, &h);
    }
}

/// σ(W x + c) for one sample.
fn affine_sigmoid(w: &Mat, c: &[f32], x: &[f32]) -> Vec<f32> {
    (0..w.rows()).map(|j| sigmoid(w.row(j).iter().zip(x).map(|(a, b)| a * b).sum::<f32>() + c[j])).collect()
}

/// The continuous-time network state and weights.
#[derive(Debug, Clone)]
pub struct ContinuousBurstCcn {
    /// Parameters.
    pub params: ContinuousParams,
    /// W_l.
    pub w: Vec<Mat>,
    /// c_l.
    pub c: Vec<Vec<f32>>,
    /// Y_l (hidden layers), shape of W_{l+1}.
    pub y: Vec<Mat>,
    /// Q_l (hidden layers), shape of W_{l+1}, subtracted.
    pub q: Vec<Mat>,
    v: Vec<Vec<f32>>,
    /// Event rates e_l.
    pub e: Vec<Vec<f32>>,
    u: Vec<Vec<f32>>,
    /// Burst probabilities p_l.
    pub p: Vec<Vec<f32>>,
    b: Vec<Vec<f32>>,
    /// Burstprop: moving averages ē_l and b̄_l.
    e_avg: Vec<Vec<f32>>,
    b_avg: Vec<Vec<f32>>,
}

/// What one window of steps reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Index of the last step of the window.
    pub last_step: usize,
    /// "before", "train" or "after".
    pub phase: &'static str,
    /// Mean of Σ(e_L − t)² over the window.
    pub mean_loss: f64,
    /// Per layer, mean angle (degrees) between ΔW and −∇_W ½‖e_L − t‖² over the window's teaching
    /// steps (NaN outside teaching).
    pub angles: Vec<f64>,
}

impl ContinuousBurstCcn {
    /// W ~ N(0, 2/(fan_in + fan_out)), c = 0, Y ~ N(0, same), Q ~ p_b × an independent draw (2.1).
    pub fn new(params: ContinuousParams) -> Self {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(params.model_seed);
        let s = &params.layers;
        let nl = s.len() - 1;
        let std = |i: usize| (2.0 / (s[i] + s[i + 1]) as f32).sqrt();
        let w: Vec<Mat> = (0..nl).map(|i| Mat::randn(s[i + 1], s[i], std(i), &mut rng)).collect();
        let y: Vec<Mat> = (1..nl).map(|i| Mat::randn(s[i + 1], s[i], std(i), &mut rng)).collect();
        let q: Vec<Mat> = (1..nl)
            .map(|i| {
                let mut m = Mat::zeros(s[i + 1], s[i]);
                for x in m.as_mut_slice().iter_mut() {
                    *x = params.p_b * std(i) * standard_normal(&mut rng);
                }
                m
            })
            .collect();
        let zeros = |k: usize| (0..k).map(|i| vec![0.0f32; s[i + 1]]).collect::<Vec<_>>();
        ContinuousBurstCcn {
            c: zeros(nl),
            v: zeros(nl),
            e: zeros(nl),
            u: zeros(nl),
            p: zeros(nl),
            b: zeros(nl),
            e_avg: zeros(nl),
            b_avg: zeros(nl),
            w,
            y,
            q,
            params,
        }
    }

    /// One Euler step with input x; `t = Some(target)` teaches and learns. Returns, if teaching,
    /// the per-layer angle between the applied ΔW and −∇_W ½‖e_L − t‖² at the pre-update weights.
    pub fn step(&mut self, x: &[f32], t: Option<&[f32]>) -> Option<Vec<f64>> {
        let pr = &self.params;
        let nl = self.w.len();
        let (kv, ku) = (pr.dt / pr.tau_v, pr.dt / pr.tau_u);
        // soma: v ← (1 − dt/τ_v) v + (dt/τ_v)(W e_pre + c), e = σ(v)
        for l in 0..nl {
            let (lo, hi) = self.e.split_at_mut(l);
            let pre: &[f32] = if l == 0 { x } else { &lo[l - 1] };
            for (j, out) in hi[0].iter_mut().enumerate() {
                let drive: f32 = self.w[l].row(j).iter().zip(pre).map(|(a, b)| a * b).sum::<f32>() + self.c[l][j];
                let v = &mut self.v[l][j];
                *v = (1.0 - kv) * *v + kv * drive;
                *out = sigmoid(*v);
            }
        }
        // output bursts (burstprop: the teaching signal uses the averaged rate ē)
        let top = nl - 1;
        let burstprop = pr.rule == ContinuousRule::Burstprop;
        for j in 0..self.e[top].len() {
            let e = if burstprop { self.e_avg[top][j] } else { self.e[top][j] };
            let p = match t {
                Some(t) => pr.p_b + pr.p_b * (t[j] - e) * (1.0 - e),
                None => pr.p_b,
            };
            let e = self.e[top][j];
            self.p[top][j] = p;
            self.b[top][j] = p * e;
        }
        // apical, top-down: u ← (1 − dt/τ_u) u + (dt/τ_u) β h(e) (Yᵀ b_up − Qᵀ e_up)
        for l in (0..top).rev() {
            for i in 0..self.e[l].len() {
                let mut a = 0.0f32;
                for k in 0..self.e[l + 1].len() {
                    let yi = self.y[l].row(k)[i];
                    let qi = if burstprop { 0.0 } else { self.q[l].row(k)[i] };
                    a += yi * self.b[l + 1][k] - qi * self.e[l + 1][k];
                }
                let e = self.e[l][i];
                let u = &mut self.u[l][i];
                *u = (1.0 - ku) * *u + ku * pr.beta * (1.0 - e) * a;
                // burstprop: p = σ(u) (its baseline is measured, not p_b)
                let p = if burstprop { sigmoid(*u) } else { 2.0 * pr.p_b * sigmoid(*u) };
                self.p[l][i] = p;
                self.b[l][i] = p * e;
            }
        }
        // burstprop's baseline p̄ = b̄/ē from the steps before this one, then the averages move on
        let baseline: Vec<Vec<f32>> = if burstprop {
            let k = pr.dt / pr.tau_avg;
            let mut base = Vec::with_capacity(nl);
            for l in 0..nl {
                let (ea, ba) = (&mut self.e_avg[l], &mut self.b_avg[l]);
                // ē = 0 only before any activity: take p_b there instead of 0/0 (only needed to learn)
                if t.is_some() {
                    base.push(ea.iter().zip(ba.iter()).map(|(&e, &b)| if e > 0.0 { b / e } else { pr.p_b }).collect());
                }
                for j in 0..ea.len() {
                    ea[j] += k * (self.e[l][j] - ea[j]);
                    ba[j] += k * (self.b[l][j] - ba[j]);
                }
            }
            base
        } else {
            Vec::new()
        };
        let t = t?;
        // −∇_W ½‖e_L − t‖² (backprop through the instantaneous network), for the angles
        let mut g = vec![Vec::new(); nl];
        g[top] = self.e[top].iter().zip(t).map(|(&e, &t)| (t - e) * e * (1.0 - e)).collect();
        for l in (0..top).rev() {
            g[l] = (0..self.e[l].len())
                .map(|i| {
                    let s: f32 = (0..self.e[l + 1].len()).map(|k| self.w[l + 1].row(k)[i] * g[l + 1][k]).sum();
                    s * self.e[l][i] * (1.0 - self.e[l][i])
                })
                .collect();
        }
        // plasticity: ΔW = (dt/τ_W)((p − p_b) e) e_preᵀ
        let eta = pr.dt / pr.tau_w;
        let mut angles = Vec::with_capacity(nl);
        for (l, gl) in g.iter().enumerate() {
            let pre: Vec<f32> = if l == 0 { x.to_vec() } else { self.e[l - 1].clone() };
            let post: Vec<f32> = (0..self.e[l].len())
                .map(|j| (self.p[l][j] - if burstprop { baseline[l][j] } else { pr.p_b }) * self.e[l][j])
                .collect();
            let outer = |d: &[f32]| -> Vec<f32> { d.iter().flat_map(|&a| pre.iter().map(move |&b| a * b)).collect() };
            angles.push(angle_deg(&outer(&post), &outer(gl)));
            for (j, &pj) in post.iter().enumerate() {
                for (w, &xp) in self.w[l].as_mut_slice()[j * pre.len()..(j + 1) * pre.len()].iter_mut().zip(&pre) {
                    *w += eta * pj * xp;
                }
                self.c[l][j] += eta * pj;
            }
        }
        // weight transport: Y_l ← W_{l+1}, Q_l ← p_b W_{l+1} (unused by burstprop)
        for l in 0..top {
            self.y[l].as_mut_slice().copy_from_slice(self.w[l + 1].as_slice());
            for (q, &w) in self.q[l].as_mut_slice().iter_mut().zip(self.w[l + 1].as_slice()) {
                *q = pr.p_b * w;
            }
        }
        Some(angles)
    }

    /// Runs the schedule of spec 2.4 (predict, teach+learn every step, predict), calling
    /// `on_window` after each window of `report_every` steps (windows never straddle phases).
    pub fn run_task(&mut self, on_window: impl FnMut(&Window)) -> Vec<Window> {
        self.run_task_traced(None, on_window)
    }

    /// `run_task`, also recording every `trace.every`-th step into `trace` (spec 2.4's per-step
    /// metrics: output and target traces, loss, angles).
    pub fn run_task_traced(
        &mut self,
        mut trace: Option<&mut Trace>,
        mut on_window: impl FnMut(&Window),
    ) -> Vec<Window> {
        let pr = self.params.clone();
        let n_out = *pr.layers.last().unwrap_or(&1);
        let task = SineTeacher::new(pr.layers[0], pr.teacher_hidden, n_out, pr.teacher_weight_scale, pr.task_seed);
        let phases = [
            ("before", 0, pr.predict_before),
            ("train", pr.predict_before, pr.predict_before + pr.train_steps),
            ("after", pr.predict_before + pr.train_steps, pr.predict_before + pr.train_steps + pr.predict_after),
        ];
        let (mut x, mut t) = (Vec::new(), Vec::new());
        let mut out = Vec::new();
        let nl = pr.layers.len() - 1;
        for (phase, start, end) in phases {
            let mut k = start;
            while k < end {
                let stop = (k + pr.report_every.max(1)).min(end);
                let (mut loss, mut ang, mut n_ang) = (0.0f64, vec![0.0f64; nl], 0usize);
                for step in k..stop {
                    task.sample(step, &mut x, &mut t);
                    let teach = phase == "train"
                        && (pr.teach_cycle == 0 || (step - start) % pr.teach_cycle >= pr.teach_cycle - pr.teach_steps);
                    let a = self.step(&x, if teach { Some(&t) } else { None });
                    // loss of the output before this step's update
                    let top = &self.e[nl - 1];
                    let l = top.iter().zip(&t).map(|(&e, &t)| ((e - t) as f64).powi(2)).sum::<f64>();
                    loss += l;
                    if let Some(tr) = trace.as_deref_mut() {
                        if step % tr.every.max(1) == 0 {
                            tr.step.push(step as u64);
                            tr.phase.push(match phase {
                                "before" => 0,
                                "train" => 1,
                                _ => 2,
                            });
                            tr.teach.push(teach as u8);
                            tr.output.extend_from_slice(top);
                            tr.target.extend_from_slice(&t);
                            tr.burst_prob.extend_from_slice(&self.p[nl - 1]);
                            tr.loss.push(l as f32);
                            match &a {
                                Some(a) => tr.angles.extend(a.iter().map(|&v| v as f32)),
                                None => tr.angles.extend(std::iter::repeat_n(f32::NAN, nl)),
                            }
                        }
                    }
                    if let Some(a) = a {
                        for (s, v) in ang.iter_mut().zip(a) {
                            *s += v;
                        }
                        n_ang += 1;
                    }
                }
                let w = Window {
                    last_step: stop - 1,
                    phase,
                    mean_loss: loss / (stop - k) as f64,
                    angles: ang.iter().map(|s| if n_ang > 0 { s / n_ang as f64 } else { f64::NAN }).collect(),
                };
                on_window(&w);
                out.push(w);
                k = stop;
            }
        }
        out
    }
}

/// Per-step record of a continuous run (every `every`-th step), row-major per step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// Record every this many steps (≥ 1).
    pub every: usize,
    /// Step index.
    pub step: Vec<u64>,
    /// 0 = before training, 1 = training phase, 2 = after.
    pub phase: Vec<u8>,
    /// 1 when the step taught and learned.
    pub teach: Vec<u8>,
    /// Output event rates e_L (n_out per step).
    pub output: Vec<f32>,
    /// Teacher's target (n_out per step).
    pub target: Vec<f32>,
    /// Output burst probabilities p_L (n_out per step).
    pub burst_prob: Vec<f32>,
    /// Σ (e_L − t)² at the step, before its update.
    pub loss: Vec<f32>,
    /// Per layer, angle (degrees) between the step's ΔW and −∇W (NaN when not teaching).
    pub angles: Vec<f32>,
}

impl Trace {
    /// An empty trace recording every `every`-th step.
    pub fn new(every: usize) -> Self {
        Trace { every: every.max(1), ..Trace::default() }
    }
}
