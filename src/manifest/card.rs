//! The text of a Hugging Face model card (`README.md` after its front matter): the datasets it
//! names in ways that can be read without guessing, Hub links (`huggingface.co/datasets/ORG/NAME`,
//! `hf.co/datasets/...`) and `load_dataset("ORG/NAME")` calls. Prose ("trained on a mix of web
//! data") is not read: a name found there would be a guess. What is found is only ever offered to
//! the publisher to confirm, never declared for them.
//!
//! [`facts`] is what the scan records of the card in the manifest (`predicate.card`), so that
//! `check` can compare the card with the declaration wherever the manifest goes: the front
//! matter's licence, datasets, base models, languages and pipeline tag, and the template
//! placeholders left in the text.

use serde_json::{Value, json};

use crate::yaml::{self, Node, NodeValue};

/// The Hugging Face model card template's filler for a section left unwritten.
const MORE_INFO: &str = "[More Information Needed]";

/// Placeholder lines kept per card.
const MAX_PLACEHOLDERS: usize = 16;

/// Hugging Face licence identifiers and their SPDX spelling, for the common ones.
const LICENCES: [(&str, &str); 24] = [
    ("apache-2.0", "Apache-2.0"),
    ("mit", "MIT"),
    ("bsd-2-clause", "BSD-2-Clause"),
    ("bsd-3-clause", "BSD-3-Clause"),
    ("gpl-3.0", "GPL-3.0-only"),
    ("lgpl-3.0", "LGPL-3.0-only"),
    ("agpl-3.0", "AGPL-3.0-only"),
    ("mpl-2.0", "MPL-2.0"),
    ("cc0-1.0", "CC0-1.0"),
    ("cc-by-4.0", "CC-BY-4.0"),
    ("cc-by-sa-4.0", "CC-BY-SA-4.0"),
    ("cc-by-nc-4.0", "CC-BY-NC-4.0"),
    ("cc-by-nc-sa-4.0", "CC-BY-NC-SA-4.0"),
    ("cc-by-nd-4.0", "CC-BY-ND-4.0"),
    ("cc-by-nc-nd-4.0", "CC-BY-NC-ND-4.0"),
    ("openrail", "LicenseRef-OpenRAIL"),
    ("openrail++", "LicenseRef-OpenRAIL-plus-plus"),
    ("creativeml-openrail-m", "LicenseRef-CreativeML-OpenRAIL-M"),
    ("bigscience-openrail-m", "LicenseRef-BigScience-OpenRAIL-M"),
    ("llama2", "LicenseRef-Llama-2"),
    ("llama3", "LicenseRef-Llama-3"),
    ("llama3.1", "LicenseRef-Llama-3.1"),
    ("gemma", "LicenseRef-Gemma"),
    ("unlicense", "Unlicense"),
];

/// The YAML front matter of a model card, when it has one that parses.
pub fn front_matter(readme: &str) -> Option<Node> {
    let rest = readme.strip_prefix("---")?;
    let rest = rest
        .strip_prefix('\n')
        .or_else(|| rest.strip_prefix("\r\n"))?;
    let end = rest.find("\n---")?;
    yaml::parse(&rest[..end]).ok()
}

