//! Provenance in the output (issue 15 item 6): every file a model refers to is stored by name,
//! size, SHA-256 and (text files) content, with the command line, its overrides, the effective
//! duration and thread count; `burstsim inspect --provenance` prints them, and reads files written
//! before these attributes existed.

mod common;

use burstsim::record::provenance::sha256_hex;
use h5::types::VarLenUnicode;
use hdf5_metno as h5;
use std::path::Path;
use std::process::Command;

fn strings(f: &h5::File, name: &str) -> Vec<String> {
    let a = f.attr(name).unwrap_or_else(|e| panic!("attribute {name}: {e}"));
    a.read_raw::<VarLenUnicode>().unwrap().iter().map(|s| s.to_string()).collect()
}

fn run(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(common::bin()).current_dir(dir).args(args).output().unwrap();
    let (so, se) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{args:?}: {se}");
    so.into_owned()
}

const SOURCE: &str = "[simulation]\nduration_ms = 20.0\n\
    [[population]]\nname = \"pyr\"\nkind = \"pyramidal\"\nsize = 4\n\
    [[input]]\nkind = \"constant_current\"\ntarget = \"pyr\"\ncompartment = \"soma\"\ncurrent_pa = 900.0\n";

const MODEL: &str = "[simulation]\nduration_ms = 50.0\nprotocol_file = \"phases.toml\"\n\
    [[population]]\nname = \"pyr\"\nkind = \"pyramidal\"\nsize = 3\n\
    [[population]]\nname = \"old\"\nkind = \"spike_file\"\nsize = 4\nfile = \"source.h5\"\n\
    [[population]]\nname = \"bg\"\nkind = \"poisson\"\nsize = 10\nrate_file = \"rate.csv\"\n\
    [[projection]]\nfrom = \"old\"\nto = \"pyr\"\ntarget = \"soma\"\nreceptor = \"exc\"\nconnect = \"all_to_all\"\nweight = 0.1\n\
    [[projection]]\nfrom = \"bg\"\nto = \"pyr\"\ntarget = \"soma\"\nreceptor = \"exc\"\nconnect = \"all_to_all\"\nweight = 0.1\n\
    [[input]]\nkind = \"file_current\"\ntarget = \"pyr\"\ncompartment = \"soma\"\nfile = \"ramp.csv\"\n\
    [[input]]\nkind = \"neuron_currents\"\ntarget = \"pyr\"\ncompartment = \"dendrite\"\nfile = \"offsets.csv\"\n";

const PHASES: &str = "[[phase]]\nat_ms = 10.0\nrate_hz = { bg = 20.0 }\n";
const RAMP: &str = "time_ms, current_pa\n0, 0\n10, 100\n";
const OFFSETS: &str = "10\n20\n30\n";
const RATE: &str = "time_ms, rate_hz\n0, 5\n50, 50\n";

