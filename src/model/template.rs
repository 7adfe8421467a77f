//! Layered model templates (issue 14 item 1): `[[layer]]` and `[[pathway]]` entries, expanded into
//! the `[[population]]`, `[[input]]` and `[[projection]]` entries they stand for before the model
//! is read, so a deep circuit of populations is a few tables, not hundreds.
//!
//! ```toml
//! [[layer]]
//! name = "hidden"            # units hidden0, hidden1, ...
//! units = 2
//! neurons = 500              # per unit
//! kind = "burst_poisson"
//! v_init_sd_mv = 5.0         # any [[population]] key, for every unit
//! [[layer.input]]            # any [[input]] without `target`, for every unit
//! kind = "poisson"
//! compartment = "soma"
//! receptor = "exc"
//! rate_hz = 150.0
//! weight = 0.385
//!
//! [[pathway]]
//! name = "ff1"               # projections ff1_input0_hidden0, ...
//! from = "input"
//! to = "hidden"
//! weight_matrix = [[0.1, 0.2], [0.3, 0.0]]   # rows: units of `to`; columns: units of `from`
//! pairs = "all"              # or "matching": unit i -> unit i only (then `weight` or a list)
//! target = "soma"            # and every other [[projection]] key except from, to, name, weight
//! receptor = "exc"
//! connect = { p = 0.05 }
//! ```
//!
//! A pair whose weight is 0 gets no projection. Expansion happens on the TOML tables, so every
//! generated entry is then validated like a hand-written one; the template's own keys are checked
//! here (names, sizes, shapes), each message naming the entry.

use super::error::ModelError;
use toml::{Table, Value};

/// The template of a file, expanded: the text to read and one summary line per layer and
/// pathway (for `burstsim check`). Text without templates is returned unchanged.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expanded {
    /// The model text with `[[layer]]` and `[[pathway]]` replaced by what they stand for.
    pub text: String,
    /// One line per layer and pathway.
    pub summary: Vec<String>,
}

/// The layer keys that are the template's own; the others go to every unit's `[[population]]`.
const LAYER_KEYS: [&str; 5] = ["name", "units", "neurons", "kind", "input"];
/// The pathway keys that are the template's own; the others go to every `[[projection]]`.
const PATHWAY_KEYS: [&str; 6] = ["name", "from", "to", "pairs", "weight", "weight_matrix"];

