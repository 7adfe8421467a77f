//! Error messages name the file, the line of the offending key, the key, the value as written and
//! what was expected (issue 10, item 6), on edited copies of the shipped models.

mod common;

use burstsim::model::{self, Overrides};

fn shipped(name: &str) -> String {
    std::fs::read_to_string(common::root().join("models").join(name)).unwrap()
}

/// `text` with its line `n` (1-based), which must be `from`, replaced by `to`.
fn edit_line(text: &str, n: usize, from: &str, to: &str) -> String {
    let mut lines: Vec<&str> = text.split('\n').collect();
    assert_eq!(lines[n - 1], from, "line {n}");
    lines[n - 1] = to;
    lines.join("\n")
}

fn err(text: &str) -> String {
    match model::from_str(text, "models/edited.toml", "edited", &Overrides::default()) {
        Ok(_) => panic!("accepted a bad model"),
        Err(e) => e.to_string(),
    }
}

/// The message begins with `models/edited.toml, line N: ` and holds every part.
fn expect(text: &str, line: usize, parts: &[&str]) {
    let msg = err(text);
    let head = format!("models/edited.toml, line {line}: ");
    assert!(msg.starts_with(&head), "message does not start with `{head}`: {msg}");
    for p in parts {
        assert!(msg.contains(p), "message lacks `{p}`: {msg}");
    }
    assert!(!msg.contains("$__toml"), "message leaks serde's names: {msg}");
}

#[test]
fn a_wrong_type_in_the_third_input_names_its_line_and_key() {
    let text = edit_line(&shipped("multiplexing.toml"), 60, "weight = 0.05", "weight = \"x\"");
    expect(&text, 60, &["input[2]: `weight` = \"x\": expected a number"]);
}

#[test]
fn a_range_error_in_the_third_input_names_its_line() {
    let text = edit_line(&shipped("multiplexing.toml"), 59, "rate_hz = 500.0", "rate_hz = -5.0");
    expect(&text, 59, &["input 2 (poisson -> pyr1): `rate_hz` = -5: expected a rate in Hz >= 0"]);
}

#[test]
fn an_unknown_field_in_the_third_input_names_its_line() {
    let text = edit_line(&shipped("multiplexing.toml"), 60, "weight = 0.05", "weight = 0.05\nbogus = 1");
    expect(&text, 61, &["input[2]: unknown field `bogus`", "rate_hz"]);
}

#[test]
fn range_and_unknown_key_errors_name_the_line_of_the_key() {
    let bg = shipped("background.toml");
    expect(
        &edit_line(&bg, 18, "v_init_sd_mv = 5.0", "v_init_sd_mv = -1.0"),
        18,
        &["population 0 (\"pyr\"): `v_init_sd_mv` = -1: expected a standard deviation in mV from 0 to 1000"],
    );
    expect(
        &edit_line(&bg, 15, "size = 1000", "size = 1000\nbogus = 2"),
        16,
        &["population 0 (\"pyr\"): unknown key `bogus`; expected one of: name, kind, size"],
    );
    expect(
        &edit_line(&bg, 39, "weight = 0.17", "weight = -0.17"),
        39,
        &["projection 0 (bg_exc -> pyr): `weight` = -0.17"],
    );
    expect(
        &edit_line(&bg, 8, "dt_ms = 0.1", "dt_ms = -0.1"),
        8,
        &["[simulation]: `dt_ms` = -0.1: expected a positive"],
    );
}

#[test]
fn a_key_without_value_at_the_end_of_the_file_says_so() {
    let text = format!("{}x =", shipped("background.toml"));
    let line = text.lines().count();
    expect(&text, line, &["`x` = (nothing): expected a value after `=`"]);
}

#[test]
fn a_control_character_is_named_with_its_line() {
    let bg = shipped("background.toml");
    let title = bg.lines().nth(6).unwrap().to_string();
    let text = edit_line(&bg, 7, &title, &title.replace("\"Pyr", "\"\u{1}Pyr"));
    expect(&text, 7, &["a control character (U+0001) at column 10: expected printable characters"]);
    let text = format!("{bg}\u{7}\n");
    expect(&text, text.lines().count(), &["a control character (U+0007) at column 1"]);
}

#[test]
fn an_integer_that_does_not_fit_names_the_key_and_the_range() {
    let text = edit_line(&shipped("background.toml"), 15, "size = 1000", "size = 99999999999999999999");
    expect(&text, 15, &[
        "population[0]: `size` = 99999999999999999999: expected an integer from -9223372036854775808 to 9223372036854775807",
    ]);
}

#[test]
fn huge_floats_print_compactly() {
    let bg = shipped("background.toml");
    expect(
        &edit_line(&bg, 15, "size = 1000", "size = 1e308"),
        15,
        &["population[0]: `size` = 1e308: expected an integer"],
    );
    let msg = err(&edit_line(&bg, 18, "v_init_sd_mv = 5.0", "v_init_sd_mv = -1e308"));
    assert!(msg.contains("`v_init_sd_mv` = -1e308: expected"), "{msg}");
}

#[test]
fn a_date_time_is_called_a_date_time() {
    let bg = shipped("background.toml");
    expect(
        &edit_line(&bg, 8, "dt_ms = 0.1", "dt_ms = 1979-05-27"),
        8,
        &["[simulation]: `dt_ms` = 1979-05-27 (a date-time): expected a number"],
    );
    let text = edit_line(&shipped("multiplexing.toml"), 59, "rate_hz = 500.0", "rate_hz = 1979-05-27");
    expect(&text, 59, &["input[2]: `rate_hz` = 1979-05-27 (a date-time): expected a number"]);
}

#[test]
fn a_stimulus_of_text_rows_is_not_zero_values() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("currents.csv"), "a\nb\nc\n").unwrap();
    let model = dir.path().join("m.toml");
    let text = format!(
        "{}\n[[input]]\nkind = \"neuron_currents\"\ntarget = \"pyr\"\ncompartment = \"soma\"\nfile = \"currents.csv\"\n",
        shipped("background.toml")
    );
    std::fs::write(&model, text).unwrap();
    let e = model::load(&model, &Overrides::default()).unwrap_err().to_string();
    assert!(e.contains("currents.csv: no numeric rows (is the file a CSV of numbers?"), "{e}");
    assert!(!e.contains("0 values"), "{e}");
}
