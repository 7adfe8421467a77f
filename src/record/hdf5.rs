//! The HDF5 writer. One thread writes; data are buffered per dataset and appended to chunked,
//! extendable datasets, and the file is flushed at least once per second of wall time, so memory
//! stays bounded and an interrupted run leaves a readable file with everything up to the last flush
//! (DESIGN.md "HDF5 output").

use super::examples::ExampleLog;
use super::state::StateWriter;
use crate::engine::Network;
use crate::model::Model;
use crate::names as n;
use h5::types::VarLenUnicode;
use hdf5_metno as h5;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// A problem writing or reading an output file.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Occurs when HDF5 refuses an operation (unwritable path, disk full, corrupt file).
    #[error("{file}: {what}: {cause}")]
    Hdf5 {
        /// The file.
        file: String,
        /// What we were doing.
        what: String,
        /// HDF5's message.
        cause: h5::Error,
    },
    /// Occurs when a file lacks what burstsim writes (not a burstsim/SONATA file).
    #[error("{file}: {what}")]
    Format {
        /// The file.
        file: String,
        /// What is missing.
        what: String,
    },
}

impl RecordError {
    /// Wraps an HDF5 error with the file and what was being done (for `map_err`).
    pub fn hdf5(file: &str, what: &str) -> impl FnOnce(h5::Error) -> RecordError {
        let (file, what) = (file.to_string(), what.to_string());
        move |cause| RecordError::Hdf5 { file, what, cause }
    }
}

/// SONATA's sorting enum. Member names are fixed by the format.
#[derive(h5::H5Type, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
#[allow(non_camel_case_types)]
pub enum Sorting {
    /// Unsorted.
    none = 0,
    /// Sorted by node id.
    by_id = 1,
    /// Sorted by time.
    by_time = 2,
}

pub use crate::names::{CHUNK, CHUNK_CACHE_BYTES};
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// A (timestamps, node_ids) pair of extendable datasets with a write buffer.
struct SpikeSets {
    ts: h5::Dataset,
    ids: h5::Dataset,
    buf_t: Vec<f64>,
    buf_id: Vec<u64>,
    written: usize,
}

impl SpikeSets {
    fn create(group: &h5::Group, sorting: Sorting, compress: bool) -> h5::Result<Self> {
        let ts = group.new_dataset::<f64>().chunk(CHUNK).shape(0..);
        let ts = if compress { ts.deflate(4) } else { ts }.create(n::TIMESTAMPS)?;
        ts.new_attr::<VarLenUnicode>().create(n::UNITS)?.write_scalar(&vlu("ms"))?;
        let ids = group.new_dataset::<u64>().chunk(CHUNK).shape(0..);
        let ids = if compress { ids.deflate(4) } else { ids }.create(n::NODE_IDS)?;
        group.new_attr::<Sorting>().create(n::SORTING)?.write_scalar(&sorting)?;
        Ok(SpikeSets { ts, ids, buf_t: Vec::with_capacity(CHUNK), buf_id: Vec::with_capacity(CHUNK), written: 0 })
    }

    fn push(&mut self, t_ms: f64, id: u32) {
        self.buf_t.push(t_ms);
        self.buf_id.push(id as u64);
    }

    fn write_out(&mut self) -> h5::Result<()> {
        if self.buf_t.is_empty() {
            return Ok(());
        }
        let new = self.written + self.buf_t.len();
        self.ts.resize(new)?;
        self.ids.resize(new)?;
        self.ts.write_slice(&self.buf_t, self.written..new)?;
        self.ids.write_slice(&self.buf_id, self.written..new)?;
        self.written = new;
        self.buf_t.clear();
        self.buf_id.clear();
        Ok(())
    }
}

/// Binned event and burst counts of one population.
struct Rates {
    time: h5::Dataset,
    er: h5::Dataset,
    br: h5::Dataset,
    bp: h5::Dataset,
    events: u64,
    bursts: u64,
    bins: usize,
}

impl Rates {
    fn create(group: &h5::Group, bin_ms: f64) -> h5::Result<Self> {
        let mk = |name: &str| group.new_dataset::<f64>().chunk(1024).shape(0..).create(name);
        let r = Rates {
            time: mk(n::TIME_MS)?,
            er: mk(n::EVENT_RATE)?,
            br: mk(n::BURST_RATE)?,
            bp: mk(n::BURST_PROB)?,
            events: 0,
            bursts: 0,
            bins: 0,
        };
        group.new_attr::<f64>().create(n::BIN_MS)?.write_scalar(&bin_ms)?;
        Ok(r)
    }

