use super::*;
use proptest::prelude::*;
use serde_json::json;

// Protobuf encoding, written out by hand so the tests do not share code with the walker.

fn varint_bytes(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let low = u8::try_from(v & 0x7f).unwrap();
        v >>= 7;
        if v == 0 {
            out.push(low);
            return out;
        }
        out.push(low | 0x80);
    }
}

fn int(number: u64, v: u64) -> Vec<u8> {
    let mut out = varint_bytes(number << 3);
    out.extend(varint_bytes(v));
    out
}

fn len(number: u64, payload: impl AsRef<[u8]>) -> Vec<u8> {
    let payload = payload.as_ref();
    let mut out = varint_bytes((number << 3) | 2);
    out.extend(varint_bytes(payload.len() as u64));
    out.extend_from_slice(payload);
    out
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

fn node(op_type: &str, domain: &str) -> Vec<u8> {
    cat(&[len(1, "x"), len(2, "y"), len(4, op_type), len(7, domain)])
}

fn entry(key: &str, value: impl AsRef<[u8]>) -> Vec<u8> {
    cat(&[len(1, key), len(2, value)])
}

/// A FLOAT tensor with unpacked `dims` and `raw_data` of the right size.
fn raw_tensor(name: &str, dims: &[u64]) -> Vec<u8> {
    let mut parts: Vec<Vec<u8>> = dims.iter().map(|d| int(1, *d)).collect();
    let elements: u64 = dims.iter().product();
    parts.push(int(2, 1));
    parts.push(len(8, name));
    parts.push(len(9, vec![0u8; usize::try_from(elements * 4).unwrap()]));
    cat(&parts)
}

fn external_tensor(name: &str, location: impl AsRef<[u8]>) -> Vec<u8> {
    cat(&[
        int(1, 4),
        int(2, 1),
        len(8, name),
        len(13, entry("location", location)),
        len(13, entry("offset", "0")),
        len(13, entry("length", "16")),
        int(14, 1),
    ])
}

fn opset(domain: &str, version: u64) -> Vec<u8> {
    cat(&[len(1, domain), int(2, version)])
}

fn model(graph: &[u8]) -> Vec<u8> {
    cat(&[
        int(1, 10),
        len(2, "test"),
        len(7, graph),
        len(8, opset("", 21)),
    ])
}

fn run(data: &[u8]) -> (Report, Result<(), Malformed>) {
    let mut report = Report::default();
    let result = inspect(Source::bytes(data), &mut report);
    (report, result)
}

fn notes(report: &Report, rule: &str) -> Vec<(Severity, String, Option<u64>)> {
    report
        .notes
        .iter()
        .filter(|n| n.rule == rule)
        .map(|n| (n.severity, n.message.clone(), n.offset))
        .collect()
}

fn fact<'a>(report: &'a Report, key: &str) -> &'a Value {
    report
        .facts
        .get(key)
        .unwrap_or_else(|| panic!("no fact `{key}` in {:?}", report.facts))
}

#[test]
fn minimal_model_facts() {
    let graph = cat(&[
        len(1, node("MatMul", "")),
        len(1, node("Relu", "")),
        len(1, node("Relu", "ai.onnx")),
        len(2, "main"),
        len(5, raw_tensor("w", &[2, 3])),
        len(
            5,
            cat(&[len(1, varint_bytes(5)), int(2, 7), len(8, "shape")]),
        ),
    ]);
    let data = cat(&[
        int(1, 9),
        len(2, "pytorch"),
        len(3, "2.9.0"),
        len(4, "org.example"),
        int(5, 3),
        len(7, graph),
        len(8, opset("", 17)),
        len(8, opset("ai.onnx.ml", 3)),
        len(14, entry("license", "mit")),
        len(14, entry("author", "someone")),
    ]);
    let (report, result) = run(&data);
    assert_eq!(result, Ok(()));
    let expected = json!({
        "ir_version": 9,
        "producer_name": "pytorch",
        "producer_version": "2.9.0",
        "domain": "org.example",
        "model_version": 3,
        "graph_name": "main",
        "node_count": 3,
        "op_types": {"MatMul": 1, "Relu": 2},
        "initializer_count": 2,
        "parameters": 11,
        "initializer_dtypes": {"FLOAT": 1, "INT64": 1},
        "dtypes": {"FLOAT": 6, "INT64": 5},
        "opset_import": [
            {"domain": "ai.onnx", "version": 17},
            {"domain": "ai.onnx.ml", "version": 3}
        ],
        "metadata_keys": ["author", "license"],
    });
    assert_eq!(serde_json::to_value(&report.facts).unwrap(), expected);
    assert_eq!(report.notes, vec![]);
}