/// Expands the templates of `text` (see the module documentation).
pub fn expand(text: &str, file: &str) -> Result<Expanded, ModelError> {
    if !text.contains("[[layer]]") && !text.contains("[[pathway]]") {
        return Ok(Expanded { text: text.to_string(), summary: Vec::new() });
    }
    let Ok(mut doc) = text.parse::<Table>() else {
        // the reader reports the syntax error with its line
        return Ok(Expanded { text: text.to_string(), summary: Vec::new() });
    };
    let bad = |section: String, key: &str, value: String, expected: &str| ModelError::Invalid {
        file: file.to_string(),
        line: 0,
        section,
        key: key.to_string(),
        value,
        expected: expected.to_string(),
    };
    let take = |doc: &mut Table, key: &str| -> Vec<Value> {
        match doc.remove(key) {
            Some(Value::Array(a)) => a,
            Some(other) => vec![other],
            None => Vec::new(),
        }
    };
    let layers = take(&mut doc, "layer");
    let pathways = take(&mut doc, "pathway");
    let mut populations = take(&mut doc, "population");
    let mut inputs = take(&mut doc, "input");
    let mut projections = take(&mut doc, "projection");
    let mut summary = Vec::new();
    // layer name -> unit population names
    let mut units: Vec<(String, Vec<String>)> = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let section = format!("layer {i}");
        let t = l.as_table().ok_or_else(|| bad(section.clone(), "[[layer]]", l.to_string(), "a table"))?;
        let name = name_key(t, &section, file)?;
        let section = format!("layer {i} ({name:?})");
        if units.iter().any(|(n, _)| *n == name) {
            return Err(bad(section, "name", format!("{name:?}"), "a name no other [[layer]] has"));
        }
        let count = int_key(t, "units", &section, file, 1, 10_000)?;
        let neurons = int_key(t, "neurons", &section, file, 1, 100_000_000)?;
        let kind = t
            .get("kind")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                bad(
                    section.clone(),
                    "kind",
                    "(missing)".into(),
                    "a population kind (\"burst_poisson\", \"pyramidal\", \"sst\", ...)",
                )
            })?
            .to_string();
        let layer_inputs: Vec<Table> = match t.get("input") {
            None => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_table()
                        .cloned()
                        .ok_or_else(|| bad(section.clone(), "input", v.to_string(), "[[layer.input]] tables"))
                })
                .collect::<Result<_, _>>()?,
            Some(v) => return Err(bad(section, "input", v.to_string(), "[[layer.input]] tables")),
        };
        for inp in &layer_inputs {
            if inp.contains_key("target") {
                return Err(bad(
                    section,
                    "input.target",
                    "(given)".into(),
                    "no `target`: a layer's inputs go to each of its units",
                ));
            }
        }
        let names: Vec<String> = (0..count).map(|u| format!("{name}{u}")).collect();
        for n in &names {
            let mut p = Table::new();
            p.insert("name".into(), Value::String(n.clone()));
            p.insert("kind".into(), Value::String(kind.clone()));
            p.insert("size".into(), Value::Integer(neurons as i64));
            for (k, v) in t.iter().filter(|(k, _)| !LAYER_KEYS.contains(&k.as_str())) {
                p.insert(k.clone(), v.clone());
            }
            populations.push(Value::Table(p));
            for inp in &layer_inputs {
                let mut x = inp.clone();
                x.insert("target".into(), Value::String(n.clone()));
                if let Some(Value::String(iname)) = x.get("name").cloned() {
                    x.insert("name".into(), Value::String(format!("{iname}_{n}")));
                }
                inputs.push(Value::Table(x));
            }
        }
        summary.push(format!(
            "layer {name}: {count} units of {neurons} {kind} ({}), {} inputs each",
            names.join(", "),
            layer_inputs.len()
        ));
        units.push((name, names));
    }
    let unit_names = |layer: &str, section: &str, key: &str| -> Result<Vec<String>, ModelError> {
        units.iter().find(|(n, _)| n == layer).map(|(_, u)| u.clone()).ok_or_else(|| {
            let known: Vec<&str> = units.iter().map(|(n, _)| n.as_str()).collect();
            bad(
                section.to_string(),
                key,
                format!("{layer:?}"),
                &format!("the name of a [[layer]] ({})", known.join(", ")),
            )
        })
    };
    let mut pathway_names: Vec<String> = Vec::new();
    for (i, pw) in pathways.iter().enumerate() {
        let section = format!("pathway {i}");
        let t = pw.as_table().ok_or_else(|| bad(section.clone(), "[[pathway]]", pw.to_string(), "a table"))?;
        let name = name_key(t, &section, file)?;
        let section = format!("pathway {i} ({name:?})");
        if pathway_names.contains(&name) {
            return Err(bad(section, "name", format!("{name:?}"), "a name no other [[pathway]] has"));
        }
        pathway_names.push(name.clone());
        let str_key = |k: &str| -> Result<String, ModelError> {
            t.get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| bad(section.clone(), k, "(missing)".into(), "a layer name"))
        };
        let (from, to) = (str_key("from")?, str_key("to")?);
        let (pre, post) = (unit_names(&from, &section, "from")?, unit_names(&to, &section, "to")?);
        let matching = match t.get("pairs").map(|v| v.as_str()) {
            None | Some(Some("all")) => false,
            Some(Some("matching")) => true,
            Some(_) => {
                return Err(bad(
                    section,
                    "pairs",
                    t["pairs"].to_string(),
                    "\"all\" (every unit pair) or \"matching\" (unit i -> unit i)",
                ))
            }
        };
        if matching && pre.len() != post.len() {
            return Err(bad(
                section,
                "pairs",
                "\"matching\"".into(),
                &format!("layers of the same number of units ({from} has {}, {to} has {})", pre.len(), post.len()),
            ));
        }
        let weights = weights(t, &section, file, post.len(), pre.len(), matching)?;
        let mut made = 0;
        for (r, post_name) in post.iter().enumerate() {
            for (c, pre_name) in pre.iter().enumerate() {
                let w = weights[r][c];
                if w == 0.0 {
                    continue;
                }
                let mut p = Table::new();
                p.insert("name".into(), Value::String(format!("{name}_{pre_name}_{post_name}")));
                p.insert("from".into(), Value::String(pre_name.clone()));
                p.insert("to".into(), Value::String(post_name.clone()));
                p.insert("weight".into(), Value::Float(w));
                for (k, v) in t.iter().filter(|(k, _)| !PATHWAY_KEYS.contains(&k.as_str())) {
                    p.insert(k.clone(), v.clone());
                }
                projections.push(Value::Table(p));
                made += 1;
            }
        }
        let what: Vec<String> = ["target", "receptor", "transmit"]
            .iter()
            .filter_map(|k| t.get(*k).and_then(Value::as_str).map(str::to_string))
            .collect();
        let plastic = t.get("plasticity").and_then(|p| p.get("rule")).and_then(Value::as_str);
        summary.push(format!(
            "pathway {name}: {from} -> {to}, {made} projections ({}{}{}; named {name}_<from unit>_<to unit>)",
            what.join(" "),
            t.get("stp").map_or(String::new(), |s| format!(", stp {s}")),
            plastic.map_or(String::new(), |r| format!(", plastic ({r})")),
        ));
    }
    for (key, list) in [("population", populations), ("input", inputs), ("projection", projections)] {
        if !list.is_empty() {
            doc.insert(key.into(), Value::Array(list));
        }
    }
    let text = toml::to_string(&doc).map_err(|e| ModelError::Read { file: file.into(), reason: e.to_string() })?;
    Ok(Expanded { text, summary })
}