    /// Writes the bin that started at `t0_ms`, of width `bin_ms`, over `n` neurons (spec 2.2:
    /// ER = events / (T_bin N), BR = bursts / (T_bin N), BP = BR / ER).
    fn close_bin(&mut self, t0_ms: f64, bin_ms: f64, n: usize) -> h5::Result<()> {
        let norm = 1000.0 / (bin_ms * n as f64);
        let er = self.events as f64 * norm;
        let br = self.bursts as f64 * norm;
        let bp = if self.events > 0 { self.bursts as f64 / self.events as f64 } else { f64::NAN };
        let k = self.bins;
        for (d, v) in [(&self.time, t0_ms), (&self.er, er), (&self.br, br), (&self.bp, bp)] {
            d.resize(k + 1)?;
            d.write_slice(&[v], k..k + 1)?;
        }
        self.bins += 1;
        self.events = 0;
        self.bursts = 0;
        Ok(())
    }
}

/// Snapshots of one projection's weights (and of its rule's estimates for some neurons).
struct WeightWriter {
    proj: usize,
    time: h5::Dataset,
    mean: h5::Dataset,
    values: Option<h5::Dataset>,
    estimates: Option<(Vec<u32>, [h5::Dataset; 3])>,
    snaps: usize,
}

impl WeightWriter {
    fn create(group: &h5::Group, net: &Network, proj: usize, full: bool, first: usize) -> h5::Result<Self> {
        let p = &net.projections()[proj];
        let mk = |name: &str| group.new_dataset::<f64>().chunk(1024).shape(0..).create(name);
        let (time, mean) = (mk(n::TIME_MS)?, mk(n::WEIGHT_MEAN)?);
        time.new_attr::<VarLenUnicode>().create(n::UNITS)?.write_scalar(&vlu("ms"))?;
        mean.new_attr::<VarLenUnicode>().create(n::UNITS)?.write_scalar(&vlu(n::WEIGHT_UNITS))?;
        let n_syn = p.n_synapses();
        let values = if full && n_syn > 0 {
            // Synapse s goes from pre[s] to post[s]; values[k, s] is its weight at snapshot k.
            let csr = p.csr();
            let pre: Vec<u64> = (0..csr.row_start.len() - 1)
                .flat_map(|j| std::iter::repeat_n(j as u64, csr.row_start[j + 1] - csr.row_start[j]))
                .collect();
            let post: Vec<u64> = csr.targets.iter().map(|&t| t as u64).collect();
            group.new_dataset_builder().with_data(&pre).create(n::WEIGHT_PRE)?;
            group.new_dataset_builder().with_data(&post).create(n::WEIGHT_POST)?;
            let values = group.new_dataset::<f32>().chunk((1, n_syn)).shape((0.., n_syn)).create(n::WEIGHT_VALUES)?;
            values.new_attr::<VarLenUnicode>().create(n::UNITS)?.write_scalar(&vlu(n::WEIGHT_UNITS))?;
            Some(values)
        } else {
            None
        };
        let estimates = match p.plasticity().and_then(|pl| pl.rule().average()) {
            Some(_) if first > 0 => {
                let n_post = net.population(p.to().0 as usize).len();
                let ids: Vec<u32> = (0..first.min(n_post) as u32).collect();
                let k = ids.len();
                let ids64: Vec<u64> = ids.iter().map(|&i| i as u64).collect();
                group.new_dataset_builder().with_data(&ids64).create(n::ESTIMATE_IDS)?;
                let mk2 = |name: &str| group.new_dataset::<f64>().chunk((1, k)).shape((0.., k)).create(name);
                Some((ids, [mk2(n::P_BAR)?, mk2(n::E_BAR)?, mk2(n::B_BAR)?]))
            }
            _ => None,
        };
        Ok(WeightWriter { proj, time, mean, values, estimates, snaps: 0 })
    }