#[test]
fn fields_in_any_order_give_the_same_facts() {
    // Graph name after the nodes, opsets and metadata before the graph, packed `dims`.
    let tensor = cat(&[
        len(8, "w"),
        int(2, 16),
        len(1, cat(&[varint_bytes(4), varint_bytes(300)])),
    ]);
    let graph = cat(&[len(5, tensor), len(1, node("Gemm", "")), len(2, "g")]);
    let data = cat(&[len(8, opset("", 13)), len(7, graph), int(1, 8)]);
    let (report, result) = run(&data);
    assert_eq!(result, Ok(()));
    assert_eq!(fact(&report, "ir_version"), &json!(8));
    assert_eq!(fact(&report, "graph_name"), &json!("g"));
    assert_eq!(fact(&report, "parameters"), &json!(1200));
    assert_eq!(fact(&report, "initializer_dtypes"), &json!({"BFLOAT16": 1}));
    assert_eq!(fact(&report, "dtypes"), &json!({"BFLOAT16": 1200}));
    assert_eq!(fact(&report, "op_types"), &json!({"Gemm": 1}));
}

#[test]
fn a_repeated_graph_merges_like_protobuf() {
    let data = cat(&[
        len(7, cat(&[len(1, node("Add", "")), len(2, "first")])),
        len(7, cat(&[len(1, node("Add", "")), len(2, "second")])),
        int(1, 7),
    ]);
    let (report, result) = run(&data);
    assert_eq!(result, Ok(()));
    assert_eq!(fact(&report, "node_count"), &json!(2));
    assert_eq!(fact(&report, "graph_name"), &json!("second"));
}

#[test]
fn a_length_past_the_end_is_malformed_and_earlier_facts_stay() {
    let data = cat(&[int(1, 7), vec![0x3a, 10], b"abc".to_vec()]);
    let (report, result) = run(&data);
    assert_eq!(
        result,
        Err(Malformed::new(
            2,
            "`ModelProto` field 7: 10 bytes declared, but only 3 remain in the message"
        ))
    );
    assert_eq!(fact(&report, "ir_version"), &json!(7));
    assert!(
        !report.facts.contains_key("node_count"),
        "no counts from a graph that was not read"
    );
}

#[test]
fn a_length_is_bounded_by_its_message_not_by_the_file() {
    // The graph is 4 bytes long; the node inside it claims 10, which the file still has.
    let data = cat(&[
        len(7, [0x0a, 10, 0, 0]),
        len(6, "a doc string that follows"),
    ]);
    let (_, result) = run(&data);
    assert_eq!(
        result,
        Err(Malformed::new(
            2,
            "`GraphProto` field 1: 10 bytes declared, but only 2 remain in the message"
        ))
    );
}

#[test]
fn a_varint_of_more_than_10_bytes_is_malformed() {
    let mut data = vec![0x08];
    data.extend([0xff; 10]);
    data.push(0x01);
    let (_, result) = run(&data);
    assert_eq!(
        result,
        Err(Malformed::new(
            1,
            "`ModelProto` field 1: varint is longer than 10 bytes"
        ))
    );

    let mut data = vec![0x08];
    data.extend([0xff; 9]);
    data.push(0x02);
    let (_, result) = run(&data);
    assert_eq!(
        result,
        Err(Malformed::new(
            1,
            "`ModelProto` field 1: varint overflows 64 bits"
        ))
    );

    // The largest value still fits: ten bytes ending in 0x01.
    let mut data = vec![0x08];
    data.extend([0xff; 9]);
    data.push(0x01);
    let (report, result) = run(&data);
    assert_eq!(result, Ok(()));
    assert_eq!(fact(&report, "ir_version"), &json!(-1));
}

#[test]
fn a_varint_cut_by_its_message_end_is_malformed() {
    // A graph of one byte holding the start of a tag.
    let data = cat(&[len(7, [0x88]), int(1, 7)]);
    let (_, result) = run(&data);
    assert_eq!(
        result,
        Err(Malformed::new(
            2,
            "`GraphProto` field tag: varint runs past the end of its message"
        ))
    );
}

