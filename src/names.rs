//! Standard names shared by the HDF5 writer, the reader (`inspect`), the analysis scripts and the
//! docs (STYLE.md 15). Layout: DESIGN.md "HDF5 output" and the SONATA spike-file format.

/// SONATA magic number, root attribute `magic`.
pub const SONATA_MAGIC: u32 = 0x0A7A;
/// SONATA version, root attribute `version`.
pub const SONATA_VERSION: [u32; 2] = [0, 1];

/// Root group of SONATA spikes: `/spikes/<population>/{timestamps,node_ids}`.
pub const SPIKES: &str = "spikes";
/// Events: `/events/<population>/{timestamps,node_ids}` (onset time of each event).
pub const EVENTS: &str = "events";
/// Bursts: `/bursts/<population>/{timestamps,node_ids}` (onset time of each burst).
pub const BURSTS: &str = "bursts";
/// Binned rates: `/rates/<population>/{time_ms,event_rate_hz,burst_rate_hz,burst_prob}`.
pub const RATES: &str = "rates";

/// Spike/event/burst times, float64, attribute `units` = "ms".
pub const TIMESTAMPS: &str = "timestamps";
/// Neuron index within the population, uint64, 0-based.
pub const NODE_IDS: &str = "node_ids";
/// Attribute on `/spikes/<population>`: HDF5 enum {none=0, by_id=1, by_time=2}.
pub const SORTING: &str = "sorting";
/// Attribute on `/spikes/<population>`: number of neurons (burstsim's, not SONATA's).
pub const N_NODES: &str = "n_nodes";
/// Attribute on timestamps.
pub const UNITS: &str = "units";

/// Rate datasets.
pub const TIME_MS: &str = "time_ms";
/// Events per neuron per second in each bin.
pub const EVENT_RATE: &str = "event_rate_hz";
/// Bursts per neuron per second in each bin.
pub const BURST_RATE: &str = "burst_rate_hz";
/// Bursts / events in each bin (NaN when there is no event).
pub const BURST_PROB: &str = "burst_prob";
/// Attribute on `/rates/<population>`: bin width in ms.
pub const BIN_MS: &str = "bin_ms";

/// Weight snapshots: `/weights/<projection>/{time_ms, mean}` and optionally `values` (snapshot x
/// synapse) with `pre`, `post` (the synapse list), and `estimate_ids`, `p_bar`, `event_rate_hz`,
/// `burst_rate_hz` (snapshot x neuron) of the plasticity rule's moving averages.
pub const WEIGHTS: &str = "weights";
/// Group of the state monitors (`/state/<population>/<variable>`).
pub const STATE: &str = "state";
/// Mean weight at each snapshot.
pub const WEIGHT_MEAN: &str = "mean";
/// Units of weights (attribute `units` of `mean` and `values`): a weight is the conductance jump
/// of one spike in units of the target compartment's leak conductance.
pub const WEIGHT_UNITS: &str = "g_L";
/// Every synapse's weight at each snapshot (snapshot x synapse).
pub const WEIGHT_VALUES: &str = "values";
/// Presynaptic index of each synapse.
pub const WEIGHT_PRE: &str = "pre";
/// Postsynaptic index of each synapse.
pub const WEIGHT_POST: &str = "post";
/// Postsynaptic neurons whose estimates are recorded.
pub const ESTIMATE_IDS: &str = "estimate_ids";
/// P_bar = Bbar / Ebar of the recorded neurons (snapshot x neuron).
pub const P_BAR: &str = "p_bar";
/// Ebar / tau_avg, Hz.
pub const E_BAR: &str = "event_rate_hz";
/// Bbar / tau_avg, Hz.
pub const B_BAR: &str = "burst_rate_hz";

