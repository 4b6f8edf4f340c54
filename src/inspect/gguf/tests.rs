use super::*;

const F32: u32 = 0;
const F16: u32 = 1;
const Q8_0: u32 = 8;

/// A GGUF file written field by field.
struct File {
    bytes: Vec<u8>,
    big_endian: bool,
}

impl File {
    fn new(version: u32, tensors: u64, kvs: u64) -> Self {
        let mut f = File {
            bytes: b"GGUF".to_vec(),
            big_endian: false,
        };
        f.u32(version).u64(tensors).u64(kvs);
        f
    }

    fn big_endian(version: u32, tensors: u64, kvs: u64) -> Self {
        let mut f = File {
            bytes: b"GGUF".to_vec(),
            big_endian: true,
        };
        f.u32(version).u64(tensors).u64(kvs);
        f
    }

    fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(bytes);
        self
    }

    fn u32(&mut self, v: u32) -> &mut Self {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.raw(&b)
    }

    fn u64(&mut self, v: u64) -> &mut Self {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.raw(&b)
    }

    fn str(&mut self, s: &str) -> &mut Self {
        self.u64(s.len() as u64).raw(s.as_bytes())
    }

    fn key(&mut self, key: &str, ty: u32) -> &mut Self {
        self.str(key).u32(ty)
    }

    fn kv_str(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key, 8).str(value)
    }

    fn kv_u32(&mut self, key: &str, value: u32) -> &mut Self {
        self.key(key, 4).u32(value)
    }

    fn kv_strs(&mut self, key: &str, values: &[&str]) -> &mut Self {
        self.key(key, 9).u32(8).u64(values.len() as u64);
        for v in values {
            self.str(v);
        }
        self
    }

    fn tensor(&mut self, name: &str, ne: &[u64], ty: u32, offset: u64) -> &mut Self {
        self.str(name).u32(u32::try_from(ne.len()).unwrap());
        for d in ne {
            self.u64(*d);
        }
        self.u32(ty).u64(offset)
    }

    /// Zero padding to `align`, then `n` bytes of tensor data.
    fn data(&mut self, align: usize, n: usize) -> &mut Self {
        let len = self.bytes.len().next_multiple_of(align) + n;
        self.bytes.resize(len, 0);
        self
    }
}

fn inspect_bytes(bytes: &[u8]) -> (Report, Result<(), Malformed>) {
    let mut report = Report::default();
    let result = inspect(Source::bytes(bytes), &mut report);
    (report, result)
}

fn malformed(bytes: &[u8]) -> Malformed {
    let (_, result) = inspect_bytes(bytes);
    result.expect_err("the file must be refused")
}

/// The messages of the findings of `rule`.
fn notes(report: &Report, rule: &str) -> Vec<String> {
    report
        .notes
        .iter()
        .filter(|n| n.rule == rule)
        .map(|n| n.message.clone())
        .collect()
}

/// Two tensors (F32 4x2 and F16 16) and three metadata entries, every rule kept.
fn minimal() -> Vec<u8> {
    let mut f = File::new(3, 2, 3);
    f.kv_str("general.architecture", "llama")
        .kv_u32("llama.context_length", 4096)
        .kv_str("general.name", "Tiny")
        .tensor("a", &[4, 2], F32, 0)
        .tensor("b", &[16], F16, 32)
        .data(32, 64);
    f.bytes
}

#[test]
fn a_minimal_file_gives_its_facts_and_no_findings() {
    let (report, result) = inspect_bytes(&minimal());
    assert_eq!(result, Ok(()));
    assert_eq!(report.notes, vec![]);
    let facts = serde_json::to_value(&report.facts).unwrap();
    assert_eq!(
        facts,
        serde_json::json!({
            "version": 3,
            "tensor_count": 2,
            "metadata_count": 3,
            "alignment": 32,
            "architecture": "llama",
            "context_length": 4096,
            "name": "Tiny",
            "parameters": 24,
            "tensor_types": {"F16": 1, "F32": 1},
            "parameters_by_type": {"F16": 16, "F32": 8},
        })
    );
}