#[test]
fn groups_and_unknown_wire_types_are_malformed() {
    let (_, result) = run(&[0x08, 0x07, 0x3b, 0x3c]);
    assert_eq!(
        result,
        Err(Malformed::new(
            2,
            "`ModelProto` field 7: group (wire type 3) is not allowed in ONNX"
        ))
    );
    let (_, result) = run(&[0x0c]);
    assert_eq!(
        result,
        Err(Malformed::new(
            0,
            "`ModelProto` field 1: group (wire type 4) is not allowed in ONNX"
        ))
    );
    let (_, result) = run(&[0x0e]);
    assert_eq!(
        result,
        Err(Malformed::new(
            0,
            "`ModelProto` field 1: invalid wire type 6"
        ))
    );
    let (_, result) = run(&len(7, [0x0f]));
    assert_eq!(
        result,
        Err(Malformed::new(
            2,
            "`GraphProto` field 1: invalid wire type 7"
        ))
    );
    let (_, result) = run(&[0x02, 0x00]);
    assert_eq!(
        result,
        Err(Malformed::new(
            0,
            "`ModelProto`: field number 0 is out of range"
        ))
    );
}

#[test]
fn a_huge_declared_length_fails_before_anything_is_read() {
    for number in [6u64, 7] {
        let mut data = varint_bytes((number << 3) | 2);
        data.extend(varint_bytes(1 << 60));
        let (_, result) = run(&data);
        assert_eq!(
            result,
            Err(Malformed::new(
                0,
                format!(
                    "`ModelProto` field {number}: 1152921504606846976 bytes declared, but only 0 remain in the message"
                )
            ))
        );
    }
    // Inside a tensor: `raw_data` claims 2^60 bytes within a 12-byte message.
    let tensor = cat(&[int(2, 1), varint_bytes((9 << 3) | 2), varint_bytes(1 << 60)]);
    let (_, result) = run(&model(&len(5, tensor)));
    let err = result.unwrap_err();
    assert!(
        err.message
            .starts_with("`TensorProto` field 9: 1152921504606846976 bytes declared"),
        "{err}"
    );
}

#[test]
fn fixed_width_fields_are_skipped_and_bounded() {
    // A float attribute (fixed32) and an unknown fixed64 field, then one cut short.
    let attribute = cat(&[
        len(1, "alpha"),
        vec![0x15, 0, 0, 0x80, 0x3f],
        vec![0x19],
        vec![0; 8],
    ]);
    let graph = len(1, cat(&[len(4, "LeakyRelu"), len(5, attribute)]));
    let (report, result) = run(&model(&graph));
    assert_eq!(result, Ok(()));
    assert_eq!(fact(&report, "op_types"), &json!({"LeakyRelu": 1}));
    let (_, result) = run(&[0x09, 0, 0, 0]);
    assert_eq!(
        result,
        Err(Malformed::new(
            0,
            "`ModelProto` field 1: 8-byte value, but only 3 bytes remain in the message"
        ))
    );
}

#[test]
fn known_fields_with_another_wire_type_are_unknown_fields() {
    // `graph` as a varint and `ir_version` as bytes: protobuf skips both.
    let data = cat(&[int(7, 5), len(1, "x")]);
    let (report, result) = run(&data);
    assert_eq!(result, Ok(()));
    assert!(report.facts.is_empty(), "{:?}", report.facts);
    let rules: Vec<&str> = report.notes.iter().map(|n| n.rule).collect();
    assert_eq!(rules, [rules::NONCONFORMING, rules::NONCONFORMING]);
    assert_eq!(report.notes[1].message, "the model has no `graph`");
}

/// A model whose main graph holds `extra` nested subgraphs (node attribute `g`), and the
/// offset of the innermost `g` field.
fn nested(extra: u32) -> (Vec<u8>, u64) {
    let name = len(1, "then_branch");
    let mut graph = len(1, node("Identity", ""));
    for _ in 0..extra {
        let attribute = cat(&[name.clone(), len(6, &graph)]);
        graph = len(1, cat(&[len(4, "If"), len(5, attribute)]));
    }
    let data = cat(&[int(1, 10), len(7, &graph)]);
    // Each attribute's name comes before its graph, so the innermost name is the last one.
    let last_name = data
        .windows(name.len())
        .rposition(|w| w == name.as_slice())
        .unwrap();
    (data, (last_name + name.len()) as u64)
}