/// A front-matter value as a list of strings: one string or a sequence of them.
pub fn strings(node: Option<&Node>) -> Vec<String> {
    match node.map(|n| &n.value) {
        Some(NodeValue::Str(s)) => vec![s.clone()],
        Some(NodeValue::Seq(items)) => items
            .iter()
            .filter_map(|n| n.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// The SPDX spelling of a Hugging Face licence identifier (`LicenseRef-ID` when it has none).
pub fn spdx_of(id: &str) -> String {
    let lower = id.to_ascii_lowercase();
    LICENCES
        .iter()
        .find(|(hf, _)| *hf == lower)
        .map(|(_, s)| (*s).to_owned())
        .or_else(|| super::licence::listed_id(id).map(str::to_owned))
        .unwrap_or_else(|| {
            // A `LicenseRef-` name holds letters, digits, `.` and `-` only, or the
            // declaration `init` writes would not load.
            let name: String = id
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            format!("LicenseRef-{name}")
        })
}

/// What a model card says, as recorded in the manifest: `front_matter` (whether it has one
/// that parses), `license` (the front matter's identifier and its SPDX spelling; `other`
/// names no licence), `datasets`, `base_models`, `languages`, `pipeline_tag`, and
/// `placeholders` (each line, 1-based, holding a template placeholder; at most 16, with their
/// number in `placeholder_lines`).
pub fn facts(readme: &str) -> Value {
    let matter = front_matter(readme);
    let get = |key: &str| matter.as_ref().and_then(|m| m.get(key));
    let license = get("license").and_then(Node::as_str);
    let spdx = license
        .filter(|l| !l.eq_ignore_ascii_case("other") && !l.eq_ignore_ascii_case("unknown"))
        .map(spdx_of);
    let mut in_code = false;
    let mut placeholders: Vec<(usize, &str)> = Vec::new();
    for (i, line) in readme.lines().enumerate() {
        // Prompt and chat templates quoted in code blocks use `{{ ... }}` on purpose.
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if !in_code && (line.contains(MORE_INFO) || is_template_slot(line)) {
            placeholders.push((i + 1, line));
        }
    }
    json!({
        "front_matter": matter.is_some(),
        "license": license,
        "license_spdx": spdx,
        "datasets": strings(get("datasets")),
        "base_models": strings(get("base_model")),
        "languages": strings(get("language")),
        "pipeline_tag": get("pipeline_tag").and_then(Node::as_str),
        "placeholder_lines": placeholders.len(),
        "placeholders": placeholders
            .iter()
            .take(MAX_PLACEHOLDERS)
            .map(|(line, text)| json!({"line": line, "text": excerpt(text)}))
            .collect::<Vec<_>>(),
    })
}

/// A Jinja slot of the template source (`{{ model_summary | default("", true) }}`) outside
/// inline code.
fn is_template_slot(line: &str) -> bool {
    line.split('`')
        .step_by(2)
        .any(|part| part.find("{{").is_some_and(|at| part[at..].contains("}}")))
}

/// A line cut to 120 characters, for a finding's subject.
fn excerpt(line: &str) -> String {
    let line = line.trim();
    match line.char_indices().nth(120) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_owned(),
    }
}

/// A dataset the card's text names, and the line (1-based, in the whole `README.md`) it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub id: String,
    pub line: usize,
}

/// Mentions kept per card; a card listing more is summarised by these.
const MAX_MENTIONS: usize = 32;

/// Hub pages below a dataset that are not part of its id (`datasets/squad/viewer`).
const SUBPAGES: [&str; 8] = [
    "viewer",
    "tree",
    "blob",
    "resolve",
    "discussions",
    "raw",
    "commits",
    "edit",
];

/// The datasets `readme`'s text (front matter excluded) names, in order of first mention,
/// without those in `declared` (the front matter's `datasets`, compared case-insensitively).
pub fn dataset_mentions(readme: &str, declared: &[String]) -> Vec<Mention> {
    let body_start = body_offset(readme);
    let mut out: Vec<Mention> = Vec::new();
    let known = |id: &str, out: &[Mention]| {
        declared.iter().any(|d| d.eq_ignore_ascii_case(id))
            || out.iter().any(|m| m.id.eq_ignore_ascii_case(id))
    };
    for (i, line) in readme.lines().enumerate() {
        let line_start = line.as_ptr() as usize - readme.as_ptr() as usize;
        if line_start < body_start {
            continue;
        }
        for id in hub_links(line).into_iter().chain(load_calls(line)) {
            if out.len() >= MAX_MENTIONS {
                return out;
            }
            if !known(&id, &out) {
                out.push(Mention { id, line: i + 1 });
            }
        }
    }
    out
}

/// Where the card's text starts: after the closing `---` of its front matter, if any.
fn body_offset(readme: &str) -> usize {
    let Some(rest) = readme.strip_prefix("---") else {
        return 0;
    };
    rest.find("\n---").map_or(0, |end| {
        let after = 3 + end + 4;
        readme[after..]
            .find('\n')
            .map_or(readme.len(), |n| after + n + 1)
    })
}

/// Ids in Hub dataset links on one line.
fn hub_links(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for host in ["huggingface.co/datasets/", "hf.co/datasets/"] {
        let mut from = 0;
        while let Some(at) = line[from..].find(host) {
            let start = from + at + host.len();
            from = start;
            let segments: Vec<&str> = line[start..]
                .split(|c: char| !is_id_char(c) && c != '/')
                .next()
                .unwrap_or("")
                .split('/')
                .take(2)
                .collect();
            let id = match segments.as_slice() {
                [org, name] if !org.is_empty() && !name.is_empty() && !SUBPAGES.contains(name) => {
                    format!("{org}/{name}")
                }
                [name, ..] if !name.is_empty() => (*name).to_owned(),
                _ => continue,
            };
            if let Some(id) = clean(&id) {
                out.push(id);
            }
        }
    }
    out
}

/// Ids passed as the first argument of `load_dataset(...)` on one line.
fn load_calls(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = line[from..].find("load_dataset(") {
        let start = from + at + "load_dataset(".len();
        from = start;
        let rest = line[start..].trim_start();
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let inner = &rest[1..];
        let Some(end) = inner.find(quote) else {
            continue;
        };
        let id = &inner[..end];
        let parts: Vec<&str> = id.split('/').collect();
        // A local path or a script is not a Hub id.
        if parts.len() <= 2
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(is_id_char))
            && let Some(id) = clean(id)
        {
            out.push(id);
        }
    }
    out
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// An id without the punctuation that ends a sentence or a Markdown link around it.
fn clean(id: &str) -> Option<String> {
    let id = id.trim_end_matches(['.', '-']);
    (!id.is_empty() && !id.starts_with('.') && id.len() <= 96).then(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(readme: &str, declared: &[&str]) -> Vec<(String, usize)> {
        let declared: Vec<String> = declared.iter().map(|s| (*s).to_owned()).collect();
        dataset_mentions(readme, &declared)
            .into_iter()
            .map(|m| (m.id, m.line))
            .collect()
    }

    #[test]
    fn links_and_load_calls_in_the_text_are_found_once_each() {
        let readme = "---\ndatasets: [org/declared]\nlink: https://huggingface.co/datasets/org/in-front-matter\n---\n# Model\n\nTrained on [FineWeb-Edu](https://huggingface.co/datasets/HuggingFaceFW/fineweb-edu).\nAlso https://hf.co/datasets/squad/viewer and [x](https://huggingface.co/datasets/org/declared).\n```python\nds = load_dataset(\"allenai/c4\", \"en\")\nlocal = load_dataset('./data/train.json')\n```\nSee again https://huggingface.co/datasets/huggingfacefw/FineWeb-Edu/tree/main.\n";
        assert_eq!(
            ids(readme, &["org/declared"]),
            [
                ("HuggingFaceFW/fineweb-edu".to_owned(), 7),
                ("squad".to_owned(), 8),
                ("allenai/c4".to_owned(), 10),
            ]
        );
    }

    #[test]
    fn the_card_facts_name_the_front_matter_and_every_placeholder_line() {
        let readme = "---\nlicense: apache-2.0\ndatasets: [org/a]\nbase_model: org/base\nlanguage: [fr]\npipeline_tag: text-generation\n---\n# Model\n\n- **Developed by:** [More Information Needed]\n{{ model_summary }}\n```\n{{ bos_token }}\n```\nInline `{{ x }}` is code.\n";
        let f = facts(readme);
        assert_eq!(f["front_matter"], true);
        assert_eq!(f["license_spdx"], "Apache-2.0");
        assert_eq!(f["datasets"], json!(["org/a"]));
        assert_eq!(f["base_models"], json!(["org/base"]));
        assert_eq!(f["placeholder_lines"], 2);
        assert_eq!(f["placeholders"][0]["line"], 10);
        assert_eq!(f["placeholders"][1]["line"], 11);
        let other = facts("---\nlicense: other\n---\nok\n");
        assert_eq!(other["license"], "other");
        assert_eq!(
            other["license_spdx"],
            Value::Null,
            "`other` names no licence"
        );
        assert_eq!(facts("no front matter")["front_matter"], false);
    }

    #[test]
    fn prose_is_not_read_and_a_card_without_front_matter_is_all_text() {
        assert_eq!(ids("Trained on the Pile and C4.\n", &[]), []);
        assert_eq!(
            ids("see huggingface.co/datasets/a/b\n", &[]),
            [("a/b".to_owned(), 1)]
        );
    }
}