#[test]
fn a_truncated_header_is_malformed_where_it_ends() {
    let m = malformed(b"GGUF\x03\x00\x00\x00\x02\x00");
    assert_eq!(m.offset, 8);
    assert!(
        m.message
            .contains("tensor count: needs 8 bytes, but only 2 remain"),
        "{m}"
    );
    let m = malformed(b"GGU");
    assert_eq!(m.offset, 0);
    let m = malformed(b"GGML\x03\x00\x00\x00");
    assert_eq!(m.message, "no `GGUF` magic");
}

#[test]
fn a_huge_tensor_count_is_refused_before_any_work() {
    let m = malformed(&File::new(3, 1 << 60, 0).bytes);
    assert_eq!(
        (m.offset, m.message.as_str()),
        (
            8,
            "tensor count 1152921504606846976 is over this reader's limit of 1048576"
        )
    );
    let m = malformed(&File::new(3, 1000, 0).data(1, 100).bytes);
    assert_eq!(
        m.message,
        "tensor count 1000 needs at least 24000 bytes, but only 100 remain"
    );
    let m = malformed(&File::new(3, 0, 1 << 60).bytes);
    assert_eq!(m.offset, 16);
    assert!(
        m.message.starts_with("metadata count 1152921504606846976"),
        "{m}"
    );
}

#[test]
fn a_huge_string_length_is_refused_without_allocating() {
    let mut f = File::new(3, 0, 1);
    f.key("general.name", 8).u64(1 << 60).raw(b"abc");
    let m = malformed(&f.bytes);
    assert_eq!(m.offset, 48);
    assert_eq!(
        m.message,
        "value of `general.name`: length 1152921504606846976 is over the 1073741824-byte limit"
    );
    let mut f = File::new(3, 0, 1);
    f.key("general.name", 8).u64(1 << 29).raw(b"abc");
    assert_eq!(
        malformed(&f.bytes).message,
        "value of `general.name`: length 536870912, but only 3 bytes remain"
    );
    let mut f = File::new(3, 0, 1);
    f.u64(1 << 60).raw(b"general.name");
    assert!(
        malformed(&f.bytes)
            .message
            .starts_with("key: length 1152921504606846976 is over the 65535-byte limit")
    );
}

#[test]
fn a_huge_array_count_is_refused_before_reading_elements() {
    let mut f = File::new(3, 0, 1);
    f.key("tokenizer.ggml.tokens", 9).u32(8).u64(1 << 60);
    let m = malformed(&f.bytes);
    assert_eq!(
        m.message,
        "value of `tokenizer.ggml.tokens`: array of 1152921504606846976 elements, over ggml's limit of 1073741824"
    );
    let mut f = File::new(3, 0, 1);
    f.key("tokenizer.ggml.scores", 9)
        .u32(6)
        .u64(1 << 29)
        .raw(&[0; 64]);
    let m = malformed(&f.bytes);
    assert_eq!(
        m.message,
        "value of `tokenizer.ggml.scores`: array of 536870912 FLOAT32 elements needs at least 2147483648 bytes, but only 64 remain"
    );
}

#[test]
fn nested_arrays_and_unknown_value_types_are_refused() {
    let mut f = File::new(3, 0, 1);
    f.key("x.nested", 9).u32(9).u64(1).u32(4).u64(1).u32(7);
    let m = malformed(&f.bytes);
    assert_eq!(
        m.message,
        "value of `x.nested`: array of arrays (ggml refuses nested arrays)"
    );
    let mut f = File::new(3, 0, 1);
    f.key("x.y", 13).u32(0);
    assert_eq!(
        malformed(&f.bytes).message,
        "value of `x.y`: unknown value type 13"
    );
    let mut f = File::new(3, 0, 1);
    f.key("x.y", 9).u32(99).u64(0);
    assert_eq!(
        malformed(&f.bytes).message,
        "value of `x.y`: unknown value type 99"
    );
}