#[test]
fn nesting_is_bounded() {
    let (data, _) = nested(MAX_GRAPH_DEPTH);
    let (report, result) = run(&data);
    assert_eq!(result, Ok(()));
    assert_eq!(fact(&report, "node_count"), &json!(1));
    let (data, at) = nested(MAX_GRAPH_DEPTH + 1);
    let (report, result) = run(&data);
    assert_eq!(
        result,
        Err(Malformed::new(at, "graphs nested more than 32 deep"))
    );
    assert_eq!(
        fact(&report, "ir_version"),
        &json!(10),
        "facts before the error stay"
    );
}

#[test]
fn subgraphs_and_attribute_tensors_are_searched_but_not_counted() {
    let constant = cat(&[
        len(4, "Constant"),
        len(
            5,
            cat(&[len(1, "value"), len(5, external_tensor("c", "/abs.bin"))]),
        ),
    ]);
    let body = cat(&[
        len(1, node("Custom", "com.example")),
        len(5, raw_tensor("inner", &[10])),
        len(1, constant),
    ]);
    let branch = cat(&[
        len(4, "If"),
        len(5, cat(&[len(1, "then_branch"), len(6, body)])),
    ]);
    let (report, result) = run(&model(&len(1, branch)));
    assert_eq!(result, Ok(()));
    assert_eq!(fact(&report, "node_count"), &json!(1));
    assert_eq!(fact(&report, "op_types"), &json!({"If": 1}));
    assert_eq!(fact(&report, "initializer_count"), &json!(0));
    assert_eq!(fact(&report, "parameters"), &json!(0));
    assert_eq!(fact(&report, "custom_domains"), &json!(["com.example"]));
    assert_eq!(
        fact(&report, "external_data"),
        &json!([{"location": "/abs.bin", "tensors": 1, "length": 16}])
    );
    assert_eq!(notes(&report, rules::ESCAPING_REFERENCE).len(), 1);
    assert_eq!(notes(&report, rules::SUSPICIOUS_IMPORT).len(), 1);
}

/// The offset of the `value` field of the first `location` entry in `data`.
fn location_value_at(data: &[u8], location: &[u8]) -> u64 {
    let needle = len(2, location);
    data.windows(needle.len())
        .position(|w| w == needle.as_slice())
        .unwrap() as u64
}

#[test]
fn external_data_escaping_the_model_folder_is_an_error() {
    let cases: [(&[u8], &str); 7] = [
        (b"../../etc/passwd", "has a `..` component"),
        (b"/etc/passwd", "is an absolute path"),
        (b"weights/../../../x.bin", "has a `..` component"),
        (b"..", "has a `..` component"),
        (b"..\\x.bin", "contains a backslash"),
        (b"w.bin\0.txt", "contains a NUL byte"),
        (b"C:/x.bin", "starts with a drive letter"),
    ];
    for (location, reason) in cases {
        let data = model(&len(5, external_tensor("w", location)));
        let (report, result) = run(&data);
        assert_eq!(result, Ok(()));
        let shown_location = shown(&String::from_utf8_lossy(location));
        assert_eq!(
            notes(&report, rules::ESCAPING_REFERENCE),
            vec![(
                Severity::Error,
                format!(
                    "external data `location` `{shown_location}` {reason}: loading would read a file outside the model's folder"
                ),
                Some(location_value_at(&data, location)),
            )],
            "{shown_location}"
        );
        assert_eq!(notes(&report, rules::NOTE).len(), 1);
    }
}

#[test]
fn external_data_inside_the_folder_is_a_note() {
    let graph = cat(&[
        len(5, external_tensor("a", "weights.bin")),
        len(5, external_tensor("b", "weights.bin")),
        len(5, external_tensor("c", "more/other..name.bin")),
        len(
            5,
            cat(&[
                len(8, "d"),
                len(13, entry("location", "nolength.bin")),
                int(14, 1),
            ]),
        ),
    ]);
    let data = model(&graph);
    let (report, result) = run(&data);
    assert_eq!(result, Ok(()));
    assert_eq!(
        fact(&report, "external_data"),
        &json!([
            {"location": "more/other..name.bin", "tensors": 1, "length": 16},
            {"location": "nolength.bin", "tensors": 1},
            {"location": "weights.bin", "tensors": 2, "length": 32},
        ])
    );
    assert_eq!(
        fact(&report, "parameters"),
        &json!(13),
        "three tensors of 4 elements, and `d` with no dims is a scalar"
    );
    assert_eq!(
        notes(&report, rules::NOTE),
        vec![(
            Severity::Info,
            "tensors are stored in 3 external data files that must sit beside the model: `more/other..name.bin`, `nolength.bin`, `weights.bin`".to_owned(),
            Some(location_value_at(&data, b"weights.bin")),
        )]
    );
    assert!(notes(&report, rules::ESCAPING_REFERENCE).is_empty());
}