#[test]
fn sha256_is_the_standard_one() {
    // FIPS 180-2 test vectors
    assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

#[test]
fn referenced_files_command_line_and_threads_are_stored_and_printed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("source.toml"), SOURCE).unwrap();
    run(d, &["run", "source.toml", "--out", "source.h5", "--quiet"]);
    for (name, text) in [("m.toml", MODEL), ("phases.toml", PHASES), ("ramp.csv", RAMP), ("offsets.csv", OFFSETS)] {
        std::fs::write(d.join(name), text).unwrap();
    }
    std::fs::write(d.join("rate.csv"), RATE).unwrap();
    run(d, &["run", "m.toml", "--out", "m.h5", "--seed", "7", "--duration-ms", "30", "--threads", "2", "--quiet"]);

    let f = h5::File::open(d.join("m.h5")).unwrap();
    let names = strings(&f, "input_file_names");
    assert_eq!(names, ["phases.toml", "source.h5", "rate.csv", "ramp.csv", "offsets.csv"]);
    let roles = strings(&f, "input_file_roles");
    assert_eq!(roles[0], "[simulation] protocol_file");
    assert_eq!(roles[1], "population 1 (\"old\") file");
    assert_eq!(roles[4], "input 1 (neuron_currents) file");
    let texts = strings(&f, "input_file_texts");
    assert_eq!(texts, [PHASES, "", RATE, RAMP, OFFSETS], "the HDF5 source is stored by hash only");
    let hashes = strings(&f, "input_file_sha256");
    let source = std::fs::read(d.join("source.h5")).unwrap();
    assert_eq!(hashes[1], sha256_hex(&source));
    assert_eq!(hashes[3], sha256_hex(RAMP.as_bytes()));
    let sizes: Vec<u64> = f.attr("input_file_bytes").unwrap().read_raw().unwrap();
    assert_eq!(sizes[1], source.len() as u64);
    // the protocol file's text is still stored under its own name too (the analysis scripts read it)
    let pt: VarLenUnicode = f.attr("protocol_file_text").unwrap().read_scalar().unwrap();
    assert_eq!(pt.as_str(), PHASES);

    let cmd = strings(&f, "command_line");
    assert_eq!(
        &cmd[1..],
        ["run", "m.toml", "--out", "m.h5", "--seed", "7", "--duration-ms", "30", "--threads", "2", "--quiet"]
    );
    assert_eq!(strings(&f, "overrides"), ["--out m.h5", "--seed 7", "--duration-ms 30", "--threads 2"]);
    assert_eq!(f.attr("threads").unwrap().read_scalar::<u64>().unwrap(), 2);
    assert_eq!(f.attr("duration_ms").unwrap().read_scalar::<f64>().unwrap(), 30.0);
    assert_eq!(f.attr("seed").unwrap().read_scalar::<u64>().unwrap(), 7);
    let version: VarLenUnicode = f.attr("burstsim_version").unwrap().read_scalar().unwrap();
    assert_eq!(version.as_str(), env!("CARGO_PKG_VERSION"));
    drop(f);

    let printed = run(d, &["inspect", "m.h5", "--provenance"]);
    for want in [
        "command line: ",
        " run m.toml --out m.h5 --seed 7 --duration-ms 30 --threads 2 --quiet\n",
        "overrides of the model file: --out m.h5, --seed 7, --duration-ms 30, --threads 2\n",
        "seed: 7\n",
        "duration: 30 ms",
        "threads: 2\n",
        &format!("burstsim version: {}\n", env!("CARGO_PKG_VERSION")),
        &format!("population 1 (\"old\") file = \"source.h5\": {} bytes, sha256 {}", source.len(), sha256_hex(&source)),
        "binary or too large: hash only",
        "--- model ---\n[simulation]\nduration_ms = 50.0\n",
        &format!("--- input 0 (file_current) file = \"ramp.csv\" ---\n{RAMP}"),
        &format!("--- [simulation] protocol_file = \"phases.toml\" ---\n{PHASES}"),
    ] {
        assert!(printed.contains(want), "missing {want:?} in:\n{printed}");
    }
}

#[test]
fn files_written_before_provenance_are_read_with_what_they_hold() {
    // the root attributes of an output written before this change: no input files, no command line
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("old.h5");
    {
        let f = h5::File::create(&p).unwrap();
        let s = |x: &str| x.parse::<VarLenUnicode>().unwrap();
        f.new_attr::<u32>().create("magic").unwrap().write_scalar(&0x0A7Au32).unwrap();
        f.new_attr::<f64>().create("t_stop_ms").unwrap().write_scalar(&5.0).unwrap();
        f.new_attr::<VarLenUnicode>().create("model").unwrap().write_scalar(&s("[simulation]\n")).unwrap();
        f.new_attr::<VarLenUnicode>().create("protocol_file_text").unwrap().write_scalar(&s(PHASES)).unwrap();
        f.create_group("spikes").unwrap();
    }
    let printed = run(dir.path(), &["inspect", "old.h5", "--provenance"]);
    for want in [
        "command line: (not recorded: written by an older burstsim)",
        "input files: (not recorded",
        &format!("--- [simulation] protocol_file (name not recorded) ---\n{PHASES}"),
    ] {
        assert!(printed.contains(want), "missing {want:?} in:\n{printed}");
    }
}
