//! The error type of the rate-level model: every variant names the file (and key) involved, so that
//! its `Display` is a complete message for the user.

use std::path::PathBuf;

/// Errors of the rate-level BurstCCN: data files, configs, checkpoints, logs and numerics.
#[derive(Debug, thiserror::Error)]
pub enum RateError {
    /// Occurs when a file cannot be opened, read or written.
    #[error("{path}: {cause}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying I/O error.
        cause: std::io::Error,
    },
    /// Occurs when a `.gz` file is not a valid, complete gzip stream.
    #[error("{path}: corrupt or truncated gzip stream ({cause})")]
    Gzip {
        /// The file involved.
        path: PathBuf,
        /// The decoder's error.
        cause: std::io::Error,
    },
    /// Occurs when an IDX file does not start with the magic number of an unsigned-byte IDX file
    /// with the expected number of dimensions.
    #[error(
        "{path}: wrong magic number 0x{found:08x}, expected 0x{expected:08x} (an IDX file of unsigned bytes with {dims} dimension(s))"
    )]
    IdxMagic {
        /// The file involved.
        path: PathBuf,
        /// The magic number found.
        found: u32,
        /// The magic number expected.
        expected: u32,
        /// The number of dimensions expected.
        dims: u8,
    },
    /// Occurs when an IDX file is shorter than its header says (data cut off, or sizes in the header
    /// larger than the data).
    #[error(
        "{path}: truncated IDX file or corrupt header: the header announces {expected} bytes, the file holds {found}"
    )]
    IdxTruncated {
        /// The file involved.
        path: PathBuf,
        /// Bytes announced by the header (header included).
        expected: usize,
        /// Bytes present after decompression.
        found: usize,
    },
    /// Occurs when IDX contents are inconsistent (sizes, label values, image/label counts).
    #[error("{path}: {message}")]
    IdxContent {
        /// The file involved.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Occurs when a config file is not valid TOML for the schema (unknown key, missing field,
    /// wrong type or unknown variant); the message of the TOML parser names the key and line.
    #[error("config {path}: {cause}")]
    ConfigParse {
        /// The config file.
        path: PathBuf,
        /// The parser's error, which names the key.
        cause: Box<toml::de::Error>,
    },
    /// Occurs when a config value parses but is out of range or inconsistent with another.
    #[error("config {path}: key `{key}`: {message}")]
    ConfigValue {
        /// The config file.
        path: PathBuf,
        /// The key, as `section.key`.
        key: String,
        /// What is wrong, with the allowed range.
        message: String,
    },
    /// Occurs when an HDF5 file (a checkpoint or a trace) cannot be written or read.
    #[error("HDF5 file {path}: {message}")]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// Occurs when the memory estimate of a training run exceeds the limit (`--max-memory`, or the
    /// machine's available memory); the message gives the estimate, the limit and the config.
    #[error("{0}")]
    Memory(String),
    /// Occurs when command-line options do not fit the config.
    #[error("{0}")]
    Usage(String),
    /// Occurs when standard output cannot be written (a closed pipe, a full device). `main` exits
    /// quietly with code 0 on a broken pipe (the reader has all it wanted), with code 2 otherwise.
    #[error("cannot write to standard output: {0}")]
    Stdout(std::io::Error),
    /// Occurs when the rayon thread pool cannot be built.
    #[error("cannot start {threads} worker thread(s): {message}")]
    Threads {
        /// Number of threads requested.
        threads: usize,
        /// The builder's error.
        message: String,
    },
    /// Occurs when training produces a non-finite value (the reference stops on NaN too).
    #[error("training diverged: non-finite {what} at epoch {epoch}, batch {batch}; lower the learning rate")]
    Diverged {
        /// Which quantity became non-finite.
        what: String,
        /// 1-based epoch.
        epoch: usize,
        /// 0-based batch within the epoch.
        batch: usize,
    },
}

impl RateError {
    /// Wraps an I/O error with the file it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        RateError::Io { path: path.into(), cause: source }
    }

    /// True for a write to standard output whose reader has gone (`| head -1`): not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, RateError::Stdout(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Writes `args` to the locked standard output and flushes it, so that a closed pipe or a full
/// device is reported here ([`RateError::Stdout`]) instead of making `print!` panic.
pub fn write_stdout(args: std::fmt::Arguments<'_>) -> Result<(), RateError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_fmt(args).and_then(|()| out.flush()).map_err(RateError::Stdout)
}

/// `println!` that returns a [`RateError::Stdout`] on a write error instead of panicking.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::rate::error::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}