    fn snapshot(&mut self, net: &Network, t_ms: f64) -> h5::Result<()> {
        let p = &net.projections()[self.proj];
        let k = self.snaps;
        for (d, v) in [(&self.time, t_ms), (&self.mean, p.mean_weight())] {
            d.resize(k + 1)?;
            d.write_slice(&[v], k..k + 1)?;
        }
        if let (Some(d), Some(w)) = (&self.values, p.weights().per_synapse()) {
            d.resize((k + 1, w.len()))?;
            d.write_slice(w, (k, ..))?;
        }
        let average = p.plasticity().and_then(|pl| pl.rule().average());
        if let (Some((ids, ds)), Some(id)) = (&self.estimates, average) {
            let avg = net.estimates(p.to().0 as usize).get_average(id);
            let rows: [Vec<f64>; 3] = [
                ids.iter().map(|&i| avg.p_bar(i)).collect(),
                ids.iter().map(|&i| avg.event_rate_hz(i)).collect(),
                ids.iter().map(|&i| avg.burst_rate_hz(i)).collect(),
            ];
            for (d, row) in ds.iter().zip(&rows) {
                d.resize((k + 1, ids.len()))?;
                d.write_slice(row.as_slice(), (k, ..))?;
            }
        }
        self.snaps += 1;
        Ok(())
    }
}

struct PopWriter {
    pop: usize,
    name: String,
    n: usize,
    spikes: Option<SpikeSets>,
    events: Option<SpikeSets>,
    bursts: Option<SpikeSets>,
    rates: Option<Rates>,
}

/// Streams a run into an HDF5 file.
pub struct H5Recorder {
    file: h5::File,
    path: String,
    pops: Vec<PopWriter>,
    weights: Vec<WeightWriter>,
    weight_every: u64,
    state: Vec<StateWriter>,
    examples: ExampleLog,
    dt_ms: f64,
    bin_steps: u64,
    bin_start: u64,
    last_flush: Instant,
}

fn vlu(s: &str) -> VarLenUnicode {
    VarLenUnicode::from_str(s).unwrap_or_else(|_| VarLenUnicode::from_str("").expect("empty string"))
}

/// The root attribute `warnings`: one variable-length string per warning (replaced if present).
fn write_warnings(file: &h5::File, warnings: &[String]) -> h5::Result<()> {
    if file.attr_names()?.iter().any(|a| a == n::ATTR_WARNINGS) {
        file.delete_attr(n::ATTR_WARNINGS)?;
    }
    let text: Vec<VarLenUnicode> = warnings.iter().map(|w| vlu(w)).collect();
    file.new_attr::<VarLenUnicode>().shape(text.len()).create(n::ATTR_WARNINGS)?.write(&text)?;
    Ok(())
}