#[test]
fn a_duplicate_key_is_noted_and_the_first_value_kept() {
    let mut f = File::new(3, 0, 3);
    f.kv_str("general.architecture", "llama")
        .kv_str("general.name", "first")
        .kv_str("general.name", "second")
        .data(32, 0);
    let (report, result) = inspect_bytes(&f.bytes);
    assert_eq!(result, Ok(()));
    assert_eq!(report.facts["name"], "first");
    let found = notes(&report, rules::NONCONFORMING);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with("duplicate key `general.name`"),
        "{found:?}"
    );
    assert_eq!(report.notes[0].offset, Some(106));
}

#[test]
fn a_duplicate_tensor_name_is_noted() {
    let mut f = File::new(3, 2, 1);
    f.kv_str("general.architecture", "llama")
        .tensor("w", &[8], F32, 0)
        .tensor("w", &[8], F32, 32)
        .data(32, 64);
    let (report, result) = inspect_bytes(&f.bytes);
    assert_eq!(result, Ok(()));
    assert_eq!(
        notes(&report, rules::NONCONFORMING),
        ["duplicate tensor name `w` (ggml refuses the file)"]
    );
    assert_eq!(report.facts["parameters"], 16);
}

#[test]
fn offsets_out_of_order_overlapping_or_with_gaps_are_noted_once_each() {
    let mut f = File::new(3, 3, 1);
    f.kv_str("general.architecture", "llama")
        .tensor("a", &[8], F32, 32)
        .tensor("b", &[8], F32, 0)
        .tensor("c", &[8], F32, 32)
        .data(32, 64);
    let (report, result) = inspect_bytes(&f.bytes);
    assert_eq!(result, Ok(()));
    assert_eq!(
        notes(&report, rules::NONCONFORMING),
        [
            "tensor `a` has offset 32, expected 0: it leaves a gap before it (ggml refuses the file)",
            "tensor `b` has offset 0, expected 64: it overlaps the tensor before it or is out of order (ggml refuses the file)",
        ]
    );
    let mut f = File::new(3, 2, 1);
    f.kv_str("general.architecture", "llama")
        .tensor("a", &[1], F32, 0)
        .tensor("b", &[1], F32, 4)
        .data(32, 40);
    let (report, _) = inspect_bytes(&f.bytes);
    assert_eq!(
        notes(&report, rules::NONCONFORMING),
        [
            "tensor `b` has offset 4, expected 32: it overlaps the tensor before it or is out of order, and is not aligned (ggml refuses the file)"
        ]
    );
}

#[test]
fn tensor_data_past_the_end_of_the_file_is_malformed() {
    let mut f = File::new(3, 1, 1);
    f.kv_str("general.architecture", "llama")
        .tensor("big", &[1000], F32, 0)
        .data(32, 16);
    let (report, result) = inspect_bytes(&f.bytes);
    let m = result.unwrap_err();
    assert_eq!(m.offset, 69);
    assert_eq!(
        m.message,
        format!(
            "tensor `big` data ends at byte 4128, past the end of the file ({} bytes)",
            f.bytes.len()
        )
    );
    assert_eq!(
        report.facts["parameters"], 1000,
        "facts read before the failure are kept"
    );
    let mut f = File::new(3, 1, 1);
    f.kv_str("general.architecture", "llama")
        .tensor("far", &[8], F32, u64::MAX - 8)
        .data(32, 32);
    assert_eq!(
        malformed(&f.bytes).message,
        format!(
            "tensor `far`: offset {} plus its size overflows",
            u64::MAX - 8
        )
    );
}

#[test]
fn an_invalid_alignment_is_malformed() {
    for (value, message) in [
        (48, "`general.alignment` is 48, not a power of two"),
        (0, "`general.alignment` is 0, not a power of two"),
        (
            1 << 21,
            "`general.alignment` is 2097152, over the 1048576-byte limit",
        ),
    ] {
        let mut f = File::new(3, 0, 1);
        f.kv_u32("general.alignment", value);
        let m = malformed(&f.bytes);
        assert_eq!((m.offset, m.message.as_str()), (24, message));
    }
    let mut f = File::new(3, 0, 1);
    f.key("general.alignment", 10).u64(64);
    assert_eq!(
        malformed(&f.bytes).message,
        "`general.alignment` is UINT64, but ggml requires UINT32"
    );
}

