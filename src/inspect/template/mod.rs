//! Chat templates: the Jinja programs that loaders render for every conversation
//! (`chat_template.jinja`, `chat_template.json`, `tokenizer_config.json`'s `chat_template`, GGUF
//! `tokenizer.chat_template*`). Transformers renders them in Jinja's sandbox; llama-cpp-python
//! before 0.2.72 did not (CVE-2024-34359), and neither do some servers, so a template that reaches
//! Python internals runs code where it is rendered. Matching strings misses `'__cla' ~ 'ss__'`,
//! `|format`, `|join`, `|attr(...)` and computed keys; the template is parsed (minijinja's syntax
//! tree) and walked instead:
//!
//! - an attribute or key that is, or can be built into, a dunder, a mangled private name or a
//!   frame or code attribute escapes the sandbox: `file/code-on-load`, an error, as for a pickle
//!   that calls code, so the release-integrity gate and `--fail-on` treat both alike;
//! - what hides its target (a key built at render time, `attr` with a computed name, strings
//!   spelled with escapes, `self`, Jinja's globals handled as values, `include`/`import`,
//!   `range` over huge bounds) is `file/suspicious-template`, a warning;
//! - a template that does not parse is `file/malformed` with its line and column; one too large or
//!   too deeply nested to analyse is `file/suspicious-template` at error level (not analysed is
//!   not safe).

mod literal;
mod value;
mod walk;

use std::fmt::Write as _;

use minijinja::machinery::{self, Token};
use minijinja::syntax::SyntaxConfig;

use super::source::{Malformed, Source};
use super::{Report, rules};
use crate::finding::Severity;
use crate::vocab::RelPath;

/// Largest template analysed, in bytes; real ones are a few KiB to a few tens of KiB.
pub const MAX_TEMPLATE: usize = 1 << 20;
/// Most tokens in one `{{ }}` or `{% %}` tag. The parser builds chains (`a.b.c...`, `x|f|f...`)
/// without a depth limit, and a tree's depth is at most its tag's token count, so this bounds
/// the recursion of everything that walks or drops the tree. Real tags have tens of tokens.
const MAX_TAG_TOKENS: usize = 1_000;
/// Items listed in one finding; the rest are counted.
const LISTED: usize = 8;

/// Names worth a warning wherever they appear in a template's text, when no code reaches them:
/// another Jinja implementation may lex as code what this parser reads as text.
const ESCAPE_WORDS: [&str; 16] = [
    "__class__",
    "__mro__",
    "__subclasses__",
    "__globals__",
    "__builtins__",
    "__init__",
    "__import__",
    "__base__",
    "__getattribute__",
    "__dict__",
    "__self__",
    "__func__",
    "_TemplateReference__context",
    "func_globals",
    "gi_frame",
    "f_back",
];

/// How bad a construct is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Reaches Python internals: code runs where the template is rendered outside a sandbox.
    Escape,
    /// Hides what it reaches, or strains the renderer.
    Suspicious,
}

/// One construct found, at a byte offset of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concern {
    pub level: Level,
    pub what: String,
    pub offset: usize,
}

/// The outcome of analysing a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Analysis {
    /// Parsed and walked; no concern means an ordinary template.
    Checked(Vec<Concern>),
    /// Does not parse.
    Unparsable { offset: usize, message: String },
    /// Over [`MAX_TEMPLATE`] bytes: not analysed.
    TooLarge { bytes: usize },
    /// Nested too deeply to analyse safely.
    TooComplex { offset: usize, why: String },
}