impl H5Recorder {
    /// Creates the output file (exclusively: an existing file is never truncated, see
    /// [`super::Destination`]) and its groups for the recorded populations.
    pub fn create(
        path: &str,
        model: &Model,
        duration_ms: f64,
        warnings: &[String],
        stamp: &super::provenance::Stamp,
    ) -> Result<Self, RecordError> {
        let (net, out) = (&model.network, &model.output);
        let err = |what: &str| RecordError::hdf5(path, what);
        let file = h5::File::with_options()
            .with_fapl(|p| p.chunk_cache(61, CHUNK_CACHE_BYTES, 1.0))
            .create_excl(path)
            .map_err(err("cannot create the output file"))?;
        let mut weights = Vec::new();
        let mut state = Vec::new();
        let mut init = || -> h5::Result<Vec<PopWriter>> {
            file.new_attr::<u32>().create("magic")?.write_scalar(&n::SONATA_MAGIC)?;
            file.new_attr::<u32>().shape(2).create("version")?.write(&n::SONATA_VERSION)?;
            file.new_attr::<VarLenUnicode>().create(n::ATTR_MODEL)?.write_scalar(&vlu(&model.text))?;
            if let Some(text) = &model.protocol_text {
                file.new_attr::<VarLenUnicode>().create(n::ATTR_PROTOCOL_FILE_TEXT)?.write_scalar(&vlu(text))?;
            }
            file.new_attr::<u64>().create(n::ATTR_SEED)?.write_scalar(&model.seed)?;
            file.new_attr::<VarLenUnicode>().create(n::ATTR_VERSION)?.write_scalar(&vlu(crate::version()))?;
            file.new_attr::<f64>().create(n::ATTR_DT)?.write_scalar(&net.dt_ms())?;
            file.new_attr::<f64>().create(n::ATTR_DURATION)?.write_scalar(&duration_ms)?;
            file.new_attr::<f64>().create(n::ATTR_T_START)?.write_scalar(&net.t_ms())?;
            file.new_attr::<f64>().create(n::ATTR_T_STOP)?.write_scalar(&net.t_ms())?;
            file.new_attr::<u8>().create(n::ATTR_COMPLETE)?.write_scalar(&0)?;
            write_warnings(&file, warnings)?;
            super::provenance::write(&file, stamp)?;
            let groups = |name: &str| file.create_group(name);
            let (gs, ge, gb, gr) = (groups(n::SPIKES)?, groups(n::EVENTS)?, groups(n::BURSTS)?, groups(n::RATES)?);
            if let Some(w) = &out.weights {
                let gw = groups(n::WEIGHTS)?;
                for &p in &w.projections {
                    let g = gw.create_group(net.projections()[p].name())?;
                    weights.push(WeightWriter::create(&g, net, p, w.full, w.estimates_of_first)?);
                }
            }
            if !out.state.is_empty() {
                let gst = groups(n::STATE)?;
                for cfg in &out.state {
                    state.push(StateWriter::create(&gst, cfg)?);
                }
            }
            let mut pops = Vec::new();
            for &p in &out.populations {
                let name = net.info(p).name.as_str();
                let size = net.population(p).len();
                let has_detector = net.spikes(p).has_detector();
                let spikes = if out.spikes {
                    let g = gs.create_group(name)?;
                    g.new_attr::<u64>().create(n::N_NODES)?.write_scalar(&(size as u64))?;
                    Some(SpikeSets::create(&g, Sorting::by_time, out.compression)?)
                } else {
                    None
                };
                let (events, bursts, rates) = if out.events_bursts && has_detector {
                    let e = SpikeSets::create(&ge.create_group(name)?, Sorting::by_time, out.compression)?;
                    // Burst onsets precede their detection, so the list is not sorted by time.
                    let b = SpikeSets::create(&gb.create_group(name)?, Sorting::none, out.compression)?;
                    let r = Rates::create(&gr.create_group(name)?, out.rate_bin_steps as f64 * net.dt_ms())?;
                    (Some(e), Some(b), Some(r))
                } else {
                    (None, None, None)
                };
                pops.push(PopWriter { pop: p, name: name.to_string(), n: size, spikes, events, bursts, rates });
            }
            Ok(pops)
        };
        let pops = init().map_err(err("cannot lay out the output file"))?;
        let mut rec = H5Recorder {
            file,
            path: path.to_string(),
            pops,
            weights,
            weight_every: out.weights.as_ref().map_or(0, |w| w.every_steps),
            state,
            examples: ExampleLog::new(net),
            dt_ms: net.dt_ms(),
            bin_steps: out.rate_bin_steps,
            // a continued run's first bin starts where it resumes
            bin_start: net.steps_done(),
            last_flush: Instant::now(),
        };
        for w in &mut rec.weights {
            w.snapshot(net, net.t_ms()).map_err(RecordError::hdf5(&rec.path, "cannot write weights"))?;
        }
        rec.flush()?;
        Ok(rec)
    }

    /// Saves or restores what the recorder carries from step to step beyond the file: the scores
    /// of the examples (a continued run's `/protocol` goes on from them) and the rate bin in
    /// progress (so the continued run's bins are the first run's grid, its first bin complete).
    /// A continued run that records other populations' rates starts its bins where it resumes.
    pub fn persist(&mut self, io: &mut crate::persist::StateIo) {
        io.scope("examples", |io| self.examples.persist(io));
        io.scope("rates", |io| {
            let names: Vec<String> = self.pops.iter().filter(|w| w.rates.is_some()).map(|w| w.name.clone()).collect();
            if !names.iter().all(|p| io.has(&format!("{p}/events"))) || !io.has("bin_start") {
                return;
            }
            io.value("bin_start", &mut self.bin_start);
            for w in &mut self.pops {
                if let Some(r) = &mut w.rates {
                    io.scope(&w.name, |io| {
                        io.value("events", &mut r.events);
                        io.value("bursts", &mut r.bursts);
                    });
                }
            }
        });
    }

    fn h5err(&self, what: &str) -> impl FnOnce(h5::Error) -> RecordError {
        RecordError::hdf5(&self.path, what)
    }