#[test]
fn a_custom_alignment_moves_the_data_section() {
    let mut f = File::new(3, 2, 2);
    f.kv_str("general.architecture", "llama")
        .kv_u32("general.alignment", 256)
        .tensor("a", &[3], F32, 0)
        .tensor("b", &[3], F32, 256)
        .data(256, 268);
    let (report, result) = inspect_bytes(&f.bytes);
    assert_eq!(result, Ok(()));
    assert_eq!(report.notes, vec![]);
    assert_eq!(report.facts["alignment"], 256);
}

#[test]
fn unsupported_versions_are_named() {
    let m = malformed(&File::new(1, 0, 0).bytes);
    assert_eq!(
        (m.offset, m.message.as_str()),
        (
            4,
            "GGUF version 1 is obsolete and not supported (ggml reads versions 2 and 3)"
        )
    );
    assert_eq!(
        malformed(&File::new(4, 0, 0).bytes).message,
        "GGUF version 4 is not supported (ggml reads versions 2 and 3)"
    );
    assert_eq!(
        malformed(&File::new(0, 0, 0).bytes).message,
        "GGUF version 0 is not supported (ggml reads versions 2 and 3)"
    );
    let m = malformed(&File::big_endian(7, 0, 0).bytes);
    assert_eq!(
        m.message,
        "GGUF version 7 (read as big-endian) is not supported (ggml reads versions 2 and 3)"
    );
}

#[test]
fn version_2_reads_like_version_3() {
    let mut bytes = minimal();
    bytes[4] = 2;
    let (report, result) = inspect_bytes(&bytes);
    assert_eq!(result, Ok(()));
    assert_eq!(report.facts["version"], 2);
    assert_eq!(report.facts["parameters"], 24);
}

#[test]
fn a_big_endian_file_is_read_as_such_and_noted() {
    let mut f = File::big_endian(3, 1, 2);
    f.kv_str("general.architecture", "llama")
        .kv_u32("llama.block_count", 2)
        .tensor("a", &[4, 2], F32, 0)
        .data(32, 32);
    let (report, result) = inspect_bytes(&f.bytes);
    assert_eq!(result, Ok(()));
    assert_eq!(report.facts["byte_order"], "big-endian");
    assert_eq!(report.facts["block_count"], 2);
    assert_eq!(report.facts["parameters"], 8);
    assert_eq!(
        notes(&report, rules::NOTE),
        ["big-endian GGUF file: ggml refuses it on little-endian hosts"]
    );
}

#[test]
fn impossible_shapes_are_malformed() {
    let mut f = File::new(3, 1, 0);
    f.tensor("five", &[1, 1, 1, 1, 1], F32, 0);
    assert_eq!(
        malformed(&f.bytes).message,
        "tensor `five` has 5 dimensions, over ggml's limit of 4"
    );
    let mut f = File::new(3, 1, 0);
    f.tensor("neg", &[u64::MAX], F32, 0);
    assert_eq!(
        malformed(&f.bytes).message,
        "tensor `neg` dimension 0 is negative (-1)"
    );
    let mut f = File::new(3, 1, 0);
    f.tensor("huge", &[1 << 32, 1 << 32], F32, 0);
    assert!(
        malformed(&f.bytes).message.starts_with(
            "tensor `huge` with shape [4294967296, 4294967296, 1, 1] has more elements"
        )
    );
    let mut f = File::new(3, 1, 0);
    f.tensor("q", &[40], Q8_0, 0);
    assert_eq!(
        malformed(&f.bytes).message,
        "tensor `q` of type `Q8_0` has 40 elements per row, not a multiple of its block size 32"
    );
    let mut f = File::new(3, 1, 0);
    f.tensor("bytes", &[1 << 62, 1], F32, 0);
    assert_eq!(
        malformed(&f.bytes).message,
        "tensor `bytes`: its size in bytes overflows 64 bits"
    );
}

