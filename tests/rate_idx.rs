//! The IDX reader on the real MNIST files and on corrupted copies written to a temp dir.

use burstsim::rate::idx::{read_idx, LabelledImages, Mnist, MNIST_FILES};
use burstsim::rate::RateError;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::{Read, Write};
use std::path::Path;

const MNIST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/mnist");

fn gunzip(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out).unwrap();
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// The real files: 60 000 + 10 000 images of 28×28, labels 0..9, pixels in [0, 1].
#[test]
fn reads_real_mnist() {
    let m = Mnist::load(Path::new(MNIST)).unwrap();
    assert_eq!((m.train.len, m.train.dim, m.test.len), (60_000, 784, 10_000));
    assert!(m.train.pixels.iter().all(|&p| (0.0..=1.0).contains(&p)));
    assert!(m.train.labels.iter().all(|&l| l < 10));
    // the first training label of MNIST is a 5, the first test label a 7
    assert_eq!((m.train.labels[0], m.test.labels[0]), (5, 7));
}

/// A file whose data stops early (re-gzipped, so the gzip layer is valid): IdxTruncated with the
/// announced and found sizes.
#[test]
fn truncated_idx_data_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let bytes = gunzip(&Path::new(MNIST).join(MNIST_FILES[3]));
    let p = d.join("t10k-labels-idx1-ubyte.gz");
    std::fs::write(&p, gzip(&bytes[..bytes.len() - 100])).unwrap();
    match read_idx(&p, 1) {
        Err(RateError::IdxTruncated { expected, found, .. }) => {
            assert_eq!((expected, found), (10_008, 9_908));
        }
        other => panic!("expected IdxTruncated, got {other:?}"),
    }
    let msg = read_idx(&p, 1).unwrap_err().to_string();
    assert!(msg.contains("t10k-labels-idx1-ubyte.gz") && msg.contains("truncated"), "{msg}");
    // a header cut short too
    std::fs::write(&p, gzip(&bytes[..6])).unwrap();
    assert!(matches!(read_idx(&p, 1), Err(RateError::IdxTruncated { .. })));
}

/// Wrong magic (an image file read as labels, and a zeroed magic): IdxMagic naming the file.
#[test]
fn wrong_magic_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let labels = gunzip(&Path::new(MNIST).join(MNIST_FILES[3]));
    let mut bad = labels.clone();
    bad[2] = 0x0d; // type byte: float instead of unsigned byte
    let p = d.join("bad-magic.gz");
    std::fs::write(&p, gzip(&bad)).unwrap();
    match read_idx(&p, 1) {
        Err(RateError::IdxMagic { found, expected, .. }) => assert_eq!((found, expected), (0x0d01, 0x0801)),
        other => panic!("expected IdxMagic, got {other:?}"),
    }
    let e = read_idx(&Path::new(MNIST).join(MNIST_FILES[3]), 3).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, RateError::IdxMagic { .. }) && msg.contains("wrong magic number 0x00000801"), "{msg}");
}

/// A gzip stream cut in the middle: a Gzip error naming the file.
#[test]
fn truncated_gzip_stream_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let raw = std::fs::read(Path::new(MNIST).join(MNIST_FILES[3])).unwrap();
    let p = d.join("cut.gz");
    std::fs::write(&p, &raw[..raw.len() / 2]).unwrap();
    let e = read_idx(&p, 1).unwrap_err();
    assert!(matches!(e, RateError::Gzip { .. }), "{e:?}");
    assert!(e.to_string().contains("cut.gz"));
}

/// Images and labels of different lengths, a label above 9, and a missing file.
#[test]
fn inconsistent_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let images = d.join("im.gz");
    let labels = d.join("lb.gz");
    // 2 images of 2×2 and 3 labels
    std::fs::write(&images, gzip(&[0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8])).unwrap();
    std::fs::write(&labels, gzip(&[0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3])).unwrap();
    let msg = LabelledImages::read(&images, &labels).unwrap_err().to_string();
    assert!(msg.contains("3 labels for 2 images"), "{msg}");
    std::fs::write(&labels, gzip(&[0, 0, 8, 1, 0, 0, 0, 2, 1, 12])).unwrap();
    let msg = LabelledImages::read(&images, &labels).unwrap_err().to_string();
    assert!(msg.contains("label 12 of example 1"), "{msg}");
    let e = read_idx(&d.join("missing.gz"), 1).unwrap_err();
    assert!(matches!(e, RateError::Io { .. }) && e.to_string().contains("missing.gz"));
    // raw (not gzipped) IDX is accepted
    std::fs::write(&labels, [0, 0, 8, 1, 0, 0, 0, 2, 1, 2]).unwrap();
    assert_eq!(read_idx(&labels, 1).unwrap().data, vec![1, 2]);
}
