//! A document as Markdown (`CommonMark` with GitHub tables): a title, the release it describes, one
//! heading per numbered section in the template's order, each item as a labelled line, and at
//! the end where each value comes from. Text from the declaration is escaped, so a declared
//! value cannot add headings, links or HTML to the document.

use std::fmt::Write as _;

use super::{Document, Section, Source, Value};

/// The document as Markdown.
pub fn markdown(doc: &Document) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", escape(&doc.title));
    let r = &doc.release;
    let version = r
        .version
        .as_deref()
        .map_or(String::new(), |v| format!(" {}", escape(v)));
    let _ = writeln!(out, "- Release: {}{version}", escape(&r.name));
    if let Some(p) = &r.provider {
        let _ = writeln!(out, "- Provider: {}", escape(p));
    }
    let _ = writeln!(
        out,
        "- Root digest: {}",
        r.root
            .as_deref()
            .map_or("none".to_owned(), |d| format!("`sha256:{d}`"))
    );
    let signer = match (&r.signer, r.verified) {
        (Some(s), true) => format!("verified, signed by {}", s.describe_with(&code)),
        _ => format!(
            "not verified{}",
            r.problem
                .as_deref()
                .map_or(String::new(), |p| format!(" ({})", escape(p)))
        ),
    };
    let _ = writeln!(out, "- Signature: {signer}");
    if let Some(a) = doc.audience {
        let _ = writeln!(out, "- Audience: {}", audience_name(a));
    }
    let _ = writeln!(out, "- Generated: {} by {}", doc.generated, doc.generator);
    let _ = writeln!(out, "\n> {}", doc.basis);
    let mut sources: Vec<(String, Vec<Source>)> = Vec::new();
    for section in &doc.sections {
        render_section(&mut out, section, 2, None, &mut sources);
    }
    if !sources.is_empty() {
        out.push_str("\n## Where each value comes from\n\n");
        out.push_str("| Item | Source |\n|---|---|\n");
        for (label, from) in &sources {
            let text = from.iter().map(source_text).collect::<Vec<_>>().join("; ");
            let _ = writeln!(out, "| {} | {} |", cell(label), text.replace('|', "\\|"));
        }
    }
    out
}

fn audience_name(a: super::Audience) -> &'static str {
    match a {
        super::Audience::Downstream => "downstream providers",
        super::Audience::AiOffice => "the AI Office",
        super::Audience::Authority => "national competent authorities",
    }
}

/// `parent` names the enclosing numbered section, so that the items of an unnumbered
/// subsection (the modalities of a template's §1.3) are told apart in the list of sources.
fn render_section(
    out: &mut String,
    s: &Section,
    level: usize,
    parent: Option<&str>,
    sources: &mut Vec<(String, Vec<Source>)>,
) {
    let place = match (&s.number, parent) {
        (Some(n), _) => Some(n.clone()),
        (None, Some(p)) => Some(format!("{p} {}:", s.title)),
        (None, None) => None,
    };
    let hashes = "#".repeat(level.min(6));
    let number = s
        .number
        .as_deref()
        .map_or(String::new(), |n| format!("{n} "));
    let _ = writeln!(out, "\n{hashes} {number}{}\n", escape(&s.title));
    if let Some(note) = &s.note {
        let _ = writeln!(out, "{}\n", escape(note));
    }
    for item in &s.items {
        match &item.value {
            Value::Table { columns, rows } => {
                // A table after a list item needs a blank line, or it continues the item.
                if !out.ends_with("\n\n") {
                    out.push('\n');
                }
                let _ = writeln!(
                    out,
                    "**{}**{}\n",
                    escape(&item.label),
                    marks(&item.audiences)
                );
                if rows.is_empty() {
                    out.push_str("none\n\n");
                } else {
                    let _ = writeln!(
                        out,
                        "| {} |",
                        columns
                            .iter()
                            .map(|c| cell(c))
                            .collect::<Vec<_>>()
                            .join(" | ")
                    );
                    let _ = writeln!(out, "|{}", "---|".repeat(columns.len()));
                    for row in rows {
                        let _ = writeln!(
                            out,
                            "| {} |",
                            row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
                        );
                    }
                    out.push('\n');
                }
            }
            Value::List { items } if items.len() > 1 => {
                let _ = writeln!(
                    out,
                    "- **{}**{}:",
                    escape(&item.label),
                    marks(&item.audiences)
                );
                for i in items {
                    let _ = writeln!(out, "  - {}", with_code(i));
                }
            }
            v => {
                let _ = writeln!(
                    out,
                    "- **{}**{}: {}",
                    escape(&item.label),
                    marks(&item.audiences),
                    value_text(v)
                );
            }
        }
        if !item.sources.is_empty() {
            let label = match &place {
                Some(p) => format!("{p} {}", item.label),
                None => item.label.clone(),
            };
            sources.push((label, item.sources.clone()));
        }
    }
    for sub in &s.sections {
        render_section(out, sub, level + 1, place.as_deref(), sources);
    }
}

