use super::*;
use crate::inspect::Note;
use proptest::prelude::*;
use serde_json::json;

/// A schema element to write: `type`, `repetition_type`, `name`, `num_children`.
type Spec<'s> = (Option<i32>, Option<i32>, &'s str, Option<i32>);

/// Where test footers start: after `PAR1` and four bytes standing for the data.
const FOOTER_AT: u64 = 8;

/// A compact-protocol writer for hand-built footers; field deltas are computed per struct.
struct W {
    b: Vec<u8>,
    last: Vec<i16>,
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)).cast_unsigned()
}

impl W {
    /// A writer positioned inside the top-level `FileMetaData` struct.
    fn new() -> Self {
        W {
            b: Vec::new(),
            last: vec![0],
        }
    }

    fn varint(&mut self, mut v: u64) -> &mut Self {
        while v >= 0x80 {
            self.b.push(u8::try_from(v & 0x7f).unwrap() | 0x80);
            v >>= 7;
        }
        self.b.push(u8::try_from(v).unwrap());
        self
    }

    fn header(&mut self, id: i16, t: u8) -> &mut Self {
        let last = self.last.last_mut().unwrap();
        let delta = id - *last;
        *last = id;
        if (1..=15).contains(&delta) {
            self.b.push((u8::try_from(delta).unwrap() << 4) | t);
        } else {
            self.b.push(t);
            self.varint(zigzag(i64::from(id)));
        }
        self
    }

    fn i32(&mut self, id: i16, v: i32) -> &mut Self {
        self.header(id, ty::I32).varint(zigzag(i64::from(v)))
    }

    fn i64(&mut self, id: i16, v: i64) -> &mut Self {
        self.header(id, ty::I64).varint(zigzag(v))
    }

    fn bin(&mut self, id: i16, bytes: &[u8]) -> &mut Self {
        self.header(id, ty::BINARY).varint(bytes.len() as u64);
        self.b.extend_from_slice(bytes);
        self
    }

    fn list_header(&mut self, n: u64, elem: u8) -> &mut Self {
        if n < 15 {
            self.b.push((u8::try_from(n).unwrap() << 4) | elem);
            self
        } else {
            self.b.push(0xf0 | elem);
            self.varint(n)
        }
    }

    fn list(&mut self, id: i16, n: u64, elem: u8) -> &mut Self {
        self.header(id, ty::LIST).list_header(n, elem)
    }

    /// Opens a struct field (or, with `None`, a struct element of a list).
    fn open(&mut self, id: Option<i16>) -> &mut Self {
        if let Some(id) = id {
            self.header(id, ty::STRUCT);
        }
        self.last.push(0);
        self
    }

    /// Writes the stop byte of the innermost struct.
    fn close(&mut self) -> &mut Self {
        self.b.push(0);
        self.last.pop();
        self
    }

    fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.b.extend_from_slice(bytes);
        self
    }

    /// A `schema` list: (`type`, `repetition_type`, `name`, `num_children`) per element.
    fn schema(&mut self, elements: &[Spec<'_>]) -> &mut Self {
        self.list(2, elements.len() as u64, ty::STRUCT);
        for (physical, repetition, name, children) in elements {
            self.open(None);
            if let Some(t) = physical {
                self.i32(1, *t);
            }
            if let Some(r) = repetition {
                self.i32(3, *r);
            }
            self.bin(4, name.as_bytes());
            if let Some(n) = children {
                self.i32(5, *n);
            }
            self.close();
        }
        self
    }

    fn row_groups(&mut self, rows: &[i64]) -> &mut Self {
        self.list(4, rows.len() as u64, ty::STRUCT);
        for r in rows {
            self.open(None).i64(3, *r).close();
        }
        self
    }
}

/// `PAR1`, four data bytes, the footer, its length, `PAR1`.
fn file(footer: &[u8]) -> Vec<u8> {
    let mut out = b"PAR1data".to_vec();
    out.extend_from_slice(footer);
    out.extend_from_slice(&u32::try_from(footer.len()).unwrap().to_le_bytes());
    out.extend_from_slice(b"PAR1");
    out
}