#[test]
fn a_zero_dimension_means_no_elements_as_in_ggml() {
    let mut f = File::new(3, 1, 1);
    f.kv_str("general.architecture", "llama")
        .tensor("empty", &[1 << 40, 0, 1 << 40], F32, 0)
        .data(32, 0);
    let (report, result) = inspect_bytes(&f.bytes);
    assert_eq!(result, Ok(()));
    assert_eq!(report.facts["parameters"], 0);
}

#[test]
fn removed_and_unknown_tensor_types_are_named_and_noted() {
    let mut f = File::new(3, 2, 1);
    f.kv_str("general.architecture", "llama")
        .tensor("old", &[32], 4, 0)
        .tensor("new", &[32], 99, 64)
        .data(32, 128);
    let (report, result) = inspect_bytes(&f.bytes);
    assert_eq!(result, Ok(()));
    assert_eq!(
        report.facts["tensor_types"],
        serde_json::json!({"type_4": 1, "type_99": 1})
    );
    assert_eq!(report.facts["parameters"], 64);
    let found = notes(&report, rules::NONCONFORMING);
    assert_eq!(found.len(), 2);
    assert!(
        found[0].starts_with("tensor `old` has ggml type 4, which ggml removed"),
        "{found:?}"
    );
}

#[test]
fn a_long_tensor_name_is_noted_not_refused() {
    let name = "n".repeat(64);
    let mut f = File::new(3, 1, 1);
    f.kv_str("general.architecture", "llama")
        .tensor(&name, &[8], F32, 0)
        .data(32, 32);
    let (report, result) = inspect_bytes(&f.bytes);
    assert_eq!(result, Ok(()));
    assert_eq!(
        notes(&report, rules::NONCONFORMING),
        [format!(
            "tensor name `{name}` is 64 bytes, ggml's limit is 63"
        )]
    );
}

#[test]
fn a_chat_template_is_hashed_and_noted() {
    let template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}";
    let mut f = File::new(3, 0, 2);
    f.kv_str("general.architecture", "llama")
        .kv_str("tokenizer.chat_template", template)
        .data(32, 0);
    let (report, result) = inspect_bytes(&f.bytes);
    assert_eq!(result, Ok(()));
    assert_eq!(
        report.facts["chat_template_sha256"],
        Sha256Digest::of(template.as_bytes()).to_hex()
    );
    let found = notes(&report, rules::NOTE);
    assert_eq!(
        found,
        [format!(
            "`tokenizer.chat_template` is a Jinja template ({} bytes) that loaders run to format chats",
            template.len()
        )]
    );
    assert_eq!(notes(&report, rules::CODE_ON_LOAD), Vec::<String>::new());
}

#[test]
fn sandbox_escapes_are_errors_however_they_are_spelled() {
    // The name is built at render time: no byte of the file spells `__globals__`.
    let payload =
        "{% set g = ['__glo', 'bals__']|join %}{{ cycler.__init__[g].os.popen('id').read() }}";
    let mut f = File::new(3, 0, 2);
    f.kv_str("general.architecture", "llama")
        .kv_str("tokenizer.chat_template.tool_use", payload)
        .data(32, 0);
    let (report, _) = inspect_bytes(&f.bytes);
    let found = notes(&report, rules::CODE_ON_LOAD);
    assert_eq!(
        found,
        [
            "`tokenizer.chat_template.tool_use` escapes Jinja's sandbox: `.__init__` (line 1, column 49), an item key that can be `__globals__` (line 1, column 58); a renderer without the sandbox runs code when it formats a chat (CVE-2024-34359)"
        ]
    );
    let escape = report
        .notes
        .iter()
        .find(|n| n.rule == rules::CODE_ON_LOAD)
        .unwrap();
    assert_eq!(escape.severity, Severity::Error);
    assert!(
        !report.facts.contains_key("chat_template_sha256"),
        "only the default template is hashed"
    );
}