    /// Records step `step` of `net` (the engine's record phase, at the end of the step).
    pub fn observe(&mut self, net: &Network, step: u64) -> Result<(), RecordError> {
        let t = step as f64 * self.dt_ms;
        let dt = self.dt_ms;
        let mut full = false;
        for w in &mut self.pops {
            let slot = net.spikes(w.pop);
            if let Some(s) = &mut w.spikes {
                for &i in slot.at(step) {
                    s.push(t, i);
                }
                full |= s.buf_t.len() >= CHUNK;
            }
            if let Some(e) = &mut w.events {
                for &i in slot.events() {
                    e.push(t, i);
                }
                full |= e.buf_t.len() >= CHUNK;
            }
            if let Some(b) = &mut w.bursts {
                for (&i, &onset) in slot.bursts().iter().zip(slot.burst_onsets()) {
                    b.push(onset as f64 * dt, i);
                }
                full |= b.buf_t.len() >= CHUNK;
            }
            if let Some(r) = &mut w.rates {
                r.events += slot.events().len() as u64;
                r.bursts += slot.bursts().len() as u64;
            }
        }
        if step + 1 - self.bin_start == self.bin_steps {
            let t0 = self.bin_start as f64 * dt;
            let bin_ms = self.bin_steps as f64 * dt;
            for w in &mut self.pops {
                if let Some(r) = &mut w.rates {
                    let n = w.n;
                    r.close_bin(t0, bin_ms, n).map_err(RecordError::hdf5(&self.path, "cannot write rates"))?;
                }
            }
            self.bin_start = step + 1;
        }
        if self.weight_every > 0 && (step + 1).is_multiple_of(self.weight_every) {
            let t_end = (step + 1) as f64 * dt;
            for w in &mut self.weights {
                w.snapshot(net, t_end).map_err(RecordError::hdf5(&self.path, "cannot write weights"))?;
            }
        }
        for s in &mut self.state {
            full |= s.sample(net, step);
        }
        self.examples.observe(net, step);
        if full {
            self.write_buffers()?;
        }
        if self.last_flush.elapsed() >= FLUSH_EVERY {
            self.examples.write(&self.file, net).map_err(self.h5err("cannot write /protocol"))?;
            self.set_t_stop((step + 1) as f64 * dt)?;
            self.flush()?;
        }
        Ok(())
    }

    fn write_buffers(&mut self) -> Result<(), RecordError> {
        let mut res = Ok(());
        for w in &mut self.pops {
            for s in [&mut w.spikes, &mut w.events, &mut w.bursts].into_iter().flatten() {
                if res.is_ok() {
                    res = s.write_out();
                }
            }
        }
        res.map_err(self.h5err("cannot append spikes"))?;
        for s in &mut self.state {
            s.write_out().map_err(RecordError::hdf5(&self.path, "cannot append state samples"))?;
        }
        Ok(())
    }

    fn set_t_stop(&mut self, t_ms: f64) -> Result<(), RecordError> {
        self.write_buffers()?;
        self.file
            .attr(n::ATTR_T_STOP)
            .and_then(|a| a.write_scalar(&t_ms))
            .map_err(self.h5err("cannot update t_stop_ms"))
    }

    fn flush(&mut self) -> Result<(), RecordError> {
        self.last_flush = Instant::now();
        self.file.flush().map_err(self.h5err("cannot flush the output file"))
    }

    /// Writes what is buffered and the scores of the examples finished (`/protocol`), stamps `t_stop_ms` (and `complete` when the run finished),
    /// replaces the `warnings` attribute by `warnings` (those of the model and those found during
    /// the run) and closes the file. A partial rate bin at the end is dropped (its rate would be
    /// biased).
    pub fn finish(
        mut self,
        net: &Network,
        t_stop_ms: f64,
        complete: bool,
        warnings: &[String],
    ) -> Result<(), RecordError> {
        self.examples.write(&self.file, net).map_err(self.h5err("cannot write /protocol"))?;
        self.set_t_stop(t_stop_ms)?;
        write_warnings(&self.file, warnings).map_err(self.h5err("cannot write the warnings"))?;
        let c: u8 = complete.into();
        self.file
            .attr(n::ATTR_COMPLETE)
            .and_then(|a| a.write_scalar(&c))
            .map_err(self.h5err("cannot mark the file complete"))?;
        self.flush()?;
        Ok(())
    }
}

impl crate::engine::Observer for H5Recorder {
    type Error = RecordError;
    fn observe(&mut self, net: &Network, step: u64) -> Result<(), RecordError> {
        H5Recorder::observe(self, net, step)
    }
}
