//! Where a run writes its file, so that nothing already written is lost: a new file is created
//! exclusively (a run never truncates a file, in particular not one another run is writing); an
//! existing file is replaced only when asked (`--force`), by writing beside it and renaming at the
//! end, so the old file stays whole until the new one is closed; the run's own inputs (model,
//! protocol and stimulus files) are never replaced.

use std::path::{Path, PathBuf};

/// Occurs when the output path would lose data.
#[derive(Debug, thiserror::Error)]
pub enum DestinationError {
    /// The file exists and replacing it was not asked for.
    #[error("{file}: the output file exists; pass --force to replace it (nothing was written)")]
    Exists {
        /// The output path.
        file: String,
    },
    /// The output path is one of the run's inputs.
    #[error("{file}: the output would replace an input of the run (the model, protocol or stimulus file); choose another --out")]
    Input {
        /// The output path.
        file: String,
    },
    /// The finished file could not be moved over the old one.
    #[error("{file}: cannot replace it with the finished run ({cause}); the run is in {temp}")]
    Rename {
        /// The output path.
        file: String,
        /// Where the run's file is.
        temp: String,
        /// Why.
        cause: std::io::Error,
    },
}

/// The file a run writes, and the file it ends up as.
#[derive(Debug)]
pub struct Destination {
    target: PathBuf,
    /// A temporary file beside the target while an existing target is being replaced.
    temp: Option<PathBuf>,
}

/// The same file as `p` (symbolic links and `..` resolved), also for a file not yet created.
pub(crate) fn resolved(p: &Path) -> Option<PathBuf> {
    if let Ok(c) = p.canonicalize() {
        return Some(c);
    }
    let parent = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.canonicalize().ok()?,
        _ => std::env::current_dir().ok()?,
    };
    Some(parent.join(p.file_name()?))
}

/// True when `a` and `b` name the same file (existing or not).
pub(crate) fn same_file(a: &str, b: &str) -> bool {
    match (resolved(Path::new(a)), resolved(Path::new(b))) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

impl Destination {
    /// Decides where a run writes `target`: refused when it is one of `inputs`, or when it exists
    /// and `replace` is false.
    pub fn new(target: &str, inputs: &[PathBuf], replace: bool) -> Result<Self, DestinationError> {
        let path = PathBuf::from(target);
        let file = target.to_string();
        if let Some(t) = resolved(&path) {
            if inputs.iter().filter_map(|i| resolved(i)).any(|i| i == t) {
                return Err(DestinationError::Input { file });
            }
        }
        if !path.exists() {
            return Ok(Destination { target: path, temp: None });
        }
        if !replace {
            return Err(DestinationError::Exists { file });
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temp = path.with_file_name(format!(".{name}.partial-{}", std::process::id()));
        let _ = std::fs::remove_file(&temp); // a leftover of this process id: ours to replace
        Ok(Destination { target: path, temp: Some(temp) })
    }

    /// The path to create (exclusively) and write.
    pub fn writing(&self) -> &Path {
        self.temp.as_deref().unwrap_or(&self.target)
    }

    /// After the file is closed: the replacement takes the target's name.
    pub fn commit(self) -> Result<(), DestinationError> {
        match &self.temp {
            None => Ok(()),
            Some(temp) => std::fs::rename(temp, &self.target).map_err(|cause| DestinationError::Rename {
                file: self.target.display().to_string(),
                temp: temp.display().to_string(),
                cause,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_files_exclusive_existing_ones_only_when_asked_inputs_never() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run.h5");
        let model = dir.path().join("m.toml");
        std::fs::write(&model, "x").unwrap();
        let s = |p: &Path| p.to_string_lossy().into_owned();
        let d = Destination::new(&s(&out), std::slice::from_ref(&model), false).unwrap();
        assert_eq!(d.writing(), out.as_path());
        std::fs::write(&out, "old").unwrap();
        let e = Destination::new(&s(&out), &[], false).unwrap_err().to_string();
        assert!(e.contains("exists") && e.contains("--force"), "{e}");
        // Replacing: written beside, the old file untouched until commit.
        let d = Destination::new(&s(&out), &[], true).unwrap();
        assert_ne!(d.writing(), out.as_path());
        std::fs::write(d.writing(), "new").unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old");
        d.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new");
        // The model itself, even through another spelling of its path and with --force.
        let other = dir.path().join(".").join("m.toml");
        let e = Destination::new(&s(&other), std::slice::from_ref(&model), true).unwrap_err().to_string();
        assert!(e.contains("input of the run"), "{e}");
        assert_eq!(std::fs::read_to_string(&model).unwrap(), "x");
    }
}