#[test]
fn an_external_tensor_without_location_is_nonconforming() {
    let data = model(&len(5, cat(&[len(8, "w"), int(14, 1)])));
    let (report, result) = run(&data);
    assert_eq!(result, Ok(()));
    // The offset is the initializer field's, the first byte of the graph (after 10 bytes).
    assert_eq!(
        notes(&report, rules::NONCONFORMING),
        vec![(
            Severity::Warning,
            "initializer `w` is stored externally but names no `location`".to_owned(),
            Some(10)
        )]
    );
    assert!(!report.facts.contains_key("external_data"));
}

#[test]
fn custom_domains_warn_unless_local_functions_define_them() {
    let graph = cat(&[
        len(1, node("Attention", "com.microsoft")),
        len(1, node("Block", "local.fn")),
        len(1, node("Gradient", "ai.onnx.preview.training")),
        len(1, node("LabelEncoder", "ai.onnx.ml")),
    ]);
    let function = cat(&[
        len(1, "Block"),
        len(10, "local.fn"),
        len(7, node("Relu", "")),
    ]);
    let data = cat(&[model(&graph), len(25, function)]);
    let (report, result) = run(&data);
    assert_eq!(result, Ok(()));
    assert_eq!(
        fact(&report, "custom_domains"),
        &json!(["com.microsoft", "local.fn"])
    );
    assert_eq!(fact(&report, "functions"), &json!(1));
    let warnings = notes(&report, rules::SUSPICIOUS_IMPORT);
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        warnings[0].1,
        "nodes use operators outside the ONNX standard, in `com.microsoft`: loading needs a runtime that implements them, usually a custom-op library (native code)"
    );
}

#[test]
fn shapes_that_cannot_be_counted_are_nonconforming() {
    let huge = cat(&[int(1, 1 << 40), int(1, 1 << 40), len(8, "big")]);
    let negative = cat(&[int(1, (-3i64).cast_unsigned()), len(8, "neg")]);
    let graph = cat(&[
        len(5, huge),
        len(5, negative),
        len(5, raw_tensor("ok", &[2])),
    ]);
    let (report, result) = run(&model(&graph));
    assert_eq!(result, Ok(()));
    let messages: Vec<String> = notes(&report, rules::NONCONFORMING)
        .into_iter()
        .map(|n| n.1)
        .collect();
    assert_eq!(
        messages,
        [
            "initializer `big` has more than 2^64 elements",
            "initializer `neg` has a negative dimension -3"
        ]
    );
    assert_eq!(fact(&report, "initializer_count"), &json!(3));
    assert!(
        !report.facts.contains_key("parameters"),
        "an unknown count is left out, not guessed"
    );
}

#[test]
fn sparse_initializers_count_their_dense_shape() {
    let sparse = cat(&[
        len(1, raw_tensor("values", &[3])),
        len(2, raw_tensor("indices", &[3])),
        int(3, 10),
        int(3, 10),
    ]);
    let (report, result) = run(&model(&cat(&[
        len(15, sparse),
        len(5, raw_tensor("w", &[4])),
    ])));
    assert_eq!(result, Ok(()));
    assert_eq!(fact(&report, "sparse_initializer_count"), &json!(1));
    assert_eq!(fact(&report, "initializer_count"), &json!(1));
    assert_eq!(fact(&report, "parameters"), &json!(104));
    // The dense shape counts under the values' type, as the parameters do.
    assert_eq!(fact(&report, "dtypes"), &json!({"FLOAT": 104}));
}

