//! Reader for the IDX format of the MNIST files (LeCun et al.), optionally gzip-compressed.
//!
//! Layout: a 4-byte big-endian magic `0x0000_08NN` (`08` = unsigned bytes, `NN` = number of
//! dimensions), then `NN` big-endian `u32` sizes, then the data in row-major order. A file is read
//! as gzip when it starts with the gzip magic `1f 8b`, as raw IDX otherwise.

use super::error::RateError;
use flate2::bufread::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A decoded IDX array of unsigned bytes.
#[derive(Debug, Clone)]
pub struct IdxArray {
    /// The sizes of the dimensions, outermost first.
    pub dims: Vec<usize>,
    /// The data, row-major.
    pub data: Vec<u8>,
}

/// Reads the whole file, gunzipping it if it is gzip-compressed. A file of several gzip members
/// (`cat a.gz b.gz`) is read as their concatenation, as `gunzip` does; bytes after the last
/// member that do not start another member are refused (a file with something appended to it, or
/// a copy that went wrong), where the decoder alone would stop at the end of the first member and
/// silently ignore them.
fn read_bytes(path: &Path) -> Result<Vec<u8>, RateError> {
    let raw = std::fs::read(path).map_err(|e| RateError::io(path, e))?;
    if !is_gzip(&raw) {
        return Ok(raw);
    }
    let mut out = Vec::with_capacity(raw.len().saturating_mul(4));
    let mut rest: &[u8] = &raw;
    while !rest.is_empty() {
        if !is_gzip(rest) {
            return Err(RateError::IdxContent {
                path: path.to_path_buf(),
                message: format!(
                    "{} bytes of trailing garbage after the gzip stream (they do not start another gzip member); \
                     the file is damaged or something was appended to it",
                    rest.len()
                ),
            });
        }
        let mut dec = GzDecoder::new(rest);
        dec.read_to_end(&mut out).map_err(|cause| RateError::Gzip { path: path.to_path_buf(), cause })?;
        rest = dec.into_inner();
    }
    Ok(out)
}

fn is_gzip(b: &[u8]) -> bool {
    b.len() >= 2 && b[0] == 0x1f && b[1] == 0x8b
}

/// The dimensions in the header of an IDX file (gzip or raw) with `ndims` dimensions, read
/// without reading the data (for the memory estimate made before loading); None when the file
/// cannot be read, has no such header, or announces more data than the file can hold (deflate
/// expands at most about 1032-fold): the full read then reports why.
pub fn peek_dims(path: &Path, ndims: u8) -> Option<Vec<usize>> {
    let f = std::fs::File::open(path).ok()?;
    let file_len = f.metadata().ok()?.len() as f64;
    let mut head = [0u8; 2];
    let mut r = std::io::BufReader::new(f);
    use std::io::BufRead;
    let buf = r.fill_buf().ok()?;
    head.copy_from_slice(buf.get(..2)?);
    let header_len = 4 + 4 * ndims as usize;
    let mut h = vec![0u8; header_len];
    if is_gzip(&head) {
        GzDecoder::new(r).read_exact(&mut h).ok()?;
    } else {
        r.read_exact(&mut h).ok()?;
    }
    if u32::from_be_bytes([h[0], h[1], h[2], h[3]]) != 0x0000_0800 | ndims as u32 {
        return None;
    }
    let dims: Vec<usize> =
        h[4..].chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize).collect();
    let announced: f64 = dims.iter().map(|&d| d as f64).product();
    let most = if is_gzip(&head) { file_len * 1032.0 } else { file_len };
    (announced <= most).then_some(dims)
}

/// Parses an IDX byte buffer that must have `ndims` dimensions (`path` only names errors).
pub fn parse_idx(bytes: &[u8], ndims: u8, path: &Path) -> Result<IdxArray, RateError> {
    let expected_magic = 0x0000_0800u32 | ndims as u32;
    let header_len = 4 + 4 * ndims as usize;
    if bytes.len() < 4 {
        return Err(RateError::IdxTruncated { path: path.to_path_buf(), expected: header_len, found: bytes.len() });
    }
    let magic = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if magic != expected_magic {
        return Err(RateError::IdxMagic {
            path: path.to_path_buf(),
            found: magic,
            expected: expected_magic,
            dims: ndims,
        });
    }
    if bytes.len() < header_len {
        return Err(RateError::IdxTruncated { path: path.to_path_buf(), expected: header_len, found: bytes.len() });
    }
    let dims: Vec<usize> = (0..ndims as usize)
        .map(|i| {
            let o = 4 + 4 * i;
            u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
        })
        .collect();
    // checked: a corrupt header can announce sizes whose product overflows (2^32 cubed)
    let n = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let Some(expected) = n.and_then(|n| n.checked_add(header_len)) else {
        let shown: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
        return Err(RateError::IdxContent {
            path: path.to_path_buf(),
            message: format!(
                "corrupt IDX header: the dimensions {} announce more bytes than can be addressed",
                shown.join(" x ")
            ),
        });
    };
    if bytes.len() < expected {
        return Err(RateError::IdxTruncated { path: path.to_path_buf(), expected, found: bytes.len() });
    }
    if bytes.len() > expected {
        return Err(RateError::IdxContent {
            path: path.to_path_buf(),
            message: format!(
                "{} trailing bytes after the {} announced by the header",
                bytes.len() - expected,
                expected
            ),
        });
    }
    Ok(IdxArray { dims, data: bytes[header_len..].to_vec() })
}