fn run(bytes: &[u8]) -> (Report, Result<(), Malformed>) {
    let mut report = Report::default();
    let result = inspect(Source::bytes(bytes), &mut report);
    (report, result)
}

/// Inspects a file around `footer` and returns the error, which must be there.
fn malformed(footer: &[u8]) -> Malformed {
    run(&file(footer)).1.unwrap_err()
}

const HF: &str = r#"{"info":{"features":{"text":{"dtype":"string","_type":"Value"},"label":{"names":["neg","pos"],"_type":"ClassLabel"}}},"other":[1,2]}"#;

/// A footer like pyarrow's: nested group, logical types, column chunks, column orders and an
/// unknown field of every type, which must all be skipped.
fn sample() -> Vec<u8> {
    let mut w = W::new();
    w.i32(1, 2);
    // schema: root, id, text (with a logicalType union), meta { a, b }
    w.list(2, 6, ty::STRUCT);
    w.open(None).bin(4, b"schema").i32(5, 3).close();
    w.open(None).i32(1, 2).i32(3, 0).bin(4, b"id").close();
    w.open(None).i32(1, 6).i32(3, 1).bin(4, b"text").i32(6, 0);
    w.open(Some(10)).open(Some(1)).close().close();
    w.close();
    w.open(None).i32(3, 1).bin(4, b"meta").i32(5, 2).close();
    w.open(None).i32(1, 1).i32(3, 1).bin(4, b"a").close();
    w.open(None).i32(1, 5).i32(3, 0).bin(4, b"b").close();
    w.i64(3, 5);
    // row_groups: 3 + 2 rows, each with a column chunk holding nested metadata
    w.list(4, 2, ty::STRUCT);
    for rows in [3, 2] {
        w.open(None);
        w.list(1, 1, ty::STRUCT).open(None).i64(2, 4).open(Some(3));
        w.i32(1, 6).list(2, 2, ty::I32).varint(0).varint(6);
        w.list(3, 1, ty::BINARY).varint(4).raw(b"text");
        w.open(Some(12)).bin(1, b"max").header(7, ty::TRUE).close();
        w.close().close();
        w.i64(2, 100).i64(3, rows);
        w.close();
    }
    w.list(5, 2, ty::STRUCT);
    w.open(None)
        .bin(1, b"ARROW:schema")
        .bin(2, b"/////base64")
        .close();
    w.open(None)
        .bin(1, b"huggingface")
        .bin(2, HF.as_bytes())
        .close();
    w.bin(6, b"parquet-cpp-arrow version 26.0.1");
    w.list(7, 4, ty::STRUCT);
    for _ in 0..4 {
        w.open(None).open(Some(1)).close().close();
    }
    // Unknown fields (ids past 15 need the long header form): a double, a uuid, a bool
    // list, a map of string to list of i64, a set, a byte, an i16, bools in headers.
    w.header(40, ty::DOUBLE).raw(&1.5f64.to_le_bytes());
    w.header(41, ty::UUID).raw(&[7; 16]);
    w.list(42, 3, ty::TRUE).raw(&[1, 2, 1]);
    w.header(43, ty::MAP)
        .varint(2)
        .raw(&[(ty::BINARY << 4) | ty::LIST]);
    for key in [b"k1", b"k2"] {
        w.varint(2)
            .raw(key)
            .list_header(2, ty::I64)
            .varint(3)
            .varint(4);
    }
    w.header(44, ty::SET).list_header(0, ty::STRUCT);
    w.header(45, ty::BYTE).raw(&[0xff]);
    w.header(46, ty::I16).varint(zigzag(-3));
    w.header(47, ty::FALSE).header(48, ty::TRUE);
    w.header(49, ty::MAP).varint(0);
    w.close();
    w.b
}

fn fingerprint(canonical: &str) -> String {
    Sha256Digest::of(canonical.as_bytes()).to_hex()
}

