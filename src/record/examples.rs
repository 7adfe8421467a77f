//! Scoring the examples of a `[protocol]` while the run goes (issue "spiking XOR" item 4, spec
//! 7.4 `compute_cost`): for each example and teacher, at the end of the prediction window (the
//! end of a test example) and at the end of the learning window, the population's mean Ebar event
//! rate, its event rate counted over that window, and the cost of the example's target.

use crate::engine::{ExampleKind, Network};
use crate::names as n;
use h5::types::VarLenUnicode;
use hdf5_metno as h5;

fn vlu(s: &str) -> VarLenUnicode {
    s.parse().unwrap_or_default()
}

/// One measurement of every teacher's population.
#[derive(Clone, Debug, Default)]
struct Measure {
    ebar_hz: Vec<f64>,
    rate_hz: Vec<f64>,
    cost: Vec<f64>,
}

/// The scores of the examples finished so far.
#[derive(Debug, Default)]
pub struct ExampleLog {
    next: usize,
    /// Events counted since the current window began, per teacher.
    count: Vec<u64>,
    window_start: u64,
    before: Vec<Measure>,
    after: Vec<Measure>,
}

impl ExampleLog {
    /// A log for `net`'s examples (inactive when it has none).
    pub fn new(net: &Network) -> Self {
        ExampleLog { count: vec![0; net.teachers().len()], ..Default::default() }
    }

    /// Saves or restores the scores so far and the window in progress, so that a continued run's
    /// `/protocol` lists every example since the first run began.
    pub fn persist(&mut self, io: &mut crate::persist::StateIo) {
        io.index("next", &mut self.next);
        io.slice("count", &mut self.count);
        io.value("window_start", &mut self.window_start);
        let k = self.count.len();
        for (name, list) in [("before", &mut self.before), ("after", &mut self.after)] {
            io.scope(name, |io| {
                let mut n = list.len();
                io.index("n", &mut n);
                let mut cols: [Vec<f64>; 3] = [
                    list.iter().flat_map(|m| m.ebar_hz.clone()).collect(),
                    list.iter().flat_map(|m| m.rate_hz.clone()).collect(),
                    list.iter().flat_map(|m| m.cost.clone()).collect(),
                ];
                for (c, col) in ["ebar_hz", "rate_hz", "cost"].iter().zip(&mut cols) {
                    io.vec(c, col);
                }
                if io.is_saving() {
                    return;
                }
                if cols.iter().any(|c| c.len() != n * k) {
                    io.problem("n", format!("{n} scores of {k} teachers do not fit the saved columns"));
                    return;
                }
                *list = (0..n)
                    .map(|r| Measure {
                        ebar_hz: cols[0][r * k..(r + 1) * k].to_vec(),
                        rate_hz: cols[1][r * k..(r + 1) * k].to_vec(),
                        cost: cols[2][r * k..(r + 1) * k].to_vec(),
                    })
                    .collect();
            });
        }
    }

    fn measure(&self, net: &Network, pattern: usize, step_end: u64) -> Measure {
        let sched = net.examples();
        let mut m = Measure::default();
        let window_s = (step_end - self.window_start) as f64 * net.dt_ms() * 1e-3;
        for (t, teacher) in net.teachers().iter().enumerate() {
            let p = teacher.target.0 as usize;
            let ebar = teacher.mean_rate_hz(net.estimates(p));
            let size = net.population(p).len().max(1) as f64;
            m.ebar_hz.push(ebar);
            m.rate_hz.push(self.count[t] as f64 / (size * window_s));
            m.cost.push(sched.targets[pattern][t].map_or(f64::NAN, |y| teacher.cost(y, ebar)));
        }
        m
    }

    /// Record phase of `step` (after the estimates counted this step's events).
    pub fn observe(&mut self, net: &Network, step: u64) {
        let Some(ex) = net.examples().examples.get(self.next) else { return };
        // a single phase (learning window = whole example): "before" is the state at the
        // example's start, with no window to count events over
        if ex.learn_step == Some(ex.start_step) && step == ex.start_step {
            let mut m = self.measure(net, ex.pattern, step);
            m.rate_hz.iter_mut().for_each(|r| *r = f64::NAN);
            self.before.push(m);
        }
        if step == ex.start_step || Some(step) == ex.learn_step {
            self.window_start = step;
            self.count.iter_mut().for_each(|c| *c = 0);
        }
        for (t, teacher) in net.teachers().iter().enumerate() {
            self.count[t] += net.spikes(teacher.target.0 as usize).events().len() as u64;
        }
        let end = step + 1;
        if Some(end) == ex.learn_step || (ex.learn_step.is_none() && end == ex.end_step) {
            self.before.push(self.measure(net, ex.pattern, end));
        }
        if end == ex.end_step {
            if ex.learn_step.is_some() {
                self.after.push(self.measure(net, ex.pattern, end));
            } else {
                let k = net.teachers().len();
                self.after.push(Measure {
                    ebar_hz: vec![f64::NAN; k],
                    rate_hz: vec![f64::NAN; k],
                    cost: vec![f64::NAN; k],
                });
            }
            self.next += 1;
        }
    }

