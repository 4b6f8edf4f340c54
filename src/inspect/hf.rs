//! Hugging Face repository files: `config.json` (the architecture, and `auto_map`, which makes
//! loading run code from the repository), shard indexes (`*.index.json`), the chat templates of
//! `tokenizer_config.json`, `chat_template.json` and `processor_config.json` (analysed by
//! `template`), and Git LFS pointers (a clone made without `git lfs pull` holds these
//! small text files where the weights should be).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::source::{Malformed, Source};
use super::template::{self, Anchor};
use super::{Report, rules};
use crate::finding::Severity;
use crate::vocab::{RelPath, Sha256Digest};

/// Largest JSON file read for facts.
const MAX_JSON: u64 = 16 * 1024 * 1024;

/// Files whose `chat_template` key holds the chat template (a string, or a list of
/// `{name, template}`), as transformers saves it for tokenizers and processors.
const TEMPLATE_HOLDERS: [&str; 3] = [
    "tokenizer_config.json",
    "chat_template.json",
    "processor_config.json",
];

/// The `chat_template` value of a tokenizer or processor config: each template is analysed
/// (see `template`), and the default one's digest recorded.
fn chat_templates(value: &Value, report: &mut Report) {
    let Some(held) = value.get("chat_template") else {
        return;
    };
    match held {
        Value::String(text) => {
            report.fact(
                "chat_template_sha256",
                Sha256Digest::of(text.as_bytes()).to_hex(),
            );
            template::inspect_text("`chat_template`", text, Anchor::Embedded, report);
        }
        Value::Array(entries) => {
            let mut names = Vec::new();
            for (i, entry) in entries.iter().enumerate() {
                let name = entry.get("name").and_then(Value::as_str);
                let Some(text) = entry.get("template").and_then(Value::as_str) else {
                    report.note(
                        rules::NONCONFORMING,
                        Severity::Warning,
                        format!("`chat_template` entry {i} has no `template` string"),
                        None,
                    );
                    continue;
                };
                let label = match name {
                    Some(n) => format!("chat template `{n}`"),
                    None => format!("`chat_template` entry {i}"),
                };
                if name == Some("default") {
                    report.fact(
                        "chat_template_sha256",
                        Sha256Digest::of(text.as_bytes()).to_hex(),
                    );
                }
                names.extend(name.map(str::to_owned));
                template::inspect_text(&label, text, Anchor::Embedded, report);
            }
            report.fact("chat_templates", names);
        }
        Value::Null => {}
        _ => report.note(
            rules::NONCONFORMING,
            Severity::Warning,
            "`chat_template` is neither a string nor a list of `{name, template}`: loaders refuse it",
            None,
        ),
    }
}

/// JSON files of interest, by name.
pub fn inspect_json(
    path: &RelPath,
    source: Source<'_>,
    report: &mut Report,
) -> Result<(), Malformed> {
    let name = path.file_name();
    let holds_template = TEMPLATE_HOLDERS.contains(&name);
    let known = name == "config.json" || holds_template || name.ends_with(".index.json");
    if !known {
        return Ok(());
    }
    if source.size() > MAX_JSON {
        if holds_template {
            // A chat template could hide past the read limit: unread is not checked.
            report.note(
                rules::SUSPICIOUS_TEMPLATE,
                Severity::Error,
                format!("larger than the {MAX_JSON} bytes read: its chat template, if any, was not checked for sandbox escapes"),
                None,
            );
        } else {
            report.note(
                rules::NOTE,
                Severity::Info,
                format!("larger than the {MAX_JSON} bytes read for facts"),
                None,
            );
        }
        return Ok(());
    }
    let bytes = source.read(0, source.size(), name)?;
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|e| Malformed::new(0, format!("not JSON: {e}")))?;
    if name == "config.json" {
        config(&value, report);
    } else if holds_template {
        chat_templates(&value, report);
    } else {
        index(&value, report);
    }
    Ok(())
}

/// Architecture facts of a `config.json`, under the names the manifest's model summary uses.
#[derive(Debug, Default, Serialize)]
pub struct Architecture {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub architectures: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layers: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intermediate_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attention_heads: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kv_heads: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vocabulary: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_length: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub torch_dtype: Option<String>,
    /// Experts of a mixture-of-experts model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experts: Option<u64>,
}

/// The first of several spellings a config uses for one number (GPT-2 and T5 name them apart).
fn number(v: &Value, keys: &[&str]) -> Option<u64> {
    keys.iter().find_map(|k| v.get(k).and_then(Value::as_u64))
}