/// Root attributes.
pub const ATTR_MODEL: &str = "model";
/// Root attribute: the text of the model's `protocol_file` (present only with one), so that the
/// file alone holds every `[[phase]]` of the run.
pub const ATTR_PROTOCOL_FILE_TEXT: &str = "protocol_file_text";
/// Root attribute: seed used.
pub const ATTR_SEED: &str = "seed";
/// Root attribute: burstsim version.
pub const ATTR_VERSION: &str = "burstsim_version";
/// Root attribute: time step, ms.
pub const ATTR_DT: &str = "dt_ms";
/// Root attribute: requested duration, ms.
pub const ATTR_DURATION: &str = "duration_ms";
/// Root attribute: the time the data start at, ms (0, or where a continued run resumed).
pub const ATTR_T_START: &str = "t_start_ms";
/// Root attribute of a continued run: the state file it resumed from, with its SHA-256.
pub const ATTR_RESTORED_FROM: &str = "restored_from";
/// Root attribute: simulated time covered by the data in the file, ms (updated at every flush;
/// smaller than `duration_ms` after an interrupted run).
pub const ATTR_T_STOP: &str = "t_stop_ms";
/// Root attribute: the warnings about the model and the run (one string each; empty when none),
/// the same text as printed on stderr.
pub const ATTR_WARNINGS: &str = "warnings";
/// Root attribute: 1 when the run completed, 0 while running or after an interruption.
pub const ATTR_COMPLETE: &str = "complete";
/// Root attribute: the files the model refers to (protocol, stimulus, per-neuron current, rate
/// and spike files), one string per file: the key that names it (`input 2 (file_current) file`).
/// The attributes `input_file_*` below are parallel to it, one entry per file.
pub const ATTR_INPUT_ROLES: &str = "input_file_roles";
/// Root attribute: each referenced file's name as the model writes it.
pub const ATTR_INPUT_NAMES: &str = "input_file_names";
/// Root attribute: each referenced file's size in bytes (uint64).
pub const ATTR_INPUT_BYTES: &str = "input_file_bytes";
/// Root attribute: the SHA-256 of each referenced file's content (64 lowercase hex digits).
pub const ATTR_INPUT_SHA256: &str = "input_file_sha256";
/// Root attribute: each referenced file's text; empty for a binary file (not UTF-8) or one above
/// [`INPUT_TEXT_LIMIT`] bytes, which only its hash identifies.
pub const ATTR_INPUT_TEXTS: &str = "input_file_texts";
/// The largest text file whose content the output stores (1 MiB): per-neuron current and spike
/// CSVs of networks of this project's size are well below it, while a long recorded spike train
/// or an HDF5 output used as input would make every output carry a copy of it.
pub const INPUT_TEXT_LIMIT: u64 = 1 << 20;
/// Root attribute: the command line of the run (one string per argument, the program first).
pub const ATTR_COMMAND_LINE: &str = "command_line";
/// Root attribute: the command-line options that replaced a value of the model file (`--seed 3`,
/// `--duration-ms 500`, `--threads 2`, `--out F`), one string each.
pub const ATTR_OVERRIDES: &str = "overrides";
/// Root attribute: worker threads of the run (uint64; the output does not depend on it).
pub const ATTR_THREADS: &str = "threads";

// Buffer and chunk sizes of the file layout: the writer uses them, and the memory estimate made
// before a model is built (`model::build::memory`) counts them.

/// Values per spike buffer and per chunk of a spike dataset.
pub const CHUNK: usize = 16 * 1024;

/// Bytes of raw-data chunk cache per dataset: one chunk of a spike dataset. Every dataset is only
/// appended to, so a written chunk is never read back; HDF5's default of 1 MiB per dataset would
/// fill up over a run (~1 MiB of resident memory per recorded dataset).
pub const CHUNK_CACHE_BYTES: usize = CHUNK * 8;

/// Values a state monitor buffers per variable before it appends a block (rows x neurons).
pub const STATE_BLOCK_VALUES: usize = 64 * 1024;

/// Example presentation of a `[protocol]`: `/protocol` with attributes `patterns`, `teachers`,
/// `epochs`, group `examples` (one row per presented example; columns per teacher where noted)
/// and group `epochs` (one row per training epoch).
pub const PROTOCOL: &str = "protocol";
/// `/protocol/examples`.
pub const EXAMPLES: &str = "examples";
/// `/protocol/epochs`.
pub const EPOCHS: &str = "epochs";
/// Example columns: index (presentation order), epoch, kind (0 test before, 1 training, 2 test
/// after), pattern (index into the `patterns` attribute), start_ms, learn_ms (NaN for tests),
/// end_ms; per teacher: target, and for the measurement before learning (the end of the
/// prediction window; the end of a test example) and after it (the end of the learning window):
/// the mean Ebar event rate (Hz), the event rate counted over the window (Hz) and the cost.
pub const EXAMPLE_COLUMNS: [&str; 7] = ["index", "epoch", "kind", "pattern", "start_ms", "learn_ms", "end_ms"];
/// Per-teacher example columns (n_examples x n_teachers).
pub const EXAMPLE_TEACHER_COLUMNS: [&str; 7] =
    ["target", "ebar_before_hz", "rate_before_hz", "cost_before", "ebar_after_hz", "rate_after_hz", "cost_after"];
/// Epoch columns: epoch, and per teacher the sums over the epoch's examples of cost_before and
/// cost_after (the reference's `cost_epoch.dat`).
pub const EPOCH_COLUMNS: [&str; 3] = ["epoch", "cost_before", "cost_after"];