fn name_key(t: &Table, section: &str, file: &str) -> Result<String, ModelError> {
    match t.get("name").and_then(Value::as_str) {
        Some(n) if !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => Ok(n.to_string()),
        other => Err(ModelError::Invalid {
            file: file.into(),
            line: 0,
            section: section.into(),
            key: "name".into(),
            value: other.map_or("(missing)".into(), |n| format!("{n:?}")),
            expected: "a name of ASCII letters, digits and '_' (units and projections are named after it)".into(),
        }),
    }
}

fn int_key(t: &Table, key: &str, section: &str, file: &str, lo: i64, hi: i64) -> Result<usize, ModelError> {
    match t.get(key).and_then(Value::as_integer) {
        Some(v) if (lo..=hi).contains(&v) => Ok(v as usize),
        _ => Err(ModelError::Invalid {
            file: file.into(),
            line: 0,
            section: section.into(),
            key: key.into(),
            value: t.get(key).map_or("(missing)".into(), |v| v.to_string()),
            expected: format!("an integer from {lo} to {hi}"),
        }),
    }
}

/// The weight of every (post unit, pre unit) pair: `weight` (one value; with "matching" pairs only
/// on the diagonal), or `weight_matrix` (rows: post units, columns: pre units; with "matching" a
/// list, one per unit). Weights are conductances: >= 0 (the receptor gives the sign).
fn weights(
    t: &Table,
    section: &str,
    file: &str,
    rows: usize,
    cols: usize,
    matching: bool,
) -> Result<Vec<Vec<f64>>, ModelError> {
    let bad = |key: &str, value: String, expected: String| ModelError::Invalid {
        file: file.into(),
        line: 0,
        section: section.into(),
        key: key.into(),
        value,
        expected,
    };
    let num = |v: &Value| v.as_float().or(v.as_integer().map(|i| i as f64));
    let check = |w: f64, key: &str| -> Result<f64, ModelError> {
        if w.is_finite() && w >= 0.0 {
            Ok(w)
        } else {
            Err(bad(
                key,
                w.to_string(),
                "conductances >= 0 in units of the target's leak conductance (the receptor gives the sign)".into(),
            ))
        }
    };
    let mut m = vec![vec![0.0; cols]; rows];
    match (t.get("weight"), t.get("weight_matrix")) {
        (Some(w), None) => {
            let w = check(num(w).ok_or_else(|| bad("weight", w.to_string(), "a number".into()))?, "weight")?;
            for (r, row) in m.iter_mut().enumerate() {
                for (c, x) in row.iter_mut().enumerate() {
                    if !matching || r == c {
                        *x = w;
                    }
                }
            }
        }
        (None, Some(Value::Array(a))) if matching => {
            if a.len() != rows {
                return Err(bad(
                    "weight_matrix",
                    format!("{} values", a.len()),
                    format!("one weight per unit ({rows}) with pairs = \"matching\""),
                ));
            }
            for (r, v) in a.iter().enumerate() {
                m[r][r] = check(
                    num(v).ok_or_else(|| bad("weight_matrix", v.to_string(), "numbers".into()))?,
                    "weight_matrix",
                )?;
            }
        }
        (None, Some(Value::Array(a))) => {
            let shape = format!("{rows} rows (units of `to`) of {cols} weights (units of `from`)");
            if a.len() != rows {
                return Err(bad("weight_matrix", format!("{} rows", a.len()), shape));
            }
            for (r, row) in a.iter().enumerate() {
                let row = row
                    .as_array()
                    .filter(|x| x.len() == cols)
                    .ok_or_else(|| bad("weight_matrix", row.to_string(), shape.clone()))?;
                for (c, v) in row.iter().enumerate() {
                    m[r][c] = check(
                        num(v).ok_or_else(|| bad("weight_matrix", v.to_string(), "numbers".into()))?,
                        "weight_matrix",
                    )?;
                }
            }
        }
        (Some(_), Some(_)) => {
            return Err(bad(
                "weight",
                "(with weight_matrix)".into(),
                "either `weight` or `weight_matrix`, not both".into(),
            ))
        }
        (None, Some(v)) => return Err(bad("weight_matrix", v.to_string(), "an array of rows".into())),
        (None, None) => {
            return Err(bad("weight", "(missing)".into(), "`weight` (every pair) or `weight_matrix`".into()))
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = r#"
[simulation]
duration_ms = 10.0

[[layer]]
name = "in"
units = 2
neurons = 5
kind = "burst_poisson"
v_init_sd_mv = 5.0
[[layer.input]]
kind = "poisson"
compartment = "soma"
receptor = "exc"
rate_hz = 100.0
weight = 0.1

[[layer]]
name = "out"
units = 2
neurons = 3
kind = "burst_poisson"

[[pathway]]
name = "ff"
from = "in"
to = "out"
weight_matrix = [[0.1, 0.0], [0.2, 0.3]]
target = "soma"
receptor = "exc"
connect = { p = 0.5 }

[[pathway]]
name = "fb"
from = "out"
to = "in"
pairs = "matching"
weight = 0.4
target = "dendrite"
receptor = "exc"
connect = "all_to_all"
transmit = "bursts"
"#;

    #[test]
    fn expands_units_inputs_and_the_nonzero_pairs() {
        let e = expand(T, "t.toml").unwrap();
        let doc: Table = e.text.parse().unwrap();
        let pops: Vec<&str> =
            doc["population"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(pops, ["in0", "in1", "out0", "out1"]);
        assert_eq!(doc["population"][0]["v_init_sd_mv"].as_float(), Some(5.0));
        assert_eq!(doc["population"][2]["size"].as_integer(), Some(3));
        let inputs = doc["input"].as_array().unwrap();
        assert_eq!(inputs.len(), 2);
        assert_eq!(inputs[1]["target"].as_str(), Some("in1"));
        let proj: Vec<(String, f64)> = doc["projection"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["name"].as_str().unwrap().to_string(), p["weight"].as_float().unwrap()))
            .collect();
        // the zero entry (in1 -> out0) makes no projection; "matching" pairs only unit i -> unit i
        assert_eq!(
            proj,
            [
                ("ff_in0_out0".to_string(), 0.1),
                ("ff_in0_out1".to_string(), 0.2),
                ("ff_in1_out1".to_string(), 0.3),
                ("fb_out0_in0".to_string(), 0.4),
                ("fb_out1_in1".to_string(), 0.4)
            ]
        );
        assert_eq!(doc["projection"][3]["transmit"].as_str(), Some("bursts"));
        assert_eq!(e.summary.len(), 4);
        assert!(e.summary[2].contains("3 projections"), "{:?}", e.summary);
        // text without templates is left as it is (line numbers of messages stay right)
        assert_eq!(expand("[simulation]\n", "x").unwrap().text, "[simulation]\n");
    }

    #[test]
    fn bad_templates_name_the_entry_and_the_key() {
        let cases = [
            (
                T.replace("weight_matrix = [[0.1, 0.0], [0.2, 0.3]]", "weight_matrix = [[0.1, 0.0]]"),
                "weight_matrix",
                "2 rows",
            ),
            (
                T.replace("weight_matrix = [[0.1, 0.0], [0.2, 0.3]]", "weight_matrix = [[0.1, -1.0], [0.2, 0.3]]"),
                "weight_matrix",
                ">= 0",
            ),
            (T.replace("to = \"out\"", "to = \"nowhere\""), "to", "the name of a [[layer]] (in, out)"),
            (
                T.replace("units = 2\nneurons = 3", "units = 3\nneurons = 3")
                    .replace("[[0.1, 0.0], [0.2, 0.3]]", "[[0.1, 0.0], [0.2, 0.3], [0.0, 0.1]]"),
                "pairs",
                "the same number of units",
            ),
            (T.replace("name = \"fb\"", "name = \"ff\""), "name", "no other [[pathway]]"),
            (T.replace("neurons = 5", "neurons = 0"), "neurons", "an integer from 1"),
        ];
        for (text, key, expected) in cases {
            let e = expand(&text, "t.toml").unwrap_err().to_string();
            assert!(e.contains("t.toml") && e.contains(key) && e.contains(expected), "{e}");
        }
    }
}