fn config(value: &Value, report: &mut Report) {
    // Multimodal configs keep the language model's numbers under `text_config`.
    let text = value
        .get("text_config")
        .filter(|t| t.is_object())
        .unwrap_or(value);
    let pick = |keys: &[&str]| number(value, keys).or_else(|| number(text, keys));
    let arch = Architecture {
        model_type: value
            .get("model_type")
            .and_then(Value::as_str)
            .map(str::to_owned),
        architectures: value
            .get("architectures")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        layers: pick(&["num_hidden_layers", "n_layer", "num_layers"]),
        hidden_size: pick(&["hidden_size", "n_embd", "d_model"]),
        intermediate_size: pick(&["intermediate_size", "n_inner", "d_ff"]),
        attention_heads: pick(&["num_attention_heads", "n_head", "num_heads"]),
        kv_heads: pick(&["num_key_value_heads"]),
        vocabulary: pick(&["vocab_size"]),
        // The longest sequence the position encoding takes; `sliding_window` is only how far
        // attention looks back, not a limit on the input.
        context_length: pick(&[
            "max_position_embeddings",
            "n_positions",
            "max_sequence_length",
            "max_seq_len",
            "seq_length",
            "n_ctx",
        ]),
        torch_dtype: value
            .get("torch_dtype")
            .or_else(|| value.get("dtype"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        experts: pick(&["num_local_experts", "num_experts", "n_routed_experts"]),
    };
    report.fact("architecture", &arch);
    if let Some(Value::Object(map)) = value.get("auto_map") {
        let targets: Vec<String> = map
            .values()
            .flat_map(|v| match v {
                Value::String(s) => vec![s.clone()],
                Value::Array(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        report.fact("auto_map", &targets);
        report.note(
            rules::REMOTE_CODE,
            Severity::Warning,
            format!(
                "`auto_map` names code from a repository ({}): loading needs `trust_remote_code=True`, which runs it",
                targets.iter().take(8).map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
            ),
            None,
        );
    }
}

/// A shard index: how many tensors each shard should hold, and the declared total size.
fn index(value: &Value, report: &mut Report) {
    let Some(Value::Object(map)) = value.get("weight_map") else {
        return;
    };
    let mut shards: BTreeMap<String, u64> = BTreeMap::new();
    for shard in map.values().filter_map(Value::as_str) {
        *shards.entry(shard.to_owned()).or_default() += 1;
    }
    report.fact("index_tensors", map.len());
    report.fact("index_shards", &shards);
    if let Some(total) = value
        .get("metadata")
        .and_then(|m| m.get("total_size"))
        .and_then(Value::as_u64)
    {
        report.fact("index_total_size", total);
    }
}

/// Checks a Hugging Face cache blob against its name (its ETag): the SHA-256 of an LFS file, or
/// the git blob SHA-1 of a small file. `None` when they agree.
pub fn hub_blob_mismatch(
    blob: &str,
    sha256: &Sha256Digest,
    git_sha1: Option<&[u8; 20]>,
) -> Option<String> {
    let actual = match blob.len() {
        64 => sha256.to_hex(),
        40 => git_sha1.map(|d| {
            d.iter().fold(String::with_capacity(40), |mut s, b| {
                let _ = std::fmt::Write::write_fmt(&mut s, format_args!("{b:02x}"));
                s
            })
        })?,
        _ => {
            return Some(format!(
                "its cache blob `{blob}` is named neither by a SHA-256 nor by a git SHA-1"
            ));
        }
    };
    (actual != blob).then(|| format!("its cache blob is named `{blob}`, but its content hashes to `{actual}`: the cache is corrupt or was tampered with"))
}

/// What a Git LFS pointer names.
#[derive(Debug, Serialize)]
struct Pointer {
    oid: String,
    size: u64,
}

/// A Git LFS pointer file (`version`, then sorted `key value` lines; `oid sha256:<hex>`, `size`).
pub fn inspect_lfs_pointer(source: Source<'_>, report: &mut Report) -> Result<(), Malformed> {
    let bytes = source.read(0, source.size(), "pointer")?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Malformed::new(0, "malformed Git LFS pointer: not UTF-8"))?;
    let mut oid = None;
    let mut size = None;
    let mut offset = 0u64;
    for line in text.split_terminator('\n') {
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "oid" => {
                let hex = value.strip_prefix("sha256:").ok_or_else(|| {
                    Malformed::new(
                        offset,
                        format!("malformed Git LFS pointer: oid `{value}` is not `sha256:<hex>`"),
                    )
                })?;
                Sha256Digest::from_hex(hex).map_err(|e| {
                    Malformed::new(offset, format!("malformed Git LFS pointer: {e}"))
                })?;
                oid = Some(hex.to_owned());
            }
            "size" => {
                size = Some(value.parse::<u64>().map_err(|_| {
                    Malformed::new(
                        offset,
                        format!("malformed Git LFS pointer: size `{value}` is not a number"),
                    )
                })?);
            }
            _ => {}
        }
        offset += line.len() as u64 + 1;
    }
    let (Some(oid), Some(size)) = (oid, size) else {
        return Err(Malformed::new(
            0,
            "malformed Git LFS pointer: it needs an `oid` and a `size` line",
        ));
    };
    report.note(
        rules::LFS_POINTER,
        Severity::Error,
        format!("a Git LFS pointer to {size} bytes (sha256:{oid}), not the content itself: run `git lfs pull`"),
        None,
    );
    report.fact("lfs", Pointer { oid, size });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_facts_and_auto_map() {
        let json = br#"{"architectures": ["MyModel"], "model_type": "my", "num_hidden_layers": 2,
            "hidden_size": 64, "vocab_size": 512, "max_position_embeddings": 2048,
            "auto_map": {"AutoModel": "modeling_my.MyModel", "AutoConfig": "configuration_my.MyConfig"}}"#;
        let mut report = Report::default();
        inspect_json(
            &RelPath::new("config.json").unwrap(),
            Source::bytes(json),
            &mut report,
        )
        .unwrap();
        let arch = &report.facts["architecture"];
        assert_eq!(arch["layers"], 2);
        assert_eq!(arch["context_length"], 2048);
        assert_eq!(arch["architectures"][0], "MyModel");
        assert_eq!(report.notes[0].rule, rules::REMOTE_CODE);
        assert!(report.notes[0].message.contains("`modeling_my.MyModel`"));
    }

    #[test]
    fn lfs_pointers_are_read_and_bad_oids_refused() {
        let oid = Sha256Digest::of(b"weights").to_hex();
        let good =
            format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 4096\n");
        let mut report = Report::default();
        inspect_lfs_pointer(Source::bytes(good.as_bytes()), &mut report).unwrap();
        assert_eq!(report.facts["lfs"]["size"], 4096);
        assert_eq!(report.notes[0].rule, rules::LFS_POINTER);
        let bad = "version https://git-lfs.github.com/spec/v1\noid sha256:xyz\nsize 4096\n";
        let err =
            inspect_lfs_pointer(Source::bytes(bad.as_bytes()), &mut Report::default()).unwrap_err();
        assert!(err.message.contains("not a SHA-256 digest"), "{err}");
        // The `oid` line starts after the 42-byte version line and its newline.
        assert_eq!(err.offset, 43);
    }

    fn json_report(name: &str, json: &str) -> Report {
        let mut report = Report::default();
        inspect_json(
            &RelPath::new(name).unwrap(),
            Source::bytes(json.as_bytes()),
            &mut report,
        )
        .unwrap();
        report
    }

    #[test]
    fn every_chat_template_of_a_config_is_analysed() {
        // String form: an escape spelled in pieces, which string matching never saw.
        let report = json_report(
            "tokenizer_config.json",
            r#"{"chat_template": "{{ cycler['__in' ~ 'it__'] }}"}"#,
        );
        let escape = report
            .notes
            .iter()
            .find(|n| n.rule == rules::CODE_ON_LOAD)
            .unwrap();
        assert_eq!(escape.severity, Severity::Error);
        assert!(escape.message.starts_with("`chat_template` escapes Jinja's sandbox: an item key that can be `__init__` (line 1, column 11)"), "{}", escape.message);
        // List form, in `chat_template.json`: the named template with the escape is named.
        let report = json_report(
            "chat_template.json",
            r#"{"chat_template": [{"name": "default", "template": "{{ messages[0]['content'] }}"},
                {"name": "tool_use", "template": "{{ lipsum|attr('__glo' ~ 'bals__') }}"}]}"#,
        );
        let escape = report
            .notes
            .iter()
            .find(|n| n.rule == rules::CODE_ON_LOAD)
            .unwrap();
        assert!(
            escape
                .message
                .starts_with("chat template `tool_use` escapes"),
            "{}",
            escape.message
        );
        assert_eq!(
            report.facts["chat_templates"],
            serde_json::json!(["default", "tool_use"])
        );
        assert_eq!(
            report.facts["chat_template_sha256"],
            Sha256Digest::of(b"{{ messages[0]['content'] }}").to_hex()
        );
        // An ordinary template: the note that it is one, nothing else.
        let report = json_report(
            "processor_config.json",
            r#"{"chat_template": "{% for m in messages %}{{ m['content'] }}{% endfor %}"}"#,
        );
        let found: Vec<&str> = report.notes.iter().map(|n| n.rule).collect();
        assert_eq!(found, [rules::NOTE]);
    }

    #[test]
    fn a_chat_template_of_the_wrong_shape_is_nonconforming() {
        let report = json_report("tokenizer_config.json", r#"{"chat_template": 7}"#);
        assert_eq!(report.notes[0].rule, rules::NONCONFORMING);
        let report = json_report(
            "tokenizer_config.json",
            r#"{"chat_template": [{"name": "x"}]}"#,
        );
        assert_eq!(
            report.notes[0].message,
            "`chat_template` entry 0 has no `template` string"
        );
    }
}