/// The audiences an item is meant for, as the Model Documentation Form abbreviates them
/// (` [DP, AIO, NCA]`), or nothing.
fn marks(audiences: &[super::Audience]) -> String {
    if audiences.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = audiences
        .iter()
        .map(|a| match a {
            super::Audience::Downstream => "DP",
            super::Audience::AiOffice => "AIO",
            super::Audience::Authority => "NCA",
        })
        .collect();
    format!(" \\[{}\\]", names.join(", "))
}

/// A value on one line.
pub(crate) fn value_text(v: &Value) -> String {
    match v {
        Value::Text { text } => with_code(text),
        Value::Flag { yes: true } => "yes".to_owned(),
        Value::Flag { yes: false } => "no".to_owned(),
        Value::List { items } if items.is_empty() => "none".to_owned(),
        Value::List { items } => items
            .iter()
            .map(|i| with_code(i))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Table { rows, .. } => format!("{} rows", rows.len()),
        Value::NotDeclared { .. } => "*not declared*".to_owned(),
        Value::NotApplicable { reason } => format!("not applicable: {}", escape(reason)),
    }
}

/// Where a value comes from, in words.
pub(crate) fn source_text(s: &Source) -> String {
    match s {
        Source::Field { path } => format!("`scelle.yaml` field {}", code(path)),
        Source::File { path } => format!("sealed file {}", code(path)),
        Source::Computed { from } => format!("computed from {}", with_code(from)),
        Source::Verification => "verification of the bundle".to_owned(),
    }
}

/// Text with the characters that would start Markdown or HTML syntax escaped.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Text whose backquoted parts are code spans (as the builders write field names), the rest
/// escaped; an unpaired backquote is escaped with the text around it.
fn with_code(text: &str) -> String {
    super::code_parts(text)
        .into_iter()
        .map(|(is_code, part)| {
            if is_code && !part.is_empty() {
                code(part)
            } else {
                escape(part)
            }
        })
        .collect()
}

/// Text as a code span, or escaped when it holds a backquote or a line break.
fn code(text: &str) -> String {
    if text.contains(['`', '\n', '\r']) {
        escape(text)
    } else {
        format!("`{text}`")
    }
}

/// Text for a table cell: escaped, on one line.
fn cell(text: &str) -> String {
    escape(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computed_sources_keep_their_code_spans_and_escape_the_rest() {
        assert_eq!(
            with_code("the `size.tokens` of datasets [x](y)"),
            "the `size.tokens` of datasets \\[x\\](y)"
        );
        assert_eq!(with_code("odd ` quote <b>"), "odd \\` quote \\<b\\>");
    }

    #[test]
    fn signers_are_named_in_code_spans_that_a_name_cannot_break() {
        use crate::report::signer::samples::{certificate, facts, keyless};
        let s = super::super::Signer::of(&facts(&certificate())).unwrap();
        assert_eq!(
            s.describe_with(&code),
            "certificate `CN=Release signing,O=Example` issued by `CN=Example Issuing CA,O=Example`"
        );
        let s = super::super::Signer::of(&facts(&keyless())).unwrap();
        assert_eq!(
            s.describe_with(&code),
            "keyless identity `https://github.com/example/model/.github/workflows/release.yml@refs/tags/v1` \
             (OIDC issuer `https://token.actions.githubusercontent.com`)"
        );
        let mut v = facts(&certificate());
        v.identity = Some("CN=a` [x](http://e)\n# b".into());
        let s = super::super::Signer::of(&v).unwrap();
        assert!(
            s.describe_with(&code)
                .starts_with("certificate CN=a\\` \\[x\\](http://e) \\# b issued by"),
            "{}",
            s.describe_with(&code)
        );
    }

    #[test]
    fn declared_text_cannot_inject_markup() {
        let escaped = escape("# title\n<script>alert(1)</script> [x](http://e) | a");
        assert!(!escaped.contains('\n'));
        assert!(escaped.starts_with("\\#"));
        assert!(escaped.contains("\\<script\\>"));
        assert!(escaped.contains("\\[x\\]"));
        assert!(escaped.contains("\\|"));
    }
}