/// Analyses a template's text.
pub fn analyse(text: &str) -> Analysis {
    if text.len() > MAX_TEMPLATE {
        return Analysis::TooLarge { bytes: text.len() };
    }
    let text = blank_generation_tags(text);
    if let Some(offset) = oversized_tag(&text) {
        return Analysis::TooComplex {
            offset,
            why: format!("a tag of more than {MAX_TAG_TOKENS} tokens"),
        };
    }
    let tree = match machinery::parse(&text, "chat_template", SyntaxConfig::default()) {
        Ok(tree) => tree,
        Err(e) => {
            return Analysis::Unparsable {
                offset: e.range().map_or(0, |r| r.start),
                message: e
                    .detail()
                    .map_or_else(|| e.kind().to_string(), str::to_owned),
            };
        }
    };
    let mut walker = walk::Walker::new(&text);
    walker.run(&tree);
    if let Some(offset) = walker.too_deep {
        return Analysis::TooComplex {
            offset,
            why: format!("nesting more than {} levels deep", walk::MAX_DEPTH),
        };
    }
    if let Some(offset) = walker.exhausted {
        return Analysis::TooComplex {
            offset,
            why: format!(
                "names that take more than {} steps to follow",
                walk::MAX_STEPS
            ),
        };
    }
    let mut concerns = walker.concerns;
    if !concerns.iter().any(|c| c.level == Level::Escape)
        && let Some((offset, word)) = ESCAPE_WORDS
            .iter()
            .filter_map(|w| text.find(w).map(|at| (at, *w)))
            .min()
    {
        concerns.push(Concern {
            level: Level::Suspicious,
            what: format!(
                "`{word}` in text, a comment or a string no code here uses as a name (another Jinja implementation may read code there)"
            ),
            offset,
        });
    }
    concerns.sort_by(|a, b| (a.level, a.offset, &a.what).cmp(&(b.level, b.offset, &b.what)));
    Analysis::Checked(concerns)
}

/// Transformers' `{% generation %}` tags (its assistant-mask extension) are blanked out,
/// offsets kept: this parser does not know them, and they hold no code.
fn blank_generation_tags(text: &str) -> String {
    let mut out = text.to_owned();
    let mut from = 0;
    while let Some(start) = text[from..].find("{%").map(|i| i + from) {
        // The closing `%}` starts after the opening `{%` (in `{%}` they overlap).
        let Some(end) = text[start + 2..].find("%}").map(|i| start + 2 + i) else {
            break;
        };
        let len = end + 2 - start;
        let inner =
            text[start + 2..end].trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace());
        if inner == "generation" || inner == "endgeneration" {
            out.replace_range(start..start + len, &" ".repeat(len));
        }
        from = start + 2;
    }
    out
}

/// The offset of the first tag holding more than [`MAX_TAG_TOKENS`] tokens.
fn oversized_tag(text: &str) -> Option<usize> {
    let mut count = 0usize;
    let mut start = 0usize;
    for token in machinery::tokenize(text, false, SyntaxConfig::default()) {
        let Ok((token, span)) = token else {
            return None;
        };
        match token {
            Token::VariableStart | Token::BlockStart => {
                count = 0;
                start = span.start_offset as usize;
            }
            Token::TemplateData(_) | Token::VariableEnd | Token::BlockEnd => count = 0,
            _ => {
                count += 1;
                if count > MAX_TAG_TOKENS {
                    return Some(start);
                }
            }
        }
    }
    None
}

/// Line and column (1-based, in characters) of a byte offset.
pub fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Where a template's findings point in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The template is the whole file: a position in it is a file offset.
    File,
    /// The template is a value stored at this file offset (a GGUF key).
    At(u64),
    /// The template is a JSON string: positions are given in the message only.
    Embedded,
}

/// Whether a file is a Jinja template loaders may render: `chat_template.jinja`, the named
/// templates of `additional_chat_templates/`, and any other `.jinja` file shipped with a model.
pub fn is_template_file(path: &RelPath) -> bool {
    path.file_name()
        .rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("jinja"))
}