#[test]
fn collections_are_bounded() {
    let mut graph = Vec::new();
    for i in 0..300 {
        graph.extend(len(1, node(&format!("Op{i}"), "")));
    }
    for i in 0..40 {
        graph.extend(len(5, external_tensor("w", format!("../{i}.bin"))));
    }
    let (report, result) = run(&model(&graph));
    assert_eq!(result, Ok(()));
    assert_eq!(fact(&report, "node_count"), &json!(300));
    assert_eq!(
        fact(&report, "op_types").as_object().unwrap().len(),
        MAX_OP_TYPES
    );
    assert_eq!(fact(&report, "op_types_other"), &json!(300 - MAX_OP_TYPES));
    let escaping = notes(&report, rules::ESCAPING_REFERENCE);
    assert_eq!(escaping.len(), 17, "16 listed, then a summary");
    assert_eq!(
        escaping[16],
        (
            Severity::Error,
            "24 more findings like the above in this file are not listed".to_owned(),
            None
        )
    );
    assert_eq!(
        notes(&report, rules::NOTE)[0].1,
        "tensors are stored in 40 external data files that must sit beside the model: `../0.bin`, `../1.bin`, `../10.bin`, `../11.bin`, `../12.bin`, and 35 more"
    );
}

#[test]
fn raw_data_is_skipped_not_read() {
    use std::io::Write;
    // 300 MB of `raw_data` (a sparse file): reading it would exceed the 100 MB read cap.
    let payload: u64 = 300 * 1000 * 1000;
    let mut tensor = cat(&[int(1, payload / 4), int(2, 1), len(8, "big")]);
    tensor.extend(varint_bytes((9 << 3) | 2));
    tensor.extend(varint_bytes(payload));
    let tensor_len = tensor.len() as u64 + payload;
    let mut graph = varint_bytes((5 << 3) | 2);
    graph.extend(varint_bytes(tensor_len));
    graph.extend(&tensor);
    let graph_len = graph.len() as u64 + payload;
    let mut head = int(1, 10);
    head.extend(varint_bytes((7 << 3) | 2));
    head.extend(varint_bytes(graph_len));
    head.extend(&graph);
    let tail = cat(&[len(8, opset("", 21)), len(14, entry("k", "v"))]);

    let mut file = tempfile::tempfile().unwrap();
    file.write_all(&head).unwrap();
    let size = head.len() as u64 + payload + tail.len() as u64;
    file.set_len(size - tail.len() as u64).unwrap();
    std::io::Seek::seek(&mut file, std::io::SeekFrom::End(0)).unwrap();
    file.write_all(&tail).unwrap();

    let mut report = Report::default();
    assert_eq!(inspect(Source::file(&file, size), &mut report), Ok(()));
    assert_eq!(fact(&report, "parameters"), &json!(payload / 4));
    assert_eq!(fact(&report, "metadata_keys"), &json!(["k"]));
}

#[test]
fn empty_and_repeated_metadata() {
    let (report, result) = run(&[]);
    assert_eq!(result, Ok(()));
    let messages: Vec<String> = notes(&report, rules::NONCONFORMING)
        .into_iter()
        .map(|n| n.1)
        .collect();
    assert_eq!(
        messages,
        ["the model has no `ir_version`", "the model has no `graph`"]
    );

    let data = cat(&[
        model(&[]),
        len(14, entry("k", "1")),
        len(14, entry("k", "2")),
    ]);
    let (report, _) = run(&data);
    assert_eq!(fact(&report, "metadata_keys"), &json!(["k"]));
    let messages: Vec<String> = notes(&report, rules::NONCONFORMING)
        .into_iter()
        .map(|n| n.1)
        .collect();
    assert_eq!(messages, ["`metadata_props` repeats the key `k`"]);
}

#[test]
fn dtype_names() {
    assert_eq!(dtype_name(1), "FLOAT");
    assert_eq!(dtype_name(16), "BFLOAT16");
    assert_eq!(dtype_name(28), "FLOAT6E3M2");
    assert_eq!(dtype_name(29), "type_29");
    assert_eq!(dtype_name(-1), "type_-1");
}

fn sample() -> Vec<u8> {
    let graph = cat(&[
        len(1, node("Conv", "")),
        len(1, node("Mine", "x.y")),
        len(5, raw_tensor("w", &[2, 2])),
        len(5, external_tensor("e", "../e.bin")),
        len(15, cat(&[len(1, raw_tensor("v", &[1])), int(3, 4)])),
    ]);
    cat(&[
        model(&graph),
        len(14, entry("a", "b")),
        len(25, cat(&[len(1, "f"), len(7, node("Relu", ""))])),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = run(&bytes);
    }

    #[test]
    fn mutated_models_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = sample();
        for (i, b) in edits {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        let cut = cut.index(bytes.len() + 1);
        bytes.truncate(cut);
        let _ = run(&bytes);
    }
}