#[test]
fn minimal_valid_footer_gives_its_facts() {
    let (report, result) = run(&file(&sample()));
    assert_eq!(result, Ok(()));
    assert_eq!(report.notes, []);
    // The canonical text as documented on `SchemaWalk`, written out by hand.
    let canonical = "parquet-schema-v1\n\
                     1 required INT64 2:id\n\
                     1 optional BYTE_ARRAY 4:text\n\
                     1 optional group/2 4:meta\n\
                     2 optional INT32 1:a\n\
                     2 required DOUBLE 1:b\n";
    let expected = json!({
        "format_version": 2,
        "rows": 5,
        "row_groups": 2,
        "columns": 4,
        "column_names": ["id", "text", "meta.a", "meta.b"],
        "schema_fingerprint": fingerprint(canonical),
        "created_by": "parquet-cpp-arrow version 26.0.1",
        "metadata_keys": ["ARROW:schema", "huggingface"],
        "huggingface_features": ["text", "label"],
    });
    assert_eq!(serde_json::to_value(&report.facts).unwrap(), expected);
}

#[test]
fn the_fingerprint_ignores_the_root_name_but_not_repetition() {
    let facts = |root: &str, rep: i32| {
        let mut w = W::new();
        w.i32(1, 1)
            .schema(&[(None, None, root, Some(1)), (Some(1), Some(rep), "x", None)])
            .i64(3, 0)
            .row_groups(&[])
            .close();
        let (report, result) = run(&file(&w.b));
        assert_eq!(result, Ok(()));
        report.facts["schema_fingerprint"].clone()
    };
    assert_eq!(facts("schema", 0), facts("spark_schema", 0));
    assert_ne!(facts("schema", 0), facts("schema", 1));
    assert_eq!(
        facts("schema", 1),
        json!(fingerprint("parquet-schema-v1\n1 optional INT32 1:x\n"))
    );
}

#[test]
fn missing_magic_is_malformed() {
    let mut bytes = file(&sample());
    bytes[..4].copy_from_slice(b"XXXX");
    assert_eq!(
        run(&bytes).1,
        Err(Malformed::new(0, "missing `PAR1` magic at the start"))
    );

    let mut bytes = file(&sample());
    let end = bytes.len();
    bytes[end - 4..].copy_from_slice(b"PAR2");
    assert_eq!(
        run(&bytes).1,
        Err(Malformed::new(
            end as u64 - 4,
            "missing `PAR1` magic at the end"
        ))
    );

    assert_eq!(
        run(b"PAR1PAR1").1,
        Err(Malformed::new(
            0,
            "8 bytes is too small for Parquet (at least 12)"
        ))
    );
}

#[test]
fn footer_length_past_the_file_or_over_the_cap_is_malformed() {
    let mut bytes = b"PAR1data".to_vec();
    bytes.extend_from_slice(&1000u32.to_le_bytes());
    bytes.extend_from_slice(b"PAR1");
    assert_eq!(
        run(&bytes).1,
        Err(Malformed::new(
            8,
            "footer length 1000 is larger than the 4 bytes between the magic numbers"
        ))
    );
    bytes[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        run(&bytes).1,
        Err(Malformed::new(
            8,
            "footer length 4294967295 is over the 67108864-byte limit"
        ))
    );
}

#[test]
fn a_list_claiming_2_pow_60_elements_fails_before_reading_any() {
    let mut w = W::new();
    w.i32(1, 2).list(2, 1 << 60, ty::STRUCT).raw(&[0, 0, 0]);
    // Header byte of `version` (1) and its value (1), then the list header at 2.
    assert_eq!(
        malformed(&w.b),
        Malformed::new(
            FOOTER_AT + 3,
            "`FileMetaData.schema`: 1152921504606846976 elements need at least \
             1152921504606846976 bytes, but only 3 remain in the footer"
        )
    );
    // The same in an unknown field, skipped generically: a list of doubles, then a map.
    let mut w = W::new();
    w.list(20, (1 << 60) / 8, ty::DOUBLE).raw(&[0; 9]);
    let err = malformed(&w.b);
    assert_eq!(err.offset, FOOTER_AT + 2);
    assert!(
        err.message.starts_with(
            "list: 144115188075855872 elements need at least 1152921504606846976 bytes"
        ),
        "{err}"
    );
    let mut w = W::new();
    w.header(20, ty::MAP)
        .varint(1 << 60)
        .raw(&[(ty::I32 << 4) | ty::I32, 0, 0]);
    let err = malformed(&w.b);
    assert_eq!(err.offset, FOOTER_AT + 2);
    assert!(
        err.message
            .contains("2305843009213693952 bytes, but only 2 remain"),
        "{err}"
    );
}

