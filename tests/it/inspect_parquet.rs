//! The Parquet inspector against real files written by `pyarrow` 26.0.1: every fact it gives must
//! equal what `pyarrow.parquet.ParquetFile(path).metadata` reports for the same file, and damage
//! to a real footer must become a finding, not a panic.

use std::path::Path;
use std::process::Command;

use scelle::inspect::source::Source;
use scelle::inspect::{FileInfo, Format, Inspection, Kind, inspect, rules};
use scelle::manifest::RelPath;
use serde_json::{Value, json};

use crate::common::{Release, python};

/// Writes a Parquet file at `argv[1]` (variant `argv[2]`), then prints pyarrow's view of its
/// footer as JSON.
const WRITE_AND_DESCRIBE: &str = r#"
import json, sys
import pyarrow as pa
import pyarrow.parquet as pq

path, variant = sys.argv[1], sys.argv[2]
n = {"hf": 10, "same-schema": 7, "renamed": 10}[variant]
score = "weight" if variant == "renamed" else "score"
table = pa.table({
    "text": pa.array([f"row {i}" for i in range(n)], pa.string()),
    "label": pa.array([i % 2 for i in range(n)], pa.int64()),
    score: pa.array([i / 3 for i in range(n)], pa.float64()),
    "flag": pa.array([i % 3 == 0 for i in range(n)], pa.bool_()),
    "meta": pa.array(
        [{"source": "web", "year": 2000 + i} for i in range(n)],
        pa.struct([("source", pa.string()), ("year", pa.int32())]),
    ),
    "tags": pa.array([["a", "b"][: i % 3] for i in range(n)], pa.list_(pa.string())),
})
if variant == "hf":
    features = {
        "text": {"dtype": "string", "_type": "Value"},
        "label": {"names": ["neg", "pos"], "_type": "ClassLabel"},
        "score": {"dtype": "float64", "_type": "Value"},
        "flag": {"dtype": "bool", "_type": "Value"},
        "meta": {
            "source": {"dtype": "string", "_type": "Value"},
            "year": {"dtype": "int32", "_type": "Value"},
        },
        "tags": {"feature": {"dtype": "string", "_type": "Value"}, "_type": "Sequence"},
    }
    table = table.replace_schema_metadata({"huggingface": json.dumps({"info": {"features": features}})})
pq.write_table(table, path, row_group_size=4 if variant == "hf" else 3)

md = pq.ParquetFile(path).metadata
kv = md.metadata or {}
print(json.dumps({
    "num_rows": md.num_rows,
    "num_row_groups": md.num_row_groups,
    "row_group_rows": [md.row_group(i).num_rows for i in range(md.num_row_groups)],
    "num_columns": md.num_columns,
    "leaf_paths": [md.schema.column(i).path for i in range(md.num_columns)],
    "created_by": md.created_by,
    "format_version": md.format_version,
    "metadata_keys": [k.decode() for k in kv],
    "hf_features": list(json.loads(kv[b"huggingface"])["info"]["features"]) if b"huggingface" in kv else None,
}))
"#;

