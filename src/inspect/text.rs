//! Line-based dataset files (JSONL, CSV, TSV, plain text) and code.
//!
//! Record counts come from the newlines the hashing pass counted, so a 100 GB JSONL file is read
//! once. Only the first line is read again here: the fields of the first JSON record, or the
//! columns of a CSV header. CSV fields may hold newlines inside quotes, so CSV files report
//! `lines`, not records. Python files in a model folder are code that `trust_remote_code`
//! loading runs.

use serde_json::Value;

use super::source::{Malformed, Source};
use super::{FileInfo, Format, Report, rules};
use crate::finding::Severity;

/// Longest first line read for its fields or columns.
const MAX_FIRST_LINE: u64 = 1024 * 1024;
/// Fields or columns recorded.
const MAX_FIELDS: usize = 256;

/// A JSONL, CSV, TSV or text dataset file.
pub fn inspect_lines(
    info: &FileInfo<'_>,
    format: Format,
    source: Source<'_>,
    report: &mut Report,
) -> Result<(), Malformed> {
    let Some(lines) = info.lines else {
        return Ok(());
    };
    let records = lines.records(info.size);
    if format == Format::Jsonl {
        report.fact("records", records);
    } else {
        report.fact("lines", records);
    }
    if info.size == 0 {
        return Ok(());
    }
    let head = source.read(0, info.size.min(MAX_FIRST_LINE), "first line")?;
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let first = String::from_utf8_lossy(first);
    let first = first.trim_end_matches('\r');
    match format {
        Format::Jsonl => match serde_json::from_str::<Value>(first) {
            Ok(Value::Object(map)) => {
                report.fact("fields", map.keys().take(MAX_FIELDS).collect::<Vec<_>>());
            }
            Ok(_) => {}
            Err(e) => report.note(
                rules::NONCONFORMING,
                Severity::Warning,
                format!("the first line is not a JSON value: {e}"),
                Some(0),
            ),
        },
        Format::Csv | Format::Tsv => {
            let delimiter = if format == Format::Csv { ',' } else { '\t' };
            let columns: Vec<&str> = first
                .split(delimiter)
                .map(|c| c.trim_matches('"'))
                .take(MAX_FIELDS)
                .collect();
            report.fact("columns", columns);
        }
        _ => {}
    }
    Ok(())
}

/// A Python file.
pub fn inspect_python(report: &mut Report) {
    report.note(
        rules::REMOTE_CODE,
        Severity::Warning,
        "Python code in the release: loading with `trust_remote_code=True` runs it",
        None,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Lines;
    use crate::vocab::RelPath;

    fn run(name: &str, format: Format, text: &str) -> Report {
        let newlines = text.bytes().filter(|&b| b == b'\n').count() as u64;
        let path = RelPath::new(name).unwrap();
        let info = FileInfo {
            path: &path,
            size: text.len() as u64,
            head: text.as_bytes(),
            lines: Some(Lines {
                newlines,
                ends_with_newline: text.ends_with('\n'),
            }),
        };
        let mut report = Report::default();
        inspect_lines(&info, format, Source::bytes(text.as_bytes()), &mut report).unwrap();
        report
    }

    #[test]
    fn counts_records_and_reads_the_first_one() {
        let r = run(
            "d.jsonl",
            Format::Jsonl,
            "{\"text\":\"a\",\"label\":1}\n{\"text\":\"b\"}\n{\"text\":\"c\"}",
        );
        assert_eq!(r.facts["records"], 3, "the last line has no newline");
        assert_eq!(r.facts["fields"], serde_json::json!(["label", "text"]));
        let r = run("d.csv", Format::Csv, "id,\"text\"\n1,a\n2,b\n");
        assert_eq!(r.facts["lines"], 3);
        assert_eq!(r.facts["columns"], serde_json::json!(["id", "text"]));
        let r = run("d.jsonl", Format::Jsonl, "not json\n");
        assert_eq!(r.notes[0].rule, rules::NONCONFORMING);
        assert_eq!(run("e.jsonl", Format::Jsonl, "").facts["records"], 0);
    }
}