/// A template file: its text, analysed; one larger than [`MAX_TEMPLATE`] is not read.
pub fn inspect_file(
    path: &RelPath,
    source: Source<'_>,
    report: &mut Report,
) -> Result<(), Malformed> {
    let label = format!("`{}`", path.file_name());
    if source.size() > MAX_TEMPLATE as u64 {
        oversized(&label, source.size(), None, report);
        return Ok(());
    }
    let bytes = source.read(0, source.size(), "template")?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        Malformed::new(
            e.valid_up_to() as u64,
            "not UTF-8: Jinja reads a template as text",
        )
    })?;
    inspect_text(&label, text, Anchor::File, report);
    Ok(())
}

/// Records that a template of `bytes` bytes was too large to analyse.
pub fn oversized(label: &str, bytes: u64, offset: Option<u64>, report: &mut Report) {
    report.note(
        rules::SUSPICIOUS_TEMPLATE,
        Severity::Error,
        format!(
            "{label} is {bytes} bytes, over the {MAX_TEMPLATE} analysed: it was not checked for sandbox escapes"
        ),
        offset,
    );
}

/// Notes a template (what it is, its size) and records what the analysis finds.
pub fn inspect_text(label: &str, text: &str, anchor: Anchor, report: &mut Report) {
    report.note(
        rules::NOTE,
        Severity::Info,
        format!(
            "{label} is a Jinja template ({} bytes) that loaders run to format chats",
            text.len()
        ),
        match anchor {
            Anchor::At(o) => Some(o),
            Anchor::File | Anchor::Embedded => None,
        },
    );
    record(label, text, anchor, report);
}

/// Records the findings about one template. `label` names it in messages (`` `chat_template` ``,
/// `` `tokenizer.chat_template.tool_use` ``).
pub fn record(label: &str, text: &str, anchor: Anchor, report: &mut Report) {
    let offset = |at: usize| match anchor {
        Anchor::File => Some(at as u64),
        Anchor::At(o) => Some(o),
        Anchor::Embedded => None,
    };
    let place = |at: usize| {
        let (line, column) = position(text, at);
        format!("line {line}, column {column}")
    };
    match analyse(text) {
        Analysis::Checked(concerns) => {
            let escapes: Vec<&Concern> = concerns
                .iter()
                .filter(|c| c.level == Level::Escape)
                .collect();
            let hidden: Vec<&Concern> = concerns
                .iter()
                .filter(|c| c.level == Level::Suspicious)
                .collect();
            if let Some(first) = escapes.first() {
                report.note(
                    rules::CODE_ON_LOAD,
                    Severity::Error,
                    format!(
                        "{label} escapes Jinja's sandbox: {}; a renderer without the sandbox runs code when it formats a chat (CVE-2024-34359)",
                        listing(&escapes, &place)
                    ),
                    offset(first.offset),
                );
            }
            if let Some(first) = hidden.first() {
                report.note(
                    rules::SUSPICIOUS_TEMPLATE,
                    Severity::Warning,
                    format!(
                        "{label} hides what it reads or strains the renderer: {}",
                        listing(&hidden, &place)
                    ),
                    offset(first.offset),
                );
            }
        }
        Analysis::Unparsable {
            offset: at,
            message,
        } => report.note(
            rules::MALFORMED,
            Severity::Error,
            format!(
                "{label} does not parse as Jinja at {}: {message}",
                place(at)
            ),
            offset(at),
        ),
        Analysis::TooLarge { bytes } => oversized(label, bytes as u64, offset(0), report),
        Analysis::TooComplex { offset: at, why } => report.note(
            rules::SUSPICIOUS_TEMPLATE,
            Severity::Error,
            format!(
                "{label} has {why} at {}: it was not checked for sandbox escapes",
                place(at)
            ),
            offset(at),
        ),
    }
}

fn listing(items: &[&Concern], place: &impl Fn(usize) -> String) -> String {
    let mut out = String::new();
    for (i, c) in items.iter().take(LISTED).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{} ({})", c.what, place(c.offset));
    }
    if items.len() > LISTED {
        let _ = write!(out, " and {} more", items.len() - LISTED);
    }
    out
}

#[cfg(test)]
mod tests;
