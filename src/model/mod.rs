//! Model files: reading TOML ([`schema`]), validating and building a
//! [`Network`](crate::engine::Network) ([`build`]). Two levels, as STYLE.md 5: raw serde structs
//! mirror the file; `build` checks every value and produces the network. Nothing is validated
//! during stepping. String options and their messages are in [`de`].

pub mod build;
pub mod de;
pub mod error;
pub mod params;
pub mod schema;
pub mod template;

pub use build::{Model, OutputConfig, Overrides, Referenced, StateConfig, StateSource, WeightsConfig};
pub use error::ModelError;

use crate::memory::Limit;
use std::path::Path;

/// Reads, validates and builds the model in `path`.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Model, ModelError> {
    load_limited(path, overrides, &Limit::none())
}

/// Reads, validates and builds the model in `path`, refusing before allocating it a model whose
/// estimated memory ([`build::estimate`]) is above `limit`.
pub fn load_limited(path: &Path, overrides: &Overrides, limit: &Limit) -> Result<Model, ModelError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ModelError::Read { file: file.clone(), reason: e.to_string() })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| ModelError::Read { file: file.clone(), reason: "the file is not UTF-8 text".into() })?;
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into());
    from_str_limited(&text, &file, &stem, overrides, limit)
}

/// Validates and builds a model from its text; `file` labels error messages, `stem` names the
/// default output file.
pub fn from_str(text: &str, file: &str, stem: &str, overrides: &Overrides) -> Result<Model, ModelError> {
    from_str_limited(text, file, stem, overrides, &Limit::none())
}

/// [`from_str`] with a memory limit (see [`load_limited`]).
pub fn from_str_limited(
    text: &str,
    file: &str,
    stem: &str,
    overrides: &Overrides,
    limit: &Limit,
) -> Result<Model, ModelError> {
    let ex = template::expand(text, file)?;
    if ex.text == text {
        let raw = parse(text, file)?;
        return build::build(raw, text, file, stem, overrides, limit).map_err(|e| error::with_line(e, text, file));
    }
    // a template file: the entries read are generated, so line numbers would point into the
    // expansion, not the file; messages name the section and key instead
    let raw = parse(&ex.text, file).map_err(error::without_line)?;
    let mut m = build::build(raw, text, file, stem, overrides, limit).map_err(error::without_line)?;
    m.template = ex.summary;
    Ok(m)
}

/// The model text with its `[[layer]]` and `[[pathway]]` templates expanded (unchanged without).
pub fn expanded_text(text: &str, file: &str) -> Result<String, ModelError> {
    Ok(template::expand(text, file)?.text)
}

/// Parses the TOML into the raw schema, turning serde's errors into messages with the key path
/// and line.
pub fn parse(text: &str, file: &str) -> Result<schema::ModelFile, ModelError> {
    parse_as(text, file)
}

/// Parses TOML text into `T` (a model file or a protocol file), naming `file`, the key path and
/// the line on error.
pub(crate) fn parse_as<T: serde::de::DeserializeOwned>(text: &str, file: &str) -> Result<T, ModelError> {
    let de = toml::Deserializer::parse(text).map_err(|e| error::from_syntax(e, text, file))?;
    serde_path_to_error::deserialize(de).map_err(|e| error::from_serde(e, text, file))
}