#[test]
fn a_binary_length_past_the_end_is_malformed() {
    let mut w = W::new();
    w.i32(1, 2).bin(6, b"abc");
    // Rewrite the length (3, one byte at 3) as 1000 (two bytes).
    w.b.truncate(3);
    w.varint(1000).raw(b"abc");
    assert_eq!(
        malformed(&w.b),
        Malformed::new(
            FOOTER_AT + 3,
            "`FileMetaData.created_by`: 1000 bytes, but only 3 remain in the footer"
        )
    );
    let mut w = W::new();
    w.header(6, ty::BINARY).varint(u64::MAX);
    assert_eq!(
        malformed(&w.b),
        Malformed::new(
            FOOTER_AT + 1,
            "`FileMetaData.created_by`: 18446744073709551615 bytes, but only 0 remain in the footer"
        )
    );
}

#[test]
fn nesting_deeper_than_the_cap_is_malformed() {
    // An unknown field 20 holding structs nested 40 deep: `FileMetaData` is level 1, so
    // the 32nd nested struct is level 33. Field 20 takes two header bytes, the others one.
    let mut w = W::new();
    w.open(Some(20));
    for _ in 1..40 {
        w.open(Some(1));
    }
    for _ in 0..41 {
        w.close();
    }
    assert_eq!(
        malformed(&w.b),
        Malformed::new(
            FOOTER_AT + 2 + 31,
            "Thrift structures nest deeper than 32 levels"
        )
    );
    // Lists of lists count too.
    let mut w = W::new();
    w.list(20, 1, ty::LIST);
    for _ in 0..40 {
        w.list_header(1, ty::LIST);
    }
    let err = malformed(&w.b);
    assert_eq!(err.message, "Thrift structures nest deeper than 32 levels");
}

#[test]
fn a_truncated_or_overlong_varint_is_malformed() {
    assert_eq!(
        malformed(&[0x15, 0x80, 0x80]),
        Malformed::new(
            FOOTER_AT + 1,
            "`FileMetaData.version`: varint cut off by the end of the footer"
        )
    );
    let mut footer = vec![0x36];
    footer.extend_from_slice(&[0xff; 9]);
    footer.push(0x02);
    assert_eq!(
        malformed(&footer),
        Malformed::new(
            FOOTER_AT + 1,
            "`FileMetaData.num_rows`: varint longer than 64 bits"
        )
    );
    assert_eq!(
        malformed(&[0x15, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00]),
        Malformed::new(
            FOOTER_AT + 1,
            "`FileMetaData.version`: 2147483648 does not fit in an i32"
        )
    );
    // An empty footer: not even a stop byte.
    assert_eq!(
        malformed(&[]),
        Malformed::new(FOOTER_AT, "field header: the footer ends early")
    );
}

#[test]
fn an_encrypted_footer_is_noted_and_not_read() {
    let mut bytes = b"PAREdata".to_vec();
    bytes.extend_from_slice(&[0xde, 0xad]);
    bytes.extend_from_slice(&2u32.to_le_bytes());
    bytes.extend_from_slice(b"PARE");
    let (report, result) = run(&bytes);
    assert_eq!(result, Ok(()));
    assert!(report.facts.is_empty());
    assert_eq!(
        report.notes,
        [Note {
            rule: rules::NOTE,
            severity: Severity::Info,
            message: "encrypted footer, metadata not read".into(),
            offset: Some(bytes.len() as u64 - 4),
        }]
    );
}