#[test]
fn a_long_template_is_hashed_whole_and_analysed() {
    // Longer than one 64 KiB piece: the escape sits past the first piece.
    let mut long = " ".repeat(usize::try_from(CHUNK).unwrap() - 5);
    long.push_str("{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}");
    let mut f = File::new(3, 0, 1);
    f.kv_str("tokenizer.chat_template", &long);
    let (report, _) = inspect_bytes(&f.bytes);
    let found = notes(&report, rules::CODE_ON_LOAD);
    assert!(
        found[0].contains("the attribute `attr` reads that can be `__class__`"),
        "{found:?}"
    );
    assert_eq!(
        report.facts["chat_template_sha256"],
        Sha256Digest::of(long.as_bytes()).to_hex()
    );
}

#[test]
fn a_template_over_the_analysis_limit_is_hashed_and_reported_unchecked() {
    let big = "x".repeat(MAX_TEMPLATE + 1);
    let mut f = File::new(3, 0, 1);
    f.kv_str("tokenizer.chat_template", &big);
    let (report, result) = inspect_bytes(&f.bytes);
    assert_eq!(result, Ok(()));
    assert_eq!(
        report.facts["chat_template_sha256"],
        Sha256Digest::of(big.as_bytes()).to_hex()
    );
    let unchecked = report
        .notes
        .iter()
        .find(|n| n.rule == rules::SUSPICIOUS_TEMPLATE)
        .unwrap();
    assert_eq!(unchecked.severity, Severity::Error);
    assert_eq!(
        unchecked.message,
        format!(
            "`tokenizer.chat_template` is {} bytes, over the {MAX_TEMPLATE} analysed: it was not checked for sandbox escapes",
            MAX_TEMPLATE + 1
        )
    );
}

#[test]
fn a_duplicate_template_is_still_searched() {
    let mut f = File::new(3, 0, 2);
    f.kv_str("tokenizer.chat_template", "{{ m }}")
        .kv_str("tokenizer.chat_template", "{{ lipsum.__globals__ }}");
    let (report, _) = inspect_bytes(&f.bytes);
    assert_eq!(
        report.facts["chat_template_sha256"],
        Sha256Digest::of(b"{{ m }}").to_hex()
    );
    assert_eq!(notes(&report, rules::CODE_ON_LOAD).len(), 1);
}

#[test]
fn long_arrays_are_skipped_and_short_ones_recorded() {
    let tokens: Vec<String> = (0..100).map(|i| format!("tok{i}")).collect();
    let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let mut f = File::new(3, 0, 4);
    f.kv_str("general.architecture", "llama")
        .kv_strs("tokenizer.ggml.tokens", &tokens)
        .kv_strs("general.tags", &tokens)
        .kv_strs("general.languages", &["en", "fr"])
        .data(32, 0);
    let (report, result) = inspect_bytes(&f.bytes);
    assert_eq!(result, Ok(()));
    assert_eq!(report.notes, vec![]);
    assert!(
        !report.facts.contains_key("tags"),
        "a 100-element list is not recorded"
    );
    assert_eq!(report.facts["languages"], serde_json::json!(["en", "fr"]));
}

#[test]
fn provenance_and_architecture_keys_are_recorded_in_any_order() {
    let mut f = File::new(3, 0, 11);
    f.kv_u32("qwen2.attention.head_count", 16)
        .kv_u32("llama.attention.head_count", 99)
        .kv_str("general.architecture", "qwen2")
        .kv_u32("qwen2.attention.head_count_kv", 2)
        .kv_u32("general.file_type", 15)
        .kv_str("general.version", "v2")
        .kv_str("general.base_model.1.name", "B")
        .kv_str("general.base_model.0.name", "A")
        .kv_str("general.description", &"é".repeat(600));
    f.key("split.no", 2)
        .raw(&[1, 0])
        .key("split.count", 2)
        .raw(&[3, 0]);
    f.data(32, 0);
    let (report, result) = inspect_bytes(&f.bytes);
    assert_eq!(result, Ok(()));
    let facts = &report.facts;
    assert_eq!(facts["head_count"], 16);
    assert_eq!(facts["head_count_kv"], 2);
    assert_eq!(
        facts["file_type"],
        serde_json::json!({"id": 15, "name": "MOSTLY_Q4_K_M"})
    );
    assert_eq!(facts["model_version"], "v2");
    assert_eq!(facts["base_models"], serde_json::json!(["A", "B"]));
    assert_eq!(facts["split"], serde_json::json!({"no": 1, "count": 3}));
    let description = facts["description"].as_str().unwrap();
    assert_eq!(description, format!("{}…", "é".repeat(512)));
    assert_eq!(file_type_name(99), "ftype_99");
    assert_eq!(file_type_name(1024), "GUESSED");
}

