//! What `scelle init` can fill in before the publisher does: the Hugging Face model card's front
//! matter in `README.md` (licence, datasets, base model, languages, pipeline tag), the
//! architecture from `config.json`, the base model from `config.json`'s `_name_or_path` or the
//! GGUF header when the card does not name it, the context window from the library config, the
//! GGUF header or the tokenizer, and what the weights and files say (parameter count, dataset
//! folders, code that loading runs). Every filled field records where it came from; datasets
//! the card's text names but its front matter does not are offered in comments, to confirm.

use std::path::Path;

use serde_json::{Value, json};

use crate::manifest::FileRecord;
use crate::manifest::card::{self, front_matter, spdx_of, strings};
use crate::manifest::template::Prefill;
use crate::vocab::rules;
use crate::yaml::Node;

/// Input and output modalities of Hugging Face pipeline tags.
const PIPELINES: [(&str, &[&str], &[&str]); 14] = [
    ("text-generation", &["text"], &["text"]),
    ("text2text-generation", &["text"], &["text"]),
    ("summarization", &["text"], &["text"]),
    ("translation", &["text"], &["text"]),
    ("question-answering", &["text"], &["text"]),
    ("image-text-to-text", &["text", "image"], &["text"]),
    ("text-to-image", &["text"], &["image"]),
    ("text-to-video", &["text"], &["video"]),
    ("text-to-speech", &["text"], &["audio"]),
    ("text-to-audio", &["text"], &["audio"]),
    ("automatic-speech-recognition", &["audio"], &["text"]),
    ("feature-extraction", &["text"], &["embedding"]),
    ("sentence-similarity", &["text"], &["embedding"]),
    ("text-classification", &["text"], &["classification"]),
];

/// `base_model_relation` of a model card, as the schema's `relation`.
fn relation(card: &str) -> Option<&'static str> {
    Some(match card {
        "adapter" => "adapter",
        "finetune" => "fine_tune",
        "merge" => "merge",
        "quantized" => "quantisation",
        _ => return None,
    })
}

/// A `model_max_length` above this is transformers' "no limit" placeholder (`int(1e30)`) or
/// a typo, not a context window.
const MAX_SANE_CONTEXT: u64 = 1 << 24;

/// A small text file at the top of the release, read through the bounded, regular-file-only
/// reader (init pre-fills what it can: an unreadable file is a field left TODO, not an error).
fn read_text(root: &Path, name: &str) -> Option<String> {
    let kind = if name == "README.md" {
        crate::input::Kind::MODEL_CARD
    } else {
        crate::input::Kind::CONFIG
    };
    crate::input::read_text(&root.join(name), kind).ok()
}

/// Gathers what can be filled for the release at `root`, whose files are `files`.
pub fn gather(root: &Path, name: &str, files: &[FileRecord]) -> Prefill {
    let mut p = Prefill::default();
    let card = "`README.md` front matter";
    let readme = read_text(root, "README.md");
    let matter = readme.as_deref().and_then(front_matter);
    if let Some(m) = &matter {
        from_card(m, card, &mut p);
    }
    if !p.sources.contains_key("model.name") {
        p.set("model.name", json!(name), "the folder name");
    }
    if let Some(text) = &readme {
        let declared = strings(matter.as_ref().and_then(|m| m.get("datasets")));
        suggest_datasets(&card::dataset_mentions(text, &declared), &mut p);
    }
    if !p.sources.keys().any(|k| k.starts_with("model.base_models")) {
        base_model_elsewhere(root, files, &mut p);
    }
    max_input_tokens(root, files, &mut p);
    let config = files
        .iter()
        .find(|f| f.path.as_str() == "config.json")
        .and_then(|f| f.facts.get("architecture"));
    if let Some(arch) = config {
        if let Some(t) = arch.get("model_type").and_then(Value::as_str) {
            p.set(
                "model.architecture.family",
                json!(t),
                "`config.json` (`model_type`)",
            );
        }
        let moe = arch
            .get("experts")
            .and_then(Value::as_u64)
            .is_some_and(|e| e > 1);
        p.set(
            "model.architecture.kind",
            json!(if moe { "moe" } else { "dense" }),
            "`config.json`",
        );
    }
    let summary = crate::summary::model(files);
    if let Some(count) = summary.as_ref().and_then(|s| s.parameter_count) {
        p.set(
            "model.parameters.total",
            json!(count),
            "the weights (scanned)",
        );
    }
    let datasets = crate::summary::datasets(files);
    let declared = p
        .value
        .get("datasets")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    for (i, d) in datasets.iter().enumerate() {
        p.set(
            &format!("datasets[{}].path", declared + i),
            json!(d.path.trim_end_matches('/')),
            "the files of the release",
        );
    }
    let code: Vec<&FileRecord> = files
        .iter()
        .filter(|f| f.findings.iter().any(|x| x.rule == rules::REMOTE_CODE))
        .collect();
    for (i, f) in code.iter().enumerate() {
        p.set(
            &format!("release.remote_code[{i}].path"),
            json!(f.path.as_str()),
            "the files of the release (code run on load)",
        );
    }
    p
}

