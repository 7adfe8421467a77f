//! State monitors (`[[output.state]]`): chosen variables of chosen neurons (or a projection's STP
//! u and x per presynaptic neuron), sampled in the engine's record phase every `every_steps`
//! steps and streamed to `/state/<group>/<variable>` (samples x neurons, float32, attribute
//! `units`), with `/state/<group>/time_ms` and `node_ids`. Rows are buffered and appended in
//! blocks, so memory stays bounded and an interrupted run keeps every block written.

use crate::engine::Network;
use crate::model::{StateConfig, StateSource};
use crate::names as n;
use h5::types::VarLenUnicode;
use hdf5_metno as h5;
use std::str::FromStr;

use crate::names::STATE_BLOCK_VALUES as BLOCK_VALUES;

/// One `[[output.state]]` monitor.
pub(super) struct StateWriter {
    cfg: StateConfig,
    time: h5::Dataset,
    sets: Vec<h5::Dataset>,
    buf_t: Vec<f64>,
    bufs: Vec<Vec<f32>>,
    /// Rows per block.
    block_rows: usize,
    written: usize,
}

impl StateWriter {
    /// Lays out the group of one monitor under `/state`.
    pub(super) fn create(parent: &h5::Group, cfg: &StateConfig) -> h5::Result<Self> {
        let g = parent.create_group(&cfg.group)?;
        let k = cfg.neurons.len();
        let block_rows = (BLOCK_VALUES / k.max(1)).clamp(1, 4096);
        let time = g.new_dataset::<f64>().chunk(block_rows).shape(0..).create(n::TIME_MS)?;
        time.new_attr::<VarLenUnicode>().create(n::UNITS)?.write_scalar(&vlu("ms"))?;
        let ids: Vec<u64> = cfg.neurons.iter().map(|&i| i as u64).collect();
        g.new_dataset_builder().with_data(&ids).create(n::NODE_IDS)?;
        let mut sets = Vec::new();
        for &(_, name, units) in &cfg.variables {
            let d = g.new_dataset::<f32>().chunk((block_rows, k)).shape((0.., k)).create(name)?;
            d.new_attr::<VarLenUnicode>().create(n::UNITS)?.write_scalar(&vlu(units))?;
            sets.push(d);
        }
        Ok(StateWriter {
            cfg: cfg.clone(),
            time,
            sets,
            buf_t: Vec::with_capacity(block_rows),
            bufs: vec![Vec::with_capacity(block_rows * k); cfg.variables.len()],
            block_rows,
            written: 0,
        })
    }

    /// Samples the network at the end of `step` when it is a sampling step; true when a block is
    /// full and should be written.
    pub(super) fn sample(&mut self, net: &Network, step: u64) -> bool {
        if !step.is_multiple_of(self.cfg.every_steps) {
            return false;
        }
        self.buf_t.push(step as f64 * net.dt_ms());
        for (&(var, _, _), buf) in self.cfg.variables.iter().zip(&mut self.bufs) {
            match self.cfg.source {
                StateSource::Population(p) => net.population(p).sample(var, &self.cfg.neurons, buf),
                StateSource::Projection(j) => {
                    let values = net.projections()[j].stp().expect("validated: the projection has STP").state(var);
                    buf.extend(self.cfg.neurons.iter().map(|&i| values[i as usize]));
                }
            }
        }
        self.buf_t.len() >= self.block_rows
    }

    /// Appends the buffered rows.
    pub(super) fn write_out(&mut self) -> h5::Result<()> {
        let rows = self.buf_t.len();
        if rows == 0 {
            return Ok(());
        }
        let (a, b, k) = (self.written, self.written + rows, self.cfg.neurons.len());
        self.time.resize(b)?;
        self.time.write_slice(&self.buf_t, a..b)?;
        for (d, buf) in self.sets.iter().zip(&mut self.bufs) {
            d.resize((b, k))?;
            let block = ndarray::ArrayView2::from_shape((rows, k), buf.as_slice()).expect("rows x neurons buffered");
            d.write_slice(block, (a..b, ..))?;
            buf.clear();
        }
        self.buf_t.clear();
        self.written = b;
        Ok(())
    }
}

fn vlu(s: &str) -> VarLenUnicode {
    VarLenUnicode::from_str(s).unwrap_or_else(|_| VarLenUnicode::from_str("").expect("empty string"))
}
