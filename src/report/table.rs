//! The human summary of a scan: what the release holds, by kind and format, and how fast it was
//! hashed. Plain text that reads well without colour; bold headings when colour is on.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::inspect::Kind;
use crate::report::human_bytes;
use crate::scan::Scan;

/// Renders the scan summary for `release` (the folder as the user named it).
pub fn scan_summary(scan: &Scan, release: &str, color: bool) -> String {
    let bold = |s: &str| {
        if color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    };
    let statement = &scan.statement;
    let files = &statement.predicate.files;
    let mut out = String::new();
    let _ = writeln!(out, "{} {release}", bold("release"));
    let _ = writeln!(
        out,
        "  files   {} ({})",
        files.len(),
        human_bytes(scan.bytes)
    );
    let _ = writeln!(out, "  root    sha256:{}", statement.predicate.root.sha256);
    let _ = writeln!(out, "  created {}", statement.predicate.created);
    let _ = writeln!(out);

    let mut by_kind: BTreeMap<Kind, (usize, u64, BTreeSet<&str>)> = BTreeMap::new();
    for f in files {
        let row = by_kind.entry(f.kind).or_default();
        row.0 += 1;
        row.1 += f.size;
        row.2.insert(f.format.as_str());
    }
    let _ = writeln!(
        out,
        "{}",
        bold(&format!(
            "{:<10} {:>6} {:>11}  formats",
            "kind", "files", "size"
        ))
    );
    for kind in Kind::ALL {
        if let Some((count, bytes, formats)) = by_kind.get(&kind) {
            let formats: Vec<&str> = formats.iter().copied().collect();
            let _ = writeln!(
                out,
                "{:<10} {count:>6} {:>11}  {}",
                kind.as_str(),
                human_bytes(*bytes),
                formats.join(", ")
            );
        }
    }
    let _ = writeln!(out);
    let seconds = scan.elapsed.as_secs_f64();
    #[allow(clippy::cast_precision_loss)] // display only
    let rate = if seconds > 0.0 {
        scan.bytes as f64 / seconds / 1e9
    } else {
        0.0
    };
    #[allow(clippy::cast_precision_loss)]
    let files_rate = if seconds > 0.0 {
        files.len() as f64 / seconds
    } else {
        0.0
    };
    let _ = writeln!(
        out,
        "hashed {} in {:.3} s ({rate:.2} GB/s, {files_rate:.0} files/s, {} workers)",
        human_bytes(scan.bytes),
        seconds,
        scan.jobs
    );
    out
}