/// Reads an IDX file (gzip or raw) with `ndims` dimensions.
pub fn read_idx(path: &Path, ndims: u8) -> Result<IdxArray, RateError> {
    let bytes = read_bytes(path)?;
    parse_idx(&bytes, ndims, path)
}

/// A labelled image set: pixels scaled to [0, 1] (the reference's `ToTensor`, no normalisation).
#[derive(Debug, Clone)]
pub struct LabelledImages {
    /// Number of examples.
    pub len: usize,
    /// Pixels per image (784 for MNIST).
    pub dim: usize,
    /// Rows and columns of an image (28 × 28 for MNIST); `dim` is their product.
    pub image_shape: (usize, usize),
    /// `len × dim` pixels, row-major, value / 255.
    pub pixels: Vec<f32>,
    /// `len` labels in 0..=9.
    pub labels: Vec<u8>,
}

impl LabelledImages {
    /// Reads an image file (3 dimensions) and a label file (1 dimension) and checks they agree.
    pub fn read(images: &Path, labels: &Path) -> Result<Self, RateError> {
        let im = read_idx(images, 3)?;
        let lb = read_idx(labels, 1)?;
        if im.dims[0] != lb.dims[0] {
            return Err(RateError::IdxContent {
                path: labels.to_path_buf(),
                message: format!("{} labels for {} images in {}", lb.dims[0], im.dims[0], images.display()),
            });
        }
        if let Some(i) = lb.data.iter().position(|&l| l > 9) {
            return Err(RateError::IdxContent {
                path: labels.to_path_buf(),
                message: format!("label {} of example {} is not a digit 0..9", lb.data[i], i),
            });
        }
        // cannot overflow: parse_idx checked the product of the dimensions
        let dim = im.dims[1] * im.dims[2];
        Ok(LabelledImages {
            len: im.dims[0],
            dim,
            image_shape: (im.dims[1], im.dims[2]),
            pixels: im.data.iter().map(|&p| p as f32 / 255.0).collect(),
            labels: lb.data,
        })
    }

    /// Standardises the pixels in place: x ← (x − mean) / std (the journal code's
    /// `Normalize(0.131, 0.308)` for MNIST, spec 5).
    pub fn standardise(&mut self, mean: f32, std: f32) {
        for p in self.pixels.iter_mut() {
            *p = (*p - mean) / std;
        }
    }

    /// Keeps only the first `n` examples (no-op if `n >= len`).
    pub fn truncate(&mut self, n: usize) {
        if n < self.len {
            self.len = n;
            self.pixels.truncate(n * self.dim);
            self.labels.truncate(n);
        }
    }

    /// Removes the last `n` examples and returns them as a new set (a held-out validation split;
    /// the journal code holds out 10 000 of MNIST's 60 000, spec 1.10). `n` must be below `len`.
    pub fn split_off(&mut self, n: usize) -> LabelledImages {
        let keep = self.len - n.min(self.len);
        let tail = LabelledImages {
            len: self.len - keep,
            dim: self.dim,
            image_shape: self.image_shape,
            pixels: self.pixels.split_off(keep * self.dim),
            labels: self.labels.split_off(keep),
        };
        self.len = keep;
        tail
    }
}

/// The four MNIST files, under their standard names, in one directory.
#[derive(Debug, Clone)]
pub struct Mnist {
    /// 60 000 training examples.
    pub train: LabelledImages,
    /// 10 000 test examples.
    pub test: LabelledImages,
    /// Examples held out of `train` for validation (`data.validation`), if any.
    pub val: Option<LabelledImages>,
}

/// Mean and std of the MNIST training pixels in [0, 1], used by `standardise` (spec 5, [J]).
pub const MNIST_MEAN_STD: (f32, f32) = (0.1307, 0.3081);

/// The standard file names of MNIST: (train images, train labels, test images, test labels).
pub const MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

impl Mnist {
    /// Loads MNIST from `dir`, which holds the four standard `.gz` files.
    pub fn load(dir: &Path) -> Result<Self, RateError> {
        let f = |name: &str| -> PathBuf { dir.join(name) };
        let train = LabelledImages::read(&f(MNIST_FILES[0]), &f(MNIST_FILES[1]))?;
        let test = LabelledImages::read(&f(MNIST_FILES[2]), &f(MNIST_FILES[3]))?;
        // an empty set would train nothing, or report a test error of 0 % over no examples
        for (set, name) in [(&train, MNIST_FILES[0]), (&test, MNIST_FILES[2])] {
            if set.len == 0 {
                return Err(RateError::IdxContent {
                    path: f(name),
                    message: "0 images: training and testing need at least one example".into(),
                });
            }
        }
        Ok(Mnist { train, test, val: None })
    }
}
