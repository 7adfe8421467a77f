//! Memory limits: how much a run may allocate (`--max-memory`, default the machine's available
//! memory) and the check made before allocating (issue 10 item 3). The estimates themselves are
//! made by the parts that allocate (model building, the rate-level trainer).

use std::fmt;

/// A number of bytes as people read it: `512 B`, `3.2 MiB`, `1.5 GiB`.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Bytes(pub f64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        if !b.is_finite() {
            return write!(f, "more than can be counted");
        }
        if b < 1024.0 {
            return write!(f, "{b:.0} B");
        }
        let mut v = b / 1024.0;
        for u in UNITS {
            if u == "EiB" && v >= 1024.0 {
                // beyond any machine: a mantissa and an exponent, not 300 digits
                return write!(f, "{b:.1e} B");
            }
            if v < 1024.0 || u == "EiB" {
                return write!(f, "{v:.1} {u}");
            }
            v /= 1024.0;
        }
        unreachable!()
    }
}

/// Parses a size as given to `--max-memory`: a number of bytes with an optional unit, `K`, `M`,
/// `G`, `T` (powers of 1024; `KiB`, `MB`, `GB` ... are read the same way), e.g. `8G`, `512M`,
/// `1.5GiB`, `1000000`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| format!("{s:?}: expected a size such as 8G, 512M or 1000000 (bytes)"))?;
    let scale = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1.0,
        "K" | "KB" | "KIB" => 1024.0,
        "M" | "MB" | "MIB" => 1024.0 * 1024.0,
        "G" | "GB" | "GIB" => 1024.0 * 1024.0 * 1024.0,
        "T" | "TB" | "TIB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => return Err(format!("{s:?}: unknown unit {other:?}; expected B, K, M, G or T")),
    };
    let bytes = value * scale;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("{s:?}: expected a positive size below 16 EiB"));
    }
    Ok(bytes as u64)
}

/// The memory this process may use: `MemAvailable` of /proc/meminfo (free memory plus what the
/// kernel can reclaim), or None where it cannot be read (then no default limit applies).
pub fn available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// Peak resident set size of this process (VmHWM), KiB; 0 where /proc is not available.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The limit a run is held to: `--max-memory` when given, else the available memory.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    /// Bytes; None = no limit known.
    pub bytes: Option<u64>,
    /// True when it came from `--max-memory`.
    pub explicit: bool,
    /// The worker threads the run will use when given on the command line (`--threads`), which
    /// the estimate counts instead of the model file's `threads`.
    pub threads: Option<usize>,
}

impl Limit {
    /// `--max-memory` if given, else the machine's available memory.
    pub fn new(max_memory: Option<u64>) -> Limit {
        match max_memory {
            Some(b) => Limit { bytes: Some(b), explicit: true, threads: None },
            None => Limit { bytes: available(), explicit: false, threads: None },
        }
    }

    /// The same limit for a run of `threads` worker threads (`--threads`).
    pub fn with_threads(self, threads: Option<usize>) -> Limit {
        Limit { threads, ..self }
    }

    /// No limit (tests, library use).
    pub fn none() -> Limit {
        Limit { bytes: None, explicit: false, threads: None }
    }

    /// Ok when `estimate` bytes fit; otherwise the message of the refusal, which gives the
    /// estimate, the limit and where the limit came from, and how to change it. `what` names the
    /// thing estimated (`model file models/x.toml`).
    pub fn check(&self, estimate: f64, what: &str) -> Result<(), String> {
        match self.bytes {
            Some(limit) if estimate > limit as f64 => Err(format!(
                "{what}: needs an estimated {} of memory, above {} {}; make it smaller{}",
                Bytes(estimate),
                if self.explicit { "the --max-memory limit of" } else { "the" },
                if self.explicit {
                    format!("{}", Bytes(limit as f64))
                } else {
                    format!("{} available on this machine", Bytes(limit as f64))
                },
                if self.explicit { " or raise --max-memory" } else { ", or give --max-memory to try anyway" }
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_powers_of_1024() {
        assert_eq!(parse_size("8G"), Ok(8 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("2 k"), Ok(2048));
        for bad in ["", "G", "-1G", "1X", "nan", "0", "1e400"] {
            assert!(parse_size(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_refusal_gives_estimate_and_limit() {
        let l = Limit { bytes: Some(1 << 30), explicit: true, threads: None };
        assert!(l.check((1u64 << 30) as f64, "m").is_ok());
        let e = l.check(3.0 * (1u64 << 30) as f64, "model file m.toml").unwrap_err();
        assert!(
            e.contains("m.toml") && e.contains("3.0 GiB") && e.contains("1.0 GiB") && e.contains("--max-memory"),
            "{e}"
        );
        assert_eq!(format!("{}", Bytes(1536.0)), "1.5 KiB");
        assert_eq!(format!("{}", Bytes(f64::INFINITY)), "more than can be counted");
        assert_eq!(format!("{}", Bytes(1e300)), "1.0e300 B");
        assert!(Limit::none().check(1e30, "m").is_ok());
    }
}