#[test]
fn num_children_inconsistent_with_the_list_is_malformed() {
    // The root claims 3 children, 2 follow.
    let mut w = W::new();
    w.i32(1, 2).schema(&[
        (None, None, "schema", Some(3)),
        (Some(1), None, "a", None),
        (Some(1), None, "b", None),
    ]);
    let end = FOOTER_AT + w.b.len() as u64;
    w.i64(3, 0).row_groups(&[]).close();
    assert_eq!(
        malformed(&w.b),
        Malformed::new(
            end,
            "the schema's `num_children` counts expect 1 more elements than the 3 listed"
        )
    );
    // The root claims 1 child, 2 follow: the second is outside the tree.
    let mut w = W::new();
    w.i32(1, 2)
        .schema(&[(None, None, "schema", Some(1)), (Some(1), None, "a", None)]);
    let at = FOOTER_AT + w.b.len() as u64;
    w.open(None)
        .i32(1, 1)
        .bin(4, b"b")
        .close()
        .i64(3, 0)
        .row_groups(&[])
        .close();
    // Patch the list size from 2 to 3.
    w.b[3] = (3 << 4) | ty::STRUCT;
    assert_eq!(
        malformed(&w.b),
        Malformed::new(
            at,
            "schema element 2 (`b`) lies outside the tree its `num_children` counts describe"
        )
    );
    // A negative count.
    let mut w = W::new();
    w.i32(1, 2).schema(&[(None, None, "schema", Some(-1))]);
    assert_eq!(
        malformed(&w.b),
        Malformed::new(FOOTER_AT + 4, "schema element 0 (`schema`) has -1 children")
    );
    // No root at all.
    let mut w = W::new();
    w.i32(1, 2).schema(&[]);
    assert_eq!(
        malformed(&w.b),
        Malformed::new(
            FOOTER_AT + 4,
            "`FileMetaData.schema` is empty (it needs a root element)"
        )
    );
}

#[test]
fn num_rows_differing_from_the_row_groups_is_a_warning() {
    let mut w = W::new();
    w.i32(1, 2).schema(&[
        (None, None, "schema", Some(1)),
        (Some(2), Some(0), "n", None),
    ]);
    let rows_at = FOOTER_AT + w.b.len() as u64;
    w.i64(3, 10).row_groups(&[4, 4]).close();
    let (report, result) = run(&file(&w.b));
    assert_eq!(result, Ok(()));
    assert_eq!(report.facts["rows"], json!(10));
    assert_eq!(report.facts["row_groups"], json!(2));
    assert_eq!(
        report.notes,
        [Note {
            rule: rules::NONCONFORMING,
            severity: Severity::Warning,
            message: "`num_rows` is 10 but the 2 row groups hold 8 rows".into(),
            offset: Some(rows_at),
        }]
    );
}

#[test]
fn missing_wrong_or_repeated_fields_are_malformed_and_earlier_facts_kept() {
    let mut w = W::new();
    w.i32(1, 2)
        .schema(&[(None, None, "schema", Some(0))])
        .i64(3, 0)
        .close();
    let (report, result) = run(&file(&w.b));
    assert_eq!(
        result,
        Err(Malformed::new(
            FOOTER_AT,
            "`FileMetaData` lacks the required field `row_groups`"
        ))
    );
    assert_eq!(report.facts["format_version"], json!(2));
    assert_eq!(report.facts["columns"], json!(0));
    assert_eq!(report.facts["column_names"], json!([]));
    assert_eq!(report.facts["rows"], json!(0));

    let mut w = W::new();
    w.i32(1, 2).bin(3, b"many");
    assert_eq!(
        malformed(&w.b),
        Malformed::new(
            FOOTER_AT + 2,
            "`FileMetaData.num_rows` (field 3) has type binary, expected i64"
        )
    );
    let mut w = W::new();
    w.i32(1, 2).i32(1, 2);
    w.b[2] = ty::I32; // delta 0: the id follows
    w.b.insert(3, 2); // explicit id 1 (zigzag 2)
    assert_eq!(
        malformed(&w.b),
        Malformed::new(FOOTER_AT + 2, "`FileMetaData.version` appears twice")
    );

    let mut w = W::new();
    w.list(4, 1, ty::STRUCT).open(None).i64(2, 9).close();
    assert_eq!(
        malformed(&w.b),
        Malformed::new(
            FOOTER_AT + 2,
            "row group 0 lacks the required field `num_rows`"
        )
    );
    let mut w = W::new();
    w.list(4, 1, ty::I64).varint(3);
    assert_eq!(
        malformed(&w.b),
        Malformed::new(
            FOOTER_AT + 1,
            "`FileMetaData.row_groups`: a list of i64, expected a list of struct"
        )
    );
    assert_eq!(
        malformed(&[0x7e, 0x00]),
        Malformed::new(FOOTER_AT + 1, "unknown Thrift compact type 14")
    );
}