/// Writes `name` in `release` with pyarrow and returns pyarrow's description of it.
fn write(release: &Release, name: &str, variant: &str) -> Value {
    let path = release.path().join(name);
    let out = Command::new(python())
        .arg("-c")
        .arg(WRITE_AND_DESCRIBE)
        .arg(&path)
        .arg(variant)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pyarrow failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs the library's inspection on the file at `path` as the scan would.
fn inspect_file(path: &Path) -> Inspection {
    let file = std::fs::File::open(path).unwrap();
    let size = file.metadata().unwrap().len();
    let mut head = vec![0u8; usize::try_from(size.min(64)).unwrap()];
    std::os::unix::fs::FileExt::read_exact_at(&file, &mut head, 0).unwrap();
    inspect(
        &FileInfo {
            path: &RelPath::new("data.parquet").unwrap(),
            size,
            head: &head,
            lines: None,
        },
        Source::file(&file, size),
    )
}

#[test]
fn facts_match_pyarrow_metadata() {
    let r = Release::new();
    let reference = write(&r, "data.parquet", "hf");
    let got = inspect_file(&r.path().join("data.parquet"));
    assert_eq!(got.format, Format::Parquet);
    assert_eq!(got.kind, Kind::Dataset);
    assert_eq!(got.findings, [], "a file pyarrow wrote has no findings");

    let facts = &got.facts;
    assert_eq!(facts["rows"], reference["num_rows"]);
    assert_eq!(facts["row_groups"], reference["num_row_groups"]);
    assert_eq!(facts["columns"], reference["num_columns"]);
    assert_eq!(facts["column_names"], reference["leaf_paths"]);
    assert_eq!(facts["created_by"], reference["created_by"]);
    // Keys are recorded in footer order; pyarrow's dict puts `ARROW:schema` first.
    let sorted = |v: &Value| {
        let mut keys: Vec<String> = serde_json::from_value(v.clone()).unwrap();
        keys.sort();
        keys
    };
    assert_eq!(
        sorted(&facts["metadata_keys"]),
        sorted(&reference["metadata_keys"])
    );
    assert_eq!(facts["huggingface_features"], reference["hf_features"]);
    // pyarrow reports "2.6" for the footer's version 2 (the minor is not stored).
    let major = reference["format_version"]
        .as_str()
        .unwrap()
        .split('.')
        .next()
        .unwrap();
    assert_eq!(
        facts["format_version"],
        json!(major.parse::<i64>().unwrap())
    );
    let fingerprint = facts["schema_fingerprint"].as_str().unwrap();
    assert!(fingerprint.len() == 64 && fingerprint.bytes().all(|b| b.is_ascii_hexdigit()));

    // Sanity of the reference itself: what the script asked pyarrow to write.
    assert_eq!(reference["num_rows"], json!(10));
    assert_eq!(reference["row_group_rows"], json!([4, 4, 2]));
    assert_eq!(
        reference["leaf_paths"],
        json!([
            "text",
            "label",
            "score",
            "flag",
            "meta.source",
            "meta.year",
            "tags.list.element"
        ])
    );
    assert_eq!(
        reference["hf_features"],
        json!(["text", "label", "score", "flag", "meta", "tags"])
    );
    let keys = facts["metadata_keys"].as_array().unwrap();
    assert!(keys.contains(&json!("huggingface")) && keys.contains(&json!("ARROW:schema")));
    assert!(facts.keys().all(|k| !k.ends_with("_truncated")));
}

#[test]
fn schema_fingerprint_follows_the_schema_not_the_data() {
    let r = Release::new();
    let a = write(&r, "a.parquet", "hf");
    let b = write(&r, "b.parquet", "same-schema");
    let c = write(&r, "c.parquet", "renamed");
    // Different rows, row groups and metadata; same columns.
    assert_ne!(a["row_group_rows"], b["row_group_rows"]);
    assert_eq!(a["leaf_paths"], b["leaf_paths"]);
    assert_ne!(a["leaf_paths"], c["leaf_paths"]);

    let fingerprint = |name: &str| {
        let got = inspect_file(&r.path().join(name));
        assert_eq!(got.findings, []);
        got.facts["schema_fingerprint"].clone()
    };
    assert_eq!(fingerprint("a.parquet"), fingerprint("b.parquet"));
    assert_ne!(fingerprint("a.parquet"), fingerprint("c.parquet"));

    let plain = inspect_file(&r.path().join("b.parquet"));
    assert!(!plain.facts.contains_key("huggingface_features"));
    assert_eq!(plain.facts["row_groups"], b["num_row_groups"]);
    assert_eq!(plain.facts["rows"], b["num_rows"]);
}

#[test]
fn damaged_real_footers_are_findings_at_file_offsets() {
    let r = Release::new();
    write(&r, "good.parquet", "hf");
    let good = std::fs::read(r.path().join("good.parquet")).unwrap();
    let size = good.len();
    let footer_len = u32::from_le_bytes(good[size - 8..size - 4].try_into().unwrap()) as usize;
    let footer_at = (size - 8 - footer_len) as u64;

    let malformed = |bytes: &[u8]| {
        let path = r.file("data.parquet", bytes);
        let got = inspect_file(&path);
        assert_eq!(got.format, Format::Parquet);
        assert_eq!(got.findings.len(), 1, "{:?}", got.findings);
        let f = &got.findings[0];
        assert_eq!(f.rule, rules::MALFORMED);
        assert!(!f.message.ends_with('.') && !f.message.contains('\n'));
        (f.location.as_ref().unwrap().byte_offset.unwrap(), got)
    };

    // A footer length past the start of the file.
    let mut bytes = good.clone();
    bytes[size - 8..size - 4].copy_from_slice(&u32::try_from(size).unwrap().to_le_bytes());
    assert_eq!(malformed(&bytes).0, (size - 8) as u64);

    // Truncated: the end magic is gone.
    assert_eq!(malformed(&good[..size - 3]).0, (size - 7) as u64);

    // The footer cut short by a smaller length: decoding runs off its end, inside the footer.
    let mut bytes = good.clone();
    let short = u32::try_from(footer_len / 2).unwrap();
    bytes[size - 8..size - 4].copy_from_slice(&short.to_le_bytes());
    let (offset, _) = malformed(&bytes);
    let short_at = (size - 8) as u64 - u64::from(short);
    assert!(offset >= short_at && offset < (size - 8) as u64, "{offset}");

    // A schema list size patched to claim far more elements than the footer holds.
    let mut bytes = good.clone();
    // After `version` (header, value) and the `schema` field header: the list header.
    let at = usize::try_from(footer_at).unwrap() + 3;
    assert_eq!(
        bytes[at] & 0x0f,
        12,
        "the schema list of structs follows the version"
    );
    bytes[at] = 0xfc;
    // The size becomes the varint 2^32 - 1 after the header (5 bytes inserted).
    let mut patched = bytes[..=at].to_vec();
    patched.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    patched.extend_from_slice(&bytes[at + 1..size - 8]);
    let mut bytes = patched;
    bytes.extend_from_slice(&u32::try_from(footer_len + 5).unwrap().to_le_bytes());
    bytes.extend_from_slice(b"PAR1");
    let (offset, got) = malformed(&bytes);
    assert_eq!(offset, at as u64);
    assert!(
        got.findings[0].message.contains("4294967295 elements"),
        "{}",
        got.findings[0].message
    );
    assert_eq!(
        got.facts["format_version"],
        json!(2),
        "facts before the damage are kept"
    );
}