#[test]
fn wrongly_typed_and_missing_keys_are_noted() {
    let mut f = File::new(3, 1, 2);
    f.kv_u32("general.name", 7)
        .key("x.flag", 7)
        .raw(&[2])
        .tensor("q", &[32], Q8_0, 0)
        .data(32, 64);
    let (report, result) = inspect_bytes(&f.bytes);
    assert_eq!(result, Ok(()));
    assert_eq!(
        notes(&report, rules::NONCONFORMING),
        [
            "`general.name` is UINT32, expected STRING",
            "value of `x.flag`: boolean byte 2, not 0 or 1",
            "no `general.architecture` string, which the GGUF specification requires",
            "quantised tensors but no `general.quantization_version`",
        ]
    );
}

#[test]
fn bytes_after_the_tensor_data_are_noted() {
    let mut bytes = minimal();
    bytes.extend_from_slice(&[0xAA; 40]);
    let (report, result) = inspect_bytes(&bytes);
    assert_eq!(result, Ok(()));
    assert_eq!(
        notes(&report, rules::NOTE),
        ["40 bytes follow the tensor data, which loaders ignore"]
    );
}

#[test]
fn many_findings_of_one_kind_are_summarised() {
    let mut f = File::new(3, 0, 40);
    for _ in 0..40 {
        f.kv_u32("x.same", 1);
    }
    let (report, _) = inspect_bytes(&f.bytes);
    let found = notes(&report, rules::NONCONFORMING);
    assert_eq!(found.len(), NOTES_PER_RULE + 1);
    assert_eq!(
        found.last().unwrap(),
        "24 more findings of this kind in this file are not listed"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    #[test]
    fn no_input_panics(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
        let mut bytes = b"GGUF\x03\x00\x00\x00".to_vec();
        bytes.extend_from_slice(&tail);
        let _ = inspect_bytes(&bytes);
    }

    #[test]
    fn no_mutation_of_a_valid_file_panics(at in 0usize..400, byte in proptest::prelude::any::<u8>(), cut in 0usize..400) {
        let mut bytes = minimal();
        if let Some(b) = bytes.get_mut(at) {
            *b = byte;
        }
        bytes.truncate(bytes.len().saturating_sub(cut % 64));
        let _ = inspect_bytes(&bytes);
    }
}

#[test]
fn a_file_without_tensors_is_a_tokenizer_not_weights() {
    // llama.cpp's `ggml-vocab-*.gguf`: a header and a vocabulary, no tensors.
    let mut vocab = File::new(3, 0, 2);
    vocab
        .kv_str("general.architecture", "llama")
        .kv_strs("tokenizer.ggml.tokens", &["<s>", "</s>", "a"]);
    let classify = |bytes: &[u8]| {
        let path = crate::vocab::RelPath::new("ggml-vocab-llama.gguf").unwrap();
        let info = crate::inspect::FileInfo {
            path: &path,
            size: bytes.len() as u64,
            head: bytes,
            lines: None,
        };
        let inspection = crate::inspect::inspect(&info, Source::bytes(bytes));
        (inspection.kind, inspection.format)
    };
    assert_eq!(
        classify(&vocab.bytes),
        (
            crate::inspect::Kind::Tokenizer,
            crate::inspect::Format::Gguf
        )
    );
    assert_eq!(
        classify(&minimal()),
        (crate::inspect::Kind::Weights, crate::inspect::Format::Gguf)
    );
}
