//! `scelle diff` rendered: a human table (plain text, no colour needed), the JSON form
//! (`docs/diff.md`, with `schema_version`; keys in a fixed order) and Markdown for a release
//! note or a pull request. Everything a release carries (paths, ids, declared values) is
//! escaped where people read it: a terminal in the table, Markdown's table syntax in Markdown.

use std::fmt::Write as _;

use serde_json::Value;

use crate::diff::{
    Change, DeclaredDataset, Diff, ModelSummary, RuleState, SealedDataset, Side, SignedBy,
    SignerChange,
};
use crate::report::human_bytes;
use crate::report::table::push_wrapped;
use crate::text::{escape, thousands};

/// The longest declared value the table and Markdown show; JSON has it whole.
const VALUE_WIDTH: usize = 80;

/// The JSON form.
pub fn json(diff: &Diff) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(diff).unwrap_or_default();
    out.push(b'\n');
    out
}

/// A value in one line, cut at [`VALUE_WIDTH`] characters.
fn value(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > VALUE_WIDTH {
        let cut: String = text.chars().take(VALUE_WIDTH - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn opt_value(v: Option<&Value>) -> String {
    v.map_or_else(|| "-".to_owned(), value)
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

fn side_line(side: &Side) -> String {
    let r = &side.release;
    let mut line = format!("{} `{}`", r.kind, r.name);
    if let Some(model) = &r.model {
        let _ = write!(line, ", {model}");
    }
    let _ = write!(line, ", {} files", r.files);
    if let Some(root) = &r.root {
        let _ = write!(line, ", root sha256:{root}");
    }
    line
}

fn verification_line(side: &Side) -> String {
    let v = &side.verification;
    if v.verified {
        let files = match v.files_match {
            Some(true) => ", files match",
            Some(false) => ", files DO NOT match",
            None => "",
        };
        let by = match v.method.as_deref() {
            Some("certificate" | "keyless") => super::signer::signed_by(v),
            _ => None,
        }
        .unwrap_or_else(|| format!("key {}", v.key_id.as_deref().unwrap_or("?")));
        format!("verified, {by}{files}")
    } else if let Some(problem) = &v.problem {
        format!("NOT verified: {problem}")
    } else if v.input == "folder" {
        "not signed: the folder was scanned now".to_owned()
    } else {
        "not verified: an unsigned manifest".to_owned()
    }
}

/// What changed about who signed, one clause per field that differs: a release signed by
/// someone else is something an auditor must see even when every file is the same.
fn signer_change_line(c: &SignerChange, arrow: &str) -> String {
    let issuer = |s: &SignedBy| s.issuer.clone().unwrap_or_else(|| "none".to_owned());
    let clauses: Vec<String> = c
        .changed
        .iter()
        .map(|field| match *field {
            "method" => format!("method {}{arrow}{}", c.old.method, c.new.method),
            "identity" => format!("identity `{}`{arrow}`{}`", c.old.identity, c.new.identity),
            _ => format!("issuer `{}`{arrow}`{}`", issuer(&c.old), issuer(&c.new)),
        })
        .collect();
    format!("the signer changed: {}", clauses.join("; "))
}

fn state(s: Option<&RuleState>) -> String {
    s.map_or_else(
        || "-".to_owned(),
        |s| {
            let outcome = serde_json::to_value(s.outcome)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            format!("{outcome} ({})", s.severity.as_str())
        },
    )
}

fn model_rows(
    old: Option<&ModelSummary>,
    new: Option<&ModelSummary>,
) -> Vec<(&'static str, String, String)> {
    let params = |m: Option<&ModelSummary>| {
        m.and_then(|m| m.parameter_count)
            .map_or_else(|| "-".to_owned(), thousands)
    };
    let dtypes = |m: Option<&ModelSummary>| {
        m.filter(|m| !m.dtypes.is_empty()).map_or_else(
            || "-".to_owned(),
            |m| {
                m.dtypes
                    .iter()
                    .map(|(k, v)| format!("{k} {}", thousands(*v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        )
    };
    let architecture = |m: Option<&ModelSummary>| {
        m.and_then(|m| m.architecture.as_ref())
            .map_or_else(|| "-".to_owned(), architecture_text)
    };
    let formats = |m: Option<&ModelSummary>| {
        m.filter(|m| !m.formats.is_empty())
            .map_or_else(|| "-".to_owned(), |m| m.formats.join(", "))
    };
    let weights = |m: Option<&ModelSummary>| {
        m.and_then(|m| m.weights_bytes)
            .map_or_else(|| "-".to_owned(), human_bytes)
    };
    vec![
        ("parameters", params(old), params(new)),
        ("dtypes", dtypes(old), dtypes(new)),
        ("architecture", architecture(old), architecture(new)),
        ("formats", formats(old), formats(new)),
        ("weights", weights(old), weights(new)),
    ]
}

/// The scanned architecture in a few words (`LlamaForCausalLM (llama), 2 layers, hidden size
/// 64`); anything else as its JSON, cut.
fn architecture_text(v: &Value) -> String {
    let text = |k: &str| v.get(k).and_then(Value::as_str);
    let num = |k: &str| v.get(k).and_then(Value::as_u64);
    let class = v
        .get("architectures")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .filter(|a| !a.is_empty());
    let mut parts = Vec::new();
    match (class, text("model_type")) {
        (Some(c), Some(t)) => parts.push(format!("{c} ({t})")),
        (Some(c), None) => parts.push(c),
        (None, Some(t)) => parts.push(t.to_owned()),
        (None, None) => return value(v),
    }
    if let Some(n) = num("layers") {
        parts.push(format!("{n} layers"));
    }
    if let Some(n) = num("hidden_size") {
        parts.push(format!("hidden size {n}"));
    }
    parts.join(", ")
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn files_text(n: usize) -> String {
    plural(n, "file")
}

fn size_text(v: Option<&Value>) -> String {
    v.map_or_else(|| "-".to_owned(), value)
}

fn declared_line(d: &DeclaredDataset) -> String {
    let role = d.role.as_deref().unwrap_or("no role");
    let mut line = format!("`{}` ({role})", d.id);
    match d.change {
        Change::Added => {
            let _ = write!(line, " added, size {}", size_text(d.new_size.as_ref()));
        }
        Change::Removed => {
            let _ = write!(
                line,
                " removed, size was {}",
                size_text(d.old_size.as_ref())
            );
        }
        Change::Changed => {
            line.push_str(" changed");
            if d.old_size != d.new_size {
                let _ = write!(
                    line,
                    ", size {} -> {}",
                    size_text(d.old_size.as_ref()),
                    size_text(d.new_size.as_ref())
                );
            }
            let others: Vec<&str> = d
                .fields
                .iter()
                .map(String::as_str)
                .filter(|f| *f != "size")
                .collect();
            if !others.is_empty() {
                let _ = write!(line, ", fields {}", others.join(", "));
            }
        }
    }
    if d.files_changed || d.old_files.is_some() || d.new_files.is_some() {
        let set = |s: Option<crate::diff::FileSet>| {
            s.map_or_else(
                || "-".to_owned(),
                |s| format!("{}, {}", files_text(s.files), human_bytes(s.bytes)),
            )
        };
        if d.change != Change::Changed {
            let _ = write!(line, "; sealed: {}", set(d.new_files.or(d.old_files)));
        } else if d.files_changed {
            let _ = write!(
                line,
                "; sealed files {} -> {}",
                set(d.old_files),
                set(d.new_files)
            );
        } else {
            let _ = write!(line, "; sealed files unchanged ({})", set(d.new_files));
        }
    }
    line
}

fn sealed_text(v: Option<&Value>) -> String {
    let Some(v) = v else {
        return "-".to_owned();
    };
    let num = |k: &str| v.get(k).and_then(Value::as_u64);
    let mut parts = Vec::new();
    if let Some(n) = num("files") {
        parts.push(files_text(usize::try_from(n).unwrap_or(usize::MAX)));
    }
    if let Some(n) = num("bytes") {
        parts.push(human_bytes(n));
    }
    if let Some(n) = num("records") {
        parts.push(format!("{} records", thousands(n)));
    }
    if parts.is_empty() {
        value(v)
    } else {
        parts.join(", ")
    }
}

fn sealed_line(d: &SealedDataset) -> String {
    match d.change {
        Change::Added => format!("`{}` added: {}", d.path, sealed_text(d.new.as_ref())),
        Change::Removed => format!("`{}` removed: was {}", d.path, sealed_text(d.old.as_ref())),
        Change::Changed => format!(
            "`{}`: {} -> {}",
            d.path,
            sealed_text(d.old.as_ref()),
            sealed_text(d.new.as_ref())
        ),
    }
}

fn field_line(f: &crate::diff::FieldChange) -> String {
    match f.change {
        Change::Added => format!("+ {} = {}", f.path, opt_value(f.new.as_ref())),
        Change::Removed => format!("- {} (was {})", f.path, opt_value(f.old.as_ref())),
        Change::Changed => format!(
            "~ {}: {} -> {}",
            f.path,
            opt_value(f.old.as_ref()),
            opt_value(f.new.as_ref())
        ),
    }
}

/// One line of the table, escaped for a terminal.
fn line(out: &mut String, text: &str) {
    out.push_str(&escape(text));
    out.push('\n');
}

/// The human table.
pub fn table(diff: &Diff, width: usize) -> String {
    let mut out = String::new();
    table_head(&mut out, diff, width);
    table_files(&mut out, diff);
    table_details(&mut out, diff);
    line(&mut out, diff.disclaimer);
    out
}

/// The two releases and what the law asks.
fn table_head(out: &mut String, diff: &Diff, width: usize) {
    line(out, &format!("scelle diff, as of {}", diff.as_of));
    line(out, &format!("  old: {}", side_line(&diff.old)));
    line(out, &format!("       {}", verification_line(&diff.old)));
    line(out, &format!("  new: {}", side_line(&diff.new)));
    line(out, &format!("       {}", verification_line(&diff.new)));
    if let Some(c) = &diff.signer {
        push_wrapped(
            out,
            "  ! ",
            4,
            &escape(&signer_change_line(c, " -> ")),
            6,
            width,
        );
    }
    out.push('\n');
    let s = &diff.summary;
    if s.identical {
        line(
            out,
            "No differences: same files, declaration, model and pack results",
        );
        out.push('\n');
    }
    line(out, "What the law asks");
    if diff.conclusions.is_empty() {
        line(
            out,
            "  nothing new: no change to the training data, the weights, the model or its declared fields",
        );
    }
    for c in &diff.conclusions {
        line(out, &format!("  ! {}", c.title));
        for why in &c.because {
            push_wrapped(out, "      because ", 14, &escape(why), 14, width);
        }
        push_wrapped(out, "      basis: ", 13, c.basis, 13, width);
    }
    out.push('\n');
}

/// One changed file as both human formats show it.
struct FileRow<'a> {
    change: &'static str,
    /// The path, or `from -> to` for a rename (the arrow given by the format).
    paths: Vec<&'a str>,
    kind: Option<&'a str>,
    sizes: Vec<u64>,
    digests: Vec<&'a str>,
}

fn file_rows(f: &crate::diff::Files) -> Vec<FileRow<'_>> {
    let mut rows = Vec::new();
    for (change, list) in [("added", &f.added), ("removed", &f.removed)] {
        rows.extend(list.iter().map(|e| FileRow {
            change,
            paths: vec![&e.path],
            kind: e.kind,
            sizes: vec![e.size],
            digests: vec![short(&e.sha256)],
        }));
    }
    rows.extend(f.modified.iter().map(|m| FileRow {
        change: "modified",
        paths: vec![&m.path],
        kind: m.kind,
        sizes: vec![m.old_size, m.new_size],
        digests: vec![short(&m.old_sha256), short(&m.new_sha256)],
    }));
    rows.extend(f.renamed.iter().map(|r| FileRow {
        change: "renamed",
        paths: vec![&r.from, &r.to],
        kind: r.kind,
        sizes: vec![r.size],
        digests: vec![short(&r.sha256)],
    }));
    rows
}

fn joined<T: std::fmt::Display>(items: &[T], arrow: &str) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(arrow)
}

fn table_files(out: &mut String, diff: &Diff) {
    let s = &diff.summary;
    line(
        out,
        &format!(
            "Files: {} added, {} removed, {} modified, {} renamed, {} unchanged",
            s.files_added, s.files_removed, s.files_modified, s.files_renamed, s.files_unchanged
        ),
    );
    for row in file_rows(&diff.files) {
        let sign = match row.change {
            "added" => '+',
            "removed" => '-',
            "modified" => '~',
            _ => '>',
        };
        let kind = row.kind.map(|k| format!("{k}, ")).unwrap_or_default();
        let sizes: Vec<String> = row.sizes.iter().map(|b| human_bytes(*b)).collect();
        line(
            out,
            &format!(
                "  {sign} {}  ({kind}{}, sha256 {})",
                joined(&row.paths, " -> "),
                joined(&sizes, " -> "),
                joined(&row.digests, " -> ")
            ),
        );
    }
    out.push('\n');
}

/// The model, the datasets, the declared fields and the pack results.
fn table_details(out: &mut String, diff: &Diff) {
    let changed = if diff.model.changed.is_empty() {
        "unchanged".to_owned()
    } else {
        format!("changed: {}", diff.model.changed.join(", "))
    };
    line(out, &format!("Model (scanned): {changed}"));
    for (name, old, new) in model_rows(diff.model.old.as_ref(), diff.model.new.as_ref()) {
        if old == new {
            line(out, &format!("  {name:<13} {old}"));
        } else {
            line(out, &format!("  {name:<13} {old} -> {new}"));
        }
    }
    out.push('\n');
    let d = &diff.datasets;
    line(
        out,
        &format!(
            "Datasets changed: {} declared, {} scanned folders",
            d.declared.len(),
            d.sealed.len()
        ),
    );
    for x in &d.declared {
        line(out, &format!("  {}", declared_line(x)));
    }
    for x in &d.sealed {
        line(out, &format!("  sealed {}", sealed_line(x)));
    }
    out.push('\n');
    line(
        out,
        &format!("Declared fields: {} changed", diff.fields.len()),
    );
    for x in &diff.fields {
        line(out, &format!("  {}", field_line(x)));
    }
    out.push('\n');
    line(
        out,
        &format!("Pack results: {} changed", plural(diff.rules.len(), "rule")),
    );
    for r in &diff.rules {
        line(
            out,
            &format!(
                "  {} {}: {} -> {}  ({})",
                r.pack,
                r.rule,
                state(r.old.as_ref()),
                state(r.new.as_ref()),
                r.title
            ),
        );
    }
    out.push('\n');
}

/// Text made literal in Markdown: control characters written as escapes (the file may be read
/// in a terminal), the characters that format, link or end a table cell escaped.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in escape(s).chars() {
        match c {
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Markdown, for a release note or a pull request.
pub fn markdown(diff: &Diff) -> String {
    let mut out = String::new();
    markdown_head(&mut out, diff);
    markdown_files(&mut out, diff);
    markdown_details(&mut out, diff);
    let _ = writeln!(out, "*{}*", diff.disclaimer);
    out
}

/// The two releases and what the law asks.
fn markdown_head(out: &mut String, diff: &Diff) {
    let _ = writeln!(
        out,
        "# scelle diff: {} → {}\n",
        md(&diff.old.release.name),
        md(&diff.new.release.name)
    );
    let _ = writeln!(out, "As of {}.\n", diff.as_of);
    let _ = writeln!(out, "| | Release | Verification |\n|---|---|---|");
    for (label, side) in [("Old", &diff.old), ("New", &diff.new)] {
        let _ = writeln!(
            out,
            "| {label} | {} | {} |",
            md(&side_line(side)),
            md(&verification_line(side))
        );
    }
    out.push('\n');
    if let Some(c) = &diff.signer {
        let _ = writeln!(out, "**{}**\n", md(&signer_change_line(c, " → ")));
    }
    if diff.summary.identical {
        out.push_str("**No differences**: same files, declaration, model and pack results.\n\n");
    }
    out.push_str("## What the law asks\n\n");
    if diff.conclusions.is_empty() {
        out.push_str("Nothing new: no change to the training data, the weights, the model or its declared fields.\n\n");
    }
    for c in &diff.conclusions {
        let _ = writeln!(out, "- **{}** ({})", c.title, md(c.basis));
        for why in &c.because {
            let _ = writeln!(out, "  - {}", md(why));
        }
    }
    if !diff.conclusions.is_empty() {
        out.push('\n');
    }
}

fn markdown_files(out: &mut String, diff: &Diff) {
    let s = &diff.summary;
    let _ = writeln!(
        out,
        "## Files\n\n{} added, {} removed, {} modified, {} renamed, {} unchanged.\n",
        s.files_added, s.files_removed, s.files_modified, s.files_renamed, s.files_unchanged
    );
    if !diff.files.is_empty() {
        out.push_str("| Change | Path | Kind | Size | SHA-256 |\n|---|---|---|---|---|\n");
        for row in file_rows(&diff.files) {
            let paths: Vec<String> = row.paths.iter().map(|p| md(p)).collect();
            let sizes: Vec<String> = row.sizes.iter().map(|b| human_bytes(*b)).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                row.change,
                joined(&paths, " → "),
                row.kind.unwrap_or("-"),
                joined(&sizes, " → "),
                joined(&row.digests, " → ")
            );
        }
        out.push('\n');
    }
}

/// The model, the datasets, the declared fields and the pack results.
fn markdown_details(out: &mut String, diff: &Diff) {
    out.push_str("## Model (scanned)\n\n| | Old | New |\n|---|---|---|\n");
    for (name, old, new) in model_rows(diff.model.old.as_ref(), diff.model.new.as_ref()) {
        let _ = writeln!(out, "| {name} | {} | {} |", md(&old), md(&new));
    }
    out.push('\n');
    out.push_str("## Datasets\n\n");
    let d = &diff.datasets;
    if d.declared.is_empty() && d.sealed.is_empty() {
        out.push_str("No dataset changed.\n\n");
    } else {
        for x in &d.declared {
            let _ = writeln!(out, "- declared {}", md(&declared_line(x)));
        }
        for x in &d.sealed {
            let _ = writeln!(out, "- sealed {}", md(&sealed_line(x)));
        }
        out.push('\n');
    }
    out.push_str("## Declared fields\n\n");
    if diff.fields.is_empty() {
        out.push_str("No declared field changed.\n\n");
    } else {
        out.push_str("| Field | Change | Old | New |\n|---|---|---|---|\n");
        for x in &diff.fields {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                md(&x.path),
                x.change.as_str(),
                md(&opt_value(x.old.as_ref())),
                md(&opt_value(x.new.as_ref()))
            );
        }
        out.push('\n');
    }
    out.push_str("## Pack results\n\n");
    if diff.rules.is_empty() {
        out.push_str("No rule's result changed.\n\n");
    } else {
        out.push_str("| Pack | Rule | Title | Old | New |\n|---|---|---|---|---|\n");
        for r in &diff.rules {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                md(&r.pack),
                md(&r.rule),
                md(&r.title),
                state(r.old.as_ref()),
                state(r.new.as_ref())
            );
        }
        out.push('\n');
    }
}