#[test]
fn long_lists_and_names_are_bounded() {
    let long = "n".repeat(5000);
    let mut elements = vec![
        (None, None, "schema", Some(1)),
        (None, Some(1), long.as_str(), Some(1200)),
    ];
    for _ in 0..1200 {
        elements.push((Some(0), Some(0), "leaf", None));
    }
    let mut w = W::new();
    w.i32(1, 2).schema(&elements).i64(3, 0).row_groups(&[]);
    w.list(5, 1001, ty::STRUCT);
    for i in 0..1001 {
        w.open(None).bin(1, format!("k{i}").as_bytes()).close();
    }
    w.bin(6, long.as_bytes()).close();
    let (report, result) = run(&file(&w.b));
    assert_eq!(result, Ok(()));
    let f = &report.facts;
    assert_eq!(f["columns"], json!(1200));
    let names = f["column_names"].as_array().unwrap();
    assert_eq!(names.len(), MAX_LISTED);
    let first = names[0].as_str().unwrap();
    assert_eq!(first, format!("{}…", "n".repeat(MAX_TEXT)));
    assert_eq!(f["column_names_truncated"], json!(true));
    assert_eq!(f["metadata_keys"].as_array().unwrap().len(), MAX_LISTED);
    assert_eq!(f["metadata_keys_truncated"], json!(true));
    assert_eq!(
        f["created_by"].as_str().unwrap().len(),
        MAX_TEXT + '…'.len_utf8()
    );
}

#[test]
fn huggingface_features_are_read_only_when_they_parse() {
    let features = |value: &[u8]| {
        let mut w = W::new();
        w.i32(1, 2)
            .schema(&[(None, None, "schema", Some(0))])
            .i64(3, 0)
            .row_groups(&[]);
        w.list(5, 1, ty::STRUCT)
            .open(None)
            .bin(1, b"huggingface")
            .bin(2, value)
            .close()
            .close();
        let (report, result) = run(&file(&w.b));
        assert_eq!(result, Ok(()));
        assert_eq!(report.facts["metadata_keys"], json!(["huggingface"]));
        report.facts.get("huggingface_features").cloned()
    };
    assert_eq!(
        features(br#"{"info":{"features":{"b":{},"a":{}}}}"#),
        Some(json!(["b", "a"]))
    );
    assert_eq!(features(br#"{"info":{"features":["a"]}}"#), None);
    assert_eq!(features(br#"{"info":{}}"#), None);
    assert_eq!(features(b"not json"), None);
    // A deeply nested feature description is skipped without recursing (no stack overflow).
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let value = format!(r#"{{"info":{{"features":{{"a":{deep}}}}}}}"#);
    assert_eq!(features(value.as_bytes()), Some(json!(["a"])));
}

#[test]
fn untyped_leaves_are_nonconforming() {
    let mut w = W::new();
    w.i32(1, 2)
        .schema(&[
            (None, None, "schema", Some(2)),
            (None, Some(0), "x", None),
            (None, Some(0), "y", None),
        ])
        .i64(3, 0)
        .row_groups(&[])
        .close();
    let (report, result) = run(&file(&w.b));
    assert_eq!(result, Ok(()));
    assert_eq!(report.notes.len(), 1);
    assert_eq!(report.notes[0].rule, rules::NONCONFORMING);
    assert_eq!(
        report.notes[0].message,
        "leaf column `x` has no physical `type` (and 1 more)"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any change to a valid footer gives facts or an error inside the file, never a panic.
    #[test]
    fn mutated_footers_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut footer = sample();
        for (at, byte) in edits {
            let i = at.index(footer.len());
            footer[i] = byte;
        }
        if truncate {
            footer.truncate(cut.index(footer.len()));
        }
        let bytes = file(&footer);
        if let (_, Err(m)) = run(&bytes) {
            prop_assert!(m.offset <= bytes.len() as u64, "{m}");
            prop_assert!(!m.message.contains('\n') && !m.message.ends_with('.'), "{m}");
        }
    }
}