    /// Writes `/protocol` with the examples finished so far (nothing without a `[protocol]`).
    pub fn write(&self, file: &h5::File, net: &Network) -> h5::Result<()> {
        let sched = net.examples();
        if sched.patterns.is_empty() {
            return Ok(());
        }
        let g = match file.group(n::PROTOCOL) {
            Ok(g) => g,
            Err(_) => file.create_group(n::PROTOCOL)?,
        };
        let strings = |v: Vec<&str>| -> Vec<VarLenUnicode> { v.iter().map(|s| vlu(s)).collect() };
        let teachers: Vec<&str> = net.teachers().iter().map(|t| t.name.as_str()).collect();
        let patterns: Vec<&str> = sched.patterns.iter().map(String::as_str).collect();
        if !g.attr_names()?.iter().any(|a| a == "patterns") {
            let p = strings(patterns);
            g.new_attr::<VarLenUnicode>().shape(p.len()).create("patterns")?.write(&p)?;
            let t = strings(teachers.clone());
            g.new_attr::<VarLenUnicode>().shape(t.len()).create("teachers")?.write(&t)?;
            g.new_attr::<u32>().create("epochs")?.write_scalar(&sched.epochs)?;
        }
        for name in [n::EXAMPLES, n::EPOCHS] {
            if g.link_exists(name) {
                g.unlink(name)?;
            }
        }
        let ge = g.create_group(n::EXAMPLES)?;
        // (at most the schedule's examples: a restored log is checked against the protocol, this
        // keeps a mismatch from indexing past it)
        let rows = self.after.len().min(self.before.len()).min(sched.examples.len());
        let done = &sched.examples[..rows];
        let dt = net.dt_ms();
        let col_u = |name: &str, v: Vec<u64>| ge.new_dataset_builder().with_data(&v).create(name).map(|_| ());
        col_u("index", (0..done.len() as u64).collect())?;
        col_u("epoch", done.iter().map(|e| e.epoch as u64).collect())?;
        col_u("kind", done.iter().map(|e| e.kind as u64).collect())?;
        col_u("pattern", done.iter().map(|e| e.pattern as u64).collect())?;
        let col_f = |name: &str, v: Vec<f64>| -> h5::Result<()> {
            let d = ge.new_dataset_builder().with_data(&v).create(name)?;
            d.new_attr::<VarLenUnicode>().create(n::UNITS)?.write_scalar(&vlu("ms"))
        };
        col_f("start_ms", done.iter().map(|e| e.start_step as f64 * dt).collect())?;
        col_f("learn_ms", done.iter().map(|e| e.learn_step.map_or(f64::NAN, |s| s as f64 * dt)).collect())?;
        col_f("end_ms", done.iter().map(|e| e.end_step as f64 * dt).collect())?;
        let k = teachers.len();
        let table = |name: &str, f: &dyn Fn(usize, usize) -> f64| -> h5::Result<()> {
            let mut v = Vec::with_capacity(rows * k);
            for r in 0..rows {
                for t in 0..k {
                    v.push(f(r, t));
                }
            }
            let a = ndarray::Array2::from_shape_vec((rows, k), v).expect("rows x teachers");
            ge.new_dataset_builder().with_data(&a).create(name).map(|_| ())
        };
        let [target, eb, rb, cb, ea, ra, ca] = n::EXAMPLE_TEACHER_COLUMNS;
        table(target, &|r, t| sched.targets[done[r].pattern][t].unwrap_or(f64::NAN))?;
        table(eb, &|r, t| self.before[r].ebar_hz[t])?;
        table(rb, &|r, t| self.before[r].rate_hz[t])?;
        table(cb, &|r, t| self.before[r].cost[t])?;
        table(ea, &|r, t| self.after[r].ebar_hz[t])?;
        table(ra, &|r, t| self.after[r].rate_hz[t])?;
        table(ca, &|r, t| self.after[r].cost[t])?;
        // epochs: sums over each complete training epoch
        let gp = g.create_group(n::EPOCHS)?;
        let mut epochs = Vec::new();
        let (mut sum_b, mut sum_a) = (Vec::new(), Vec::new());
        let per_epoch = sched.patterns.len();
        let training: Vec<usize> = (0..rows).filter(|&r| done[r].kind == ExampleKind::Training).collect();
        for chunk in training.chunks_exact(per_epoch) {
            epochs.push(done[chunk[0]].epoch as u64);
            for t in 0..k {
                sum_b.push(chunk.iter().map(|&r| self.before[r].cost[t]).sum::<f64>());
                sum_a.push(chunk.iter().map(|&r| self.after[r].cost[t]).sum::<f64>());
            }
        }
        let [e, cbn, can] = n::EPOCH_COLUMNS;
        gp.new_dataset_builder().with_data(&epochs).create(e)?;
        let m = epochs.len();
        gp.new_dataset_builder()
            .with_data(&ndarray::Array2::from_shape_vec((m, k), sum_b).expect("epochs x teachers"))
            .create(cbn)?;
        gp.new_dataset_builder()
            .with_data(&ndarray::Array2::from_shape_vec((m, k), sum_a).expect("epochs x teachers"))
            .create(can)?;
        Ok(())
    }
}