/// Datasets the card's text names and its front matter does not: offered as TODOs to confirm,
/// in comments, never declared.
fn suggest_datasets(mentions: &[card::Mention], p: &mut Prefill) {
    if mentions.is_empty() {
        return;
    }
    let mut lines = vec![
        "TODO confirm: the model card's text names these datasets, its front matter does not;"
            .to_owned(),
        "add an entry for each one the model was trained or evaluated on:".to_owned(),
    ];
    lines.extend(
        mentions
            .iter()
            .map(|m| format!("  {} (`README.md` line {})", m.id, m.line)),
    );
    p.notes.insert("datasets".to_owned(), lines);
}

/// The base model when the card does not name it: `config.json`'s `_name_or_path` (what the
/// weights were loaded from before this release was saved), or the GGUF `general.base_model.*`.
fn base_model_elsewhere(root: &Path, files: &[FileRecord], p: &mut Prefill) {
    let own = p
        .value
        .pointer("/model/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let config: Option<Value> = files
        .iter()
        .any(|f| f.path.as_str() == "config.json")
        .then(|| read_text(root, "config.json"))
        .flatten()
        .and_then(|t| serde_json::from_str(&t).ok());
    if let Some(id) = config
        .as_ref()
        .and_then(|c| c.get("_name_or_path"))
        .and_then(Value::as_str)
        .filter(|id| is_hub_id(id))
        // A model saved from its own repository names itself.
        .filter(|id| {
            let last = id.rsplit('/').next().unwrap_or(id).to_ascii_lowercase();
            last != own && !own.ends_with(&format!("/{last}"))
        })
    {
        p.set(
            "model.base_models[0].name",
            json!(id),
            "`config.json` (`_name_or_path`): confirm it is the model this one was built on",
        );
        return;
    }
    let gguf = files
        .iter()
        .filter(|f| f.format == crate::vocab::Format::Gguf)
        .find_map(|f| {
            let names = f.facts.get("base_models")?.as_array()?.clone();
            (!names.is_empty()).then(|| (f.path.as_str().to_owned(), names))
        });
    if let Some((path, names)) = gguf {
        for (i, name) in names.iter().filter_map(Value::as_str).enumerate() {
            p.set(
                &format!("model.base_models[{i}].name"),
                json!(name),
                &format!("`{path}` (`general.base_model.{i}.name`)"),
            );
        }
    }
}

/// `org/name`, as the Hub spells repository ids; not a local path.
fn is_hub_id(id: &str) -> bool {
    let mut parts = id.split('/');
    let (Some(org), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let ok = |s: &str| {
        !s.is_empty()
            && !s.starts_with(['.', '-'])
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    ok(org) && ok(name)
}

/// The longest input the model takes: the library config's position limit, else the GGUF
/// header's `context_length`, else the tokenizer's `model_max_length` when it is a real number.
fn max_input_tokens(root: &Path, files: &[FileRecord], p: &mut Prefill) {
    let config = files
        .iter()
        .find(|f| f.path.as_str() == "config.json")
        .and_then(|f| f.facts.get("architecture")?.get("context_length")?.as_u64());
    if let Some(n) = config {
        p.set(
            "model.max_input_tokens",
            json!(n),
            "`config.json` (`max_position_embeddings` or its spelling in this architecture)",
        );
        return;
    }
    let gguf = files
        .iter()
        .filter(|f| f.format == crate::vocab::Format::Gguf)
        .filter_map(|f| Some((f.path.as_str(), f.facts.get("context_length")?.as_u64()?)))
        .max_by_key(|(_, n)| *n);
    if let Some((path, n)) = gguf {
        p.set(
            "model.max_input_tokens",
            json!(n),
            &format!("`{path}` (`context_length`)"),
        );
        return;
    }
    let tokenizer = files
        .iter()
        .any(|f| f.path.as_str() == "tokenizer_config.json")
        .then(|| read_text(root, "tokenizer_config.json"))
        .flatten()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|c| c.get("model_max_length")?.as_u64())
        .filter(|n| (1..=MAX_SANE_CONTEXT).contains(n));
    if let Some(n) = tokenizer {
        p.set(
            "model.max_input_tokens",
            json!(n),
            "`tokenizer_config.json` (`model_max_length`)",
        );
    }
}

fn from_card(m: &Node, card: &str, p: &mut Prefill) {
    if let Some(id) = m.get("license").and_then(Node::as_str) {
        let spdx = spdx_of(id);
        p.set("model.license.spdx", json!(spdx), card);
        if let Some(link) = m.get("license_link").and_then(Node::as_str)
            && crate::manifest::descriptor::has_scheme(link)
        {
            p.set("model.license.url", json!(link), card);
        }
    }
    if let Some(n) = m.get("model_name").and_then(Node::as_str) {
        p.set("model.name", json!(n), card);
    }
    let languages = strings(m.get("language"));
    if !languages.is_empty() {
        p.set("model.languages", json!(languages), card);
    }
    if let Some(tag) = m.get("pipeline_tag").and_then(Node::as_str) {
        p.set("model.intended_tasks", json!([tag]), card);
        if let Some((_, input, output)) = PIPELINES.iter().find(|(t, _, _)| *t == tag) {
            p.set("model.modalities.input", json!(input), card);
            p.set("model.modalities.output", json!(output), card);
        }
    }
    let relation = m
        .get("base_model_relation")
        .and_then(Node::as_str)
        .and_then(relation);
    for (i, base) in strings(m.get("base_model")).iter().enumerate() {
        p.set(&format!("model.base_models[{i}].name"), json!(base), card);
        if let Some(r) = relation {
            p.set(&format!("model.base_models[{i}].relation"), json!(r), card);
        }
    }
    for (i, id) in strings(m.get("datasets")).iter().enumerate() {
        p.set(&format!("datasets[{i}].id"), json!(id), card);
        p.set(
            &format!("datasets[{i}].source_url"),
            json!(format!("https://huggingface.co/datasets/{id}")),
            card,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_card_front_matter_fills_the_declaration() {
        let readme = "---\nlicense: apache-2.0\nlanguage: [fr, en]\npipeline_tag: text-generation\nbase_model: org/base-7b\nbase_model_relation: adapter\ndatasets:\n  - org/web-fr\n---\n# Model\n";
        let m = front_matter(readme).unwrap();
        let mut p = Prefill::default();
        from_card(&m, "card", &mut p);
        let v = &p.value;
        assert_eq!(v["model"]["license"]["spdx"], "Apache-2.0");
        assert_eq!(v["model"]["languages"], json!(["fr", "en"]));
        assert_eq!(v["model"]["modalities"]["output"], json!(["text"]));
        assert_eq!(
            v["model"]["base_models"][0],
            json!({"name": "org/base-7b", "relation": "adapter"})
        );
        assert_eq!(
            v["datasets"][0]["source_url"],
            "https://huggingface.co/datasets/org/web-fr"
        );
        assert_eq!(p.sources["model.license.spdx"], "card");
    }

    #[test]
    fn unknown_licences_become_licence_refs_and_bad_front_matter_is_ignored() {
        let m = front_matter("---\nlicense: other\n---\n").unwrap();
        let mut p = Prefill::default();
        from_card(&m, "card", &mut p);
        assert_eq!(p.value["model"]["license"]["spdx"], "LicenseRef-other");
        // Every licence `init` writes is one the declaration accepts back.
        for (hf, spdx) in [
            ("bsl-1.0", "BSL-1.0"),
            ("my licence (v2)", "LicenseRef-my-licence--v2-"),
            ("llama3.2", "LicenseRef-llama3.2"),
        ] {
            let m = front_matter(&format!("---\nlicense: \"{hf}\"\n---\n")).unwrap();
            let mut p = Prefill::default();
            from_card(&m, "card", &mut p);
            assert_eq!(p.value["model"]["license"]["spdx"], spdx, "{hf}");
            assert_eq!(crate::manifest::licence::check(spdx), Ok(()), "{spdx}");
        }
        assert!(front_matter("---\nlicense: [unclosed\n---\n").is_none());
        assert!(front_matter("# no front matter\n").is_none());
    }
}
