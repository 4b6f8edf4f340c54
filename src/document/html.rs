//! A document as one self-contained HTML5 page: the page an auditor files. Everything it needs is
//! in the file (inline CSS, no script, no font, image or link that loads anything), so it reads
//! the same offline, years later, and prints on A4 with table headers repeated on each page.
//!
//! Every text in the page comes through [`escape`], in element and attribute context alike, and
//! the page forbids scripts and loads by its own Content Security Policy: a declared value such
//! as `</style><script>` or `javascript:` is shown as the text it is. The document never makes a
//! link of a declared URL. Output is a pure function of the [`Document`], so it is deterministic.

use std::fmt::Write as _;

use super::{Audience, Document, Section, Source, Value};

/// The page's style: A4 pages, nothing that depends on colour to be read (outcomes and "not
/// declared" are words; colour only adds to them), system fonts only.
const STYLE: &str = "\
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
:root { color-scheme: light; }
html { font-family: system-ui, -apple-system, \"Segoe UI\", Roboto, \"DejaVu Sans\", sans-serif; \
font-size: 10.5pt; line-height: 1.4; color: #111; background: #fff; }
body { max-width: 190mm; margin: 0 auto; padding: 8mm 4mm; }
h1 { font-size: 1.6em; margin: 0 0 0.4em; }
h2 { font-size: 1.25em; margin: 1.4em 0 0.4em; border-bottom: 1.5pt solid #111; }
h3 { font-size: 1.1em; margin: 1.1em 0 0.3em; }
h4, h5, h6 { font-size: 1em; margin: 0.9em 0 0.3em; }
h2, h3, h4, h5, h6 { break-after: avoid; page-break-after: avoid; }
.num { font-variant-numeric: tabular-nums; margin-right: 0.4em; }
code, .digest { font-family: \"DejaVu Sans Mono\", Menlo, Consolas, monospace; font-size: 0.92em; }
.digest, td, dd { overflow-wrap: anywhere; }
header.release { border: 1pt solid #111; padding: 0.6em 0.8em; margin-bottom: 1em; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.15em 1em; margin: 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.basis { font-style: italic; border-left: 3pt solid #111; padding-left: 0.6em; margin: 0.8em 0 0; }
.verified { font-weight: 700; }
.unverified { font-weight: 700; text-decoration: underline; }
.note { margin: 0.3em 0 0.6em; }
.item { break-inside: avoid; page-break-inside: avoid; margin: 0.25em 0; }
.item > .label { font-weight: 600; }
.item ul { margin: 0.2em 0 0.2em 1.2em; padding: 0; }
.not-declared { font-style: italic; font-weight: 700; border: 1pt dashed #111; padding: 0 0.3em; \
background: #fff3c4; }
.not-applicable { font-style: italic; }
figure.item { margin: 0.6em 0; }
figure.item figcaption { font-weight: 600; margin-bottom: 0.2em; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 0.75pt solid #555; padding: 0.2em 0.35em; text-align: left; vertical-align: top; }
th { background: #e8e8e8; }
td:first-child { min-width: 7.5em; }
footer { margin-top: 2em; font-size: 0.85em; border-top: 0.75pt solid #555; padding-top: 0.4em; }
@media print {
  body { max-width: none; padding: 0; }
  th { background: none; }
  .not-declared { background: none; }
}
";

/// The document as one HTML5 page.
pub fn html(doc: &Document) -> String {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str("<!DOCTYPE html>\n");
    let _ = writeln!(
        out,
        "<html lang=\"en\" data-kind=\"{}\">",
        escape(doc.kind.as_str())
    );
    out.push_str("<head>\n<meta charset=\"utf-8\">\n");
    // No script may run and nothing may load, whatever a declared value manages to say.
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n",
    );
    out.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        out,
        "<meta name=\"generator\" content=\"{}\">",
        escape(&doc.generator)
    );
    let _ = writeln!(
        out,
        "<title>{} \u{2014} {}</title>",
        escape(&doc.title),
        escape(&doc.release.name)
    );
    let _ = writeln!(out, "<style>\n{STYLE}</style>\n</head>\n<body>");
    header(&mut out, doc);
    out.push_str("<main>\n");
    let mut sources = Vec::new();
    for section in &doc.sections {
        render_section(&mut out, section, 2, &mut sources);
    }
    if !sources.is_empty() {
        out.push_str("<section class=\"sources\">\n<h2>Where each value comes from</h2>\n");
        out.push_str(
            "<table>\n<thead><tr><th scope=\"col\">Item</th><th scope=\"col\">Source</th></tr></thead>\n<tbody>\n",
        );
        for (label, from) in &sources {
            let text = from.iter().map(source_html).collect::<Vec<_>>().join("; ");
            let _ = writeln!(out, "<tr><td>{}</td><td>{text}</td></tr>", escape(label));
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }
    out.push_str("</main>\n");
    let _ = writeln!(
        out,
        "<footer><p>Generated on {} by {}. {}</p></footer>",
        escape(&doc.generated),
        escape(&doc.generator),
        with_code(doc.basis)
    );
    out.push_str("</body>\n</html>\n");
    out
}

/// The title and what the document is about: the release, how far it was verified, when.
fn header(out: &mut String, doc: &Document) {
    let r = &doc.release;
    out.push_str("<header class=\"release\">\n");
    let _ = writeln!(out, "<h1>{}</h1>", escape(&doc.title));
    out.push_str("<dl class=\"facts\">\n");
    let mut fact = |label: &str, html: &str| {
        let _ = writeln!(out, "<dt>{}</dt><dd>{html}</dd>", escape(label));
    };
    fact("Release", &escape(&r.name));
    if let Some(v) = &r.version {
        fact("Version", &escape(v));
    }
    if let Some(p) = &r.provider {
        fact("Provider", &escape(p));
    }
    let root = r.root.as_deref().map_or_else(
        || "none".to_owned(),
        |d| {
            format!(
                "<code class=\"digest\" id=\"root-digest\">sha256:{}</code>",
                escape(d)
            )
        },
    );
    fact("Root digest", &root);
    fact("Files", &r.files.to_string());
    fact("Input", &escape(&r.input));
    if let (Some(s), true) = (&r.signer, r.verified) {
        fact(
            "Signature",
            "<span class=\"verified\" id=\"signature\">verified</span>",
        );
        signer_facts(s, &mut fact);
        if let Some(a) = &s.algorithm {
            fact("Key algorithm", &escape(a));
        }
        if let Some(f) = &s.format {
            fact("Bundle format", &escape(f));
        }
    } else {
        let why = r
            .problem
            .as_deref()
            .map_or(String::new(), |p| format!(": {}", escape(p)));
        fact(
            "Signature",
            &format!("<span class=\"unverified\" id=\"signature\">not verified</span>{why}"),
        );
    }
    match r.files_match {
        Some(true) => fact(
            "Files on disk",
            "<span id=\"files-match\">all match the signed record</span>",
        ),
        Some(false) => fact(
            "Files on disk",
            "<span class=\"unverified\" id=\"files-match\">differ from the signed record</span>",
        ),
        None => {}
    }
    if let Some(a) = doc.audience {
        fact("Audience", audience_name(a));
    }
    fact("Generated", &escape(&doc.generated));
    fact("Generator", &escape(&doc.generator));
    out.push_str("</dl>\n");
    let _ = writeln!(out, "<p class=\"basis\">{}</p>", with_code(doc.basis));
    out.push_str("</header>\n");
}

fn audience_name(a: Audience) -> &'static str {
    match a {
        Audience::Downstream => "downstream providers",
        Audience::AiOffice => "the AI Office",
        Audience::Authority => "national competent authorities",
    }
}

fn render_section(
    out: &mut String,
    s: &Section,
    level: usize,
    sources: &mut Vec<(String, Vec<Source>)>,
) {
    let h = level.min(6);
    out.push_str("<section>\n");
    let number = s.number.as_deref().map_or(String::new(), |n| {
        format!("<span class=\"num\">{}</span>", escape(n))
    });
    let _ = writeln!(out, "<h{h}>{number}{}</h{h}>", escape(&s.title));
    if let Some(note) = &s.note {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(note));
    }
    for item in &s.items {
        match &item.value {
            Value::Table { columns, rows } => {
                out.push_str("<figure class=\"item table\">\n");
                let _ = writeln!(out, "<figcaption>{}</figcaption>", escape(&item.label));
                if rows.is_empty() {
                    out.push_str("<p>none</p>\n");
                } else {
                    table(out, columns, rows);
                }
                out.push_str("</figure>\n");
            }
            Value::List { items } if items.len() > 1 => {
                let _ = writeln!(
                    out,
                    "<div class=\"item\"><span class=\"label\">{}:</span>\n<ul>",
                    escape(&item.label)
                );
                for i in items {
                    let _ = writeln!(out, "<li>{}</li>", with_code(i));
                }
                out.push_str("</ul></div>\n");
            }
            v => {
                let _ = writeln!(
                    out,
                    "<p class=\"item\"><span class=\"label\">{}:</span> {}</p>",
                    escape(&item.label),
                    value_html(v)
                );
            }
        }
        if !item.sources.is_empty() {
            let label = match &s.number {
                Some(n) => format!("{n} {}", item.label),
                None => item.label.clone(),
            };
            sources.push((label, item.sources.clone()));
        }
    }
    for sub in &s.sections {
        render_section(out, sub, level + 1, sources);
    }
    out.push_str("</section>\n");
}

/// A table whose header row repeats on every printed page (`thead`).
fn table(out: &mut String, columns: &[String], rows: &[Vec<String>]) {
    out.push_str("<table>\n<thead><tr>");
    for c in columns {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(c));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for c in row {
            let _ = write!(out, "<td>{}</td>", escape(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// A value on one line, as HTML.
fn value_html(v: &Value) -> String {
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
        Value::NotDeclared { field } => format!(
            "<span class=\"not-declared\" title=\"{}\">not declared</span> (<code>{}</code>)",
            escape(&format!("`{field}` is not in scelle.yaml")),
            escape(field)
        ),
        Value::NotApplicable { reason } => format!(
            "<span class=\"not-applicable\">not applicable</span>: {}",
            escape(reason)
        ),
    }
}

/// Where a value comes from, as HTML.
fn source_html(s: &Source) -> String {
    match s {
        Source::Field { path } => format!(
            "<code>scelle.yaml</code> field <code>{}</code>",
            escape(path)
        ),
        Source::File { path } => format!("sealed file <code>{}</code>", escape(path)),
        Source::Computed { from } => format!("computed from {}", with_code(from)),
        Source::Verification => "verification of the bundle".to_owned(),
    }
}

/// Escaped text whose backquoted parts (field names, as the builders write them) are `<code>`;
/// with an unpaired backquote, all of it is plain escaped text.
fn with_code(text: &str) -> String {
    super::code_parts(text)
        .into_iter()
        .map(|(is_code, part)| {
            if is_code {
                format!("<code>{}</code>", escape(part))
            } else {
                escape(part)
            }
        })
        .collect()
}

/// Who signed, per method: the key id; the certificate's subject and issuer; the keyless
/// identity and OIDC issuer, with the log entry when there is one.
fn signer_facts(s: &super::Signer, fact: &mut dyn FnMut(&str, &str)) {
    let code = |id: &str, text: &str| format!("<code id=\"{id}\">{}</code>", escape(text));
    match s.method.as_str() {
        "certificate" => {
            fact("Signer certificate", &code("signer-subject", &s.identity));
            fact(
                "Certificate issuer",
                &code("signer-issuer", s.issuer.as_deref().unwrap_or("?")),
            );
        }
        "keyless" => {
            fact("Signer identity", &code("signer-identity", &s.identity));
            fact(
                "OIDC issuer",
                &code("signer-issuer", s.issuer.as_deref().unwrap_or("?")),
            );
            if let Some(i) = s.log_index {
                fact("Log index", &i.to_string());
            }
            if let Some(t) = &s.integrated_time {
                fact("Logged at", &escape(t));
            }
        }
        _ => fact(
            "Signer key",
            &format!(
                "<code class=\"digest\" id=\"signer-key\">{}</code>",
                escape(s.key_id.as_deref().unwrap_or(&s.identity))
            ),
        ),
    }
}

/// Text made safe in element content and in quoted attribute values: the five characters that
/// HTML gives meaning to become references, and control characters (which HTML forbids, NUL
/// among them) become U+FFFD, so no byte of a declared value is read as markup.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            '\r' => out.push('\n'),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{Described, Item, Kind, SCHEMA_VERSION, Section, Signer};
    use super::*;

    #[test]
    fn computed_sources_show_field_names_as_code_and_escape_the_rest() {
        assert_eq!(
            with_code("the `size.tokens` of `<b>` sets"),
            "the <code>size.tokens</code> of <code>&lt;b&gt;</code> sets"
        );
        assert_eq!(with_code("odd ` <i>"), "odd ` &lt;i&gt;");
    }

    const HOSTILE: &str = "</style><script>alert(1)</script>\"' onload=x javascript:alert(2) <img src=http://e/x> &amp;";

    fn doc(value: &str) -> Document {
        Document {
            schema_version: SCHEMA_VERSION,
            kind: Kind::Audit,
            title: value.to_owned(),
            audience: None,
            release: Described {
                name: value.to_owned(),
                version: Some(value.to_owned()),
                provider: Some(value.to_owned()),
                root: Some("ab".repeat(32)),
                files: 3,
                input: "folder".to_owned(),
                verified: true,
                signer: Some(Signer {
                    method: "key".to_owned(),
                    key_id: Some(value.to_owned()),
                    algorithm: Some("ed25519".to_owned()),
                    format: Some("scelle".to_owned()),
                    identity: value.to_owned(),
                    issuer: None,
                    log_index: None,
                    integrated_time: None,
                }),
                problem: None,
                files_match: Some(true),
            },
            generated: "2023-11-14".to_owned(),
            generator: "scelle test".to_owned(),
            basis: super::super::BASIS,
            sections: vec![
                Section::new(Some("1"), value)
                    .note(value)
                    .item(Item::new(value, Value::text(value)).from(Source::field(value)))
                    .item(Item::new(value, Value::list([value, value])))
                    .item(Item::new(
                        value,
                        Value::table(&["a", "b"], vec![vec![value.to_owned(), "x".to_owned()]]),
                    ))
                    .item(Item::new(
                        "missing",
                        Value::NotDeclared {
                            field: value.to_owned(),
                        },
                    ))
                    .section(Section::new(Some(value), value).item(
                        Item::new(value, Value::not_applicable(value)).from(Source::file(value)),
                    )),
            ],
            not_declared: vec![value.to_owned()],
        }
    }

    #[test]
    fn escape_replaces_every_markup_character() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("a\u{0}b\u{1b}c\r\nd"), "a\u{fffd}b\u{fffd}c\n\nd");
        assert_eq!(escape("plain text, ünïcode"), "plain text, ünïcode");
    }

    #[test]
    fn hostile_declared_values_stay_inert_text() {
        let page = html(&doc(HOSTILE));
        // The only markup is the renderer's own: every tag is one it writes, so no script,
        // image or attribute the value tried to add exists as markup.
        let allowed = [
            "!DOCTYPE",
            "html",
            "/html",
            "head",
            "/head",
            "meta",
            "title",
            "/title",
            "style",
            "/style",
            "body",
            "/body",
            "header",
            "/header",
            "h1",
            "/h1",
            "h2",
            "/h2",
            "h3",
            "/h3",
            "dl",
            "/dl",
            "dt",
            "/dt",
            "dd",
            "/dd",
            "code",
            "/code",
            "span",
            "/span",
            "p",
            "/p",
            "main",
            "/main",
            "section",
            "/section",
            "figure",
            "/figure",
            "figcaption",
            "/figcaption",
            "table",
            "/table",
            "thead",
            "/thead",
            "tbody",
            "/tbody",
            "tr",
            "/tr",
            "th",
            "/th",
            "td",
            "/td",
            "div",
            "/div",
            "ul",
            "/ul",
            "li",
            "/li",
            "footer",
            "/footer",
        ];
        for tag in page.split('<').skip(1) {
            let name: String = tag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '/' || *c == '!')
                .collect();
            assert!(allowed.contains(&name.as_str()), "unexpected tag <{name}");
        }
        assert!(!page.contains("href="));
        assert!(page.contains("&lt;img src=http://e/x&gt;"));
        // `</style>` appears once: the end of the page's own style element.
        assert_eq!(page.matches("</style>").count(), 1);
        // In attributes (the not-declared title) the quote cannot close the value.
        assert!(page.contains(
            "title=\"`&lt;/style&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39; onload=x"
        ));
        // The text is still all there, escaped, for the reader.
        assert!(page.contains("&lt;/style&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("javascript:alert(2)"));
        assert!(page.contains("&amp;amp;"));
    }

    #[test]
    fn page_is_self_contained_and_prints_on_a4() {
        let page = html(&doc("value"));
        assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\""));
        assert!(page.ends_with("</html>\n"));
        assert!(page.contains("@page { size: A4;"));
        assert!(page.contains("thead { display: table-header-group; }"));
        assert!(page.contains("default-src 'none'"));
        assert!(!page.contains("http://") && !page.contains("https://"));
        assert!(!page.contains("<link") && !page.contains("@font-face"));
    }

    #[test]
    fn header_sections_not_declared_and_sources_are_shown() {
        let page = html(&doc("value"));
        assert!(page.contains(&format!(
            "<code class=\"digest\" id=\"root-digest\">sha256:{}</code>",
            "ab".repeat(32)
        )));
        assert!(page.contains("<span class=\"verified\" id=\"signature\">verified</span>"));
        assert!(page.contains("<span id=\"files-match\">all match the signed record</span>"));
        assert!(page.contains("<h2><span class=\"num\">1</span>value</h2>"));
        assert!(page.contains("<h3><span class=\"num\">value</span>value</h3>"));
        assert!(page.contains("<span class=\"not-declared\""));
        assert!(page.contains(">not declared</span>"));
        assert!(page.contains("<h2>Where each value comes from</h2>"));
        assert!(page.contains(
            "<tr><td>1 value</td><td><code>scelle.yaml</code> field <code>value</code></td></tr>"
        ));
        assert!(page.contains(&with_code(super::super::BASIS)));
        assert!(
            page.contains("the evidence declared by the publisher in <code>scelle.yaml</code>")
        );
    }

    #[test]
    fn unverified_release_says_so_and_why() {
        let mut d = doc("value");
        d.release.verified = false;
        d.release.signer = None;
        d.release.problem = Some("no `--key` given".to_owned());
        d.release.files_match = None;
        let page = html(&d);
        assert!(page.contains(
            "<span class=\"unverified\" id=\"signature\">not verified</span>: no `--key` given"
        ));
        assert!(!page.contains("Signer key"));
        assert!(!page.contains("Files on disk"));
    }

    #[test]
    fn certificate_and_keyless_signers_are_named_and_escaped() {
        use crate::report::signer::samples::{certificate, facts, keyless};
        let mut d = doc("value");
        let mut v = facts(&certificate());
        v.identity = Some(HOSTILE.to_owned());
        d.release.signer = Signer::of(&v);
        let page = html(&d);
        assert!(page.contains(&format!(
            "<dt>Signer certificate</dt><dd><code id=\"signer-subject\">{}</code></dd>",
            escape(HOSTILE)
        )));
        assert!(page.contains(
            "<dt>Certificate issuer</dt><dd><code id=\"signer-issuer\">CN=Example Issuing CA,O=Example</code></dd>"
        ));
        assert!(!page.contains("<script>") && !page.contains("Signer key"));
        d.release.signer = Signer::of(&facts(&keyless()));
        let page = html(&d);
        for fact in [
            "<dt>Signer identity</dt><dd><code id=\"signer-identity\">https://github.com/example/model/.github/workflows/release.yml@refs/tags/v1</code></dd>",
            "<dt>OIDC issuer</dt><dd><code id=\"signer-issuer\">https://token.actions.githubusercontent.com</code></dd>",
            "<dt>Log index</dt><dd>123456</dd>",
            "<dt>Logged at</dt><dd>2026-05-01T12:00:00Z</dd>",
        ] {
            assert!(page.contains(fact), "{fact}");
        }
    }

    #[test]
    fn rendering_is_deterministic() {
        assert_eq!(html(&doc(HOSTILE)), html(&doc(HOSTILE)));
    }
}
