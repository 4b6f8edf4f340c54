//! Declared text checked before it reaches a field the schema constrains: licence ids, versions,
//! digests, e-mail addresses and URLs.

use serde_json::{Value, json};

/// The licence ids of the SPDX list the `CycloneDX` 1.6 and 1.7 schemas accept in `license.id`.
const LICENCE_IDS: &str = include_str!("licence-ids.txt");

/// The schema's `maxLength` of a component's `version`.
const VERSION_MAX: usize = 1024;

/// A licence choice for a declared SPDX expression: a listed id as `license.id`, another valid
/// expression (`LicenseRef-...`, `AND`, `OR`, `WITH`) as `expression`, any other text as a
/// licence `name`, which no consumer mistakes for an identifier.
pub(super) fn licenses(spdx_text: &str) -> Option<Value> {
    let text = spdx_text.trim();
    if text.is_empty() {
        return None;
    }
    if LICENCE_IDS.lines().any(|id| id == text) {
        return Some(json!([{"license": {"id": text}}]));
    }
    if spdx::Expression::parse(text).is_ok() {
        return Some(json!([{"expression": text}]));
    }
    Some(json!([{"license": {"name": text}}]))
}

/// A version the schema accepts (at most 1024 characters).
pub(super) fn version(v: &str) -> Option<&str> {
    (v.chars().count() <= VERSION_MAX).then_some(v)
}

/// A lowercase SHA-256 digest, with or without its `sha256:` prefix.
pub(super) fn sha256(text: &str) -> Option<String> {
    let hex = text.strip_prefix("sha256:").unwrap_or(text);
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

/// An e-mail address the schema's `idn-email` takes: one `@` between two non-empty parts,
/// no spaces or control characters.
pub(super) fn email(text: &str) -> Option<&str> {
    let (local, domain) = text.split_once('@')?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(text)
}

/// A reference to a document: an absolute URL, or a path inside the release (percent-encoded
/// into a relative reference).
pub(super) fn reference(text: &str) -> Option<String> {
    if let Some(u) = url(text) {
        return Some(u.to_owned());
    }
    let path = text.trim_start_matches("./");
    let safe = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains(':')
        && !path.split('/').any(|s| s == "..");
    safe.then(|| crate::report::sarif::uri(path))
}

/// An absolute URI (RFC 3986, ASCII): a scheme, then an optional authority, a path, a query
/// and a fragment made only of the characters each part allows. Anything else (spaces,
/// newlines, brackets, a stray `%`, a port that is not a number) is refused, so a declared
/// value never makes the schema's `iri-reference` check fail.
pub(super) fn url(text: &str) -> Option<&str> {
    let (scheme, rest) = text.split_once(':')?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok || rest.is_empty() || !percent_ok(rest) {
        return None;
    }
    let (before_fragment, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (hier, query) = before_fragment
        .split_once('?')
        .unwrap_or((before_fragment, ""));
    let tail = |c: char| pchar(c) || c == '/' || c == '?';
    if !fragment.chars().all(tail) || !query.chars().all(tail) {
        return None;
    }
    let path = match hier.strip_prefix("//") {
        Some(after) => {
            let end = after.find('/').unwrap_or(after.len());
            let (authority, path) = after.split_at(end);
            let host_port = match authority.rsplit_once('@') {
                Some((user, host)) => {
                    if !user
                        .chars()
                        .all(|c| unreserved(c) || sub_delim(c) || c == ':' || c == '%')
                    {
                        return None;
                    }
                    host
                }
                None => authority,
            };
            let (host, port) = host_port.rsplit_once(':').unwrap_or((host_port, ""));
            let host_ok = host
                .chars()
                .all(|c| unreserved(c) || sub_delim(c) || c == '%');
            if !host_ok || !port.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            path
        }
        None => hier,
    };
    path.chars().all(|c| pchar(c) || c == '/').then_some(text)
}

fn unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~".contains(c)
}

fn sub_delim(c: char) -> bool {
    "!$&'()*+,;=".contains(c)
}

fn pchar(c: char) -> bool {
    unreserved(c) || sub_delim(c) || c == ':' || c == '@' || c == '%'
}

/// Every `%` starts a two-digit hex escape.
fn percent_ok(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().enumerate().all(|(i, &c)| {
        c != b'%'
            || (b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_uris_of_allowed_characters_are_urls() {
        for ok in [
            "https://example.org/a/b?c=d#e",
            "https://user:pw@example.org:8443/x%20y",
            "mailto:a@example.org",
            "urn:uuid:1234",
        ] {
            assert_eq!(url(ok), Some(ok), "{ok}");
        }
        for bad in [
            "not a url",
            "https://exa mple.org/",
            "https://example.org/\nsecond line",
            "https://example.org/%zz",
            "https://example.org:port/",
            "https://[::1]/",
            "https://example.org/<script>",
            "https://exemple.fr/é",
            "docs/relative.md",
            "1http://x",
            "https:",
        ] {
            assert_eq!(url(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn licences_are_ids_expressions_or_names() {
        assert_eq!(
            licenses("Apache-2.0"),
            Some(json!([{"license": {"id": "Apache-2.0"}}]))
        );
        assert_eq!(
            licenses("MIT OR Apache-2.0"),
            Some(json!([{"expression": "MIT OR Apache-2.0"}]))
        );
        assert_eq!(
            licenses("LicenseRef-Petit-Labo"),
            Some(json!([{"expression": "LicenseRef-Petit-Labo"}]))
        );
        assert_eq!(
            licenses("our own\nterms"),
            Some(json!([{"license": {"name": "our own\nterms"}}]))
        );
        assert_eq!(licenses("  "), None);
    }

    #[test]
    fn the_licence_ids_are_those_of_the_vendored_schema() {
        let schema: Value = serde_json::from_str(include_str!(
            "../../../tests/schemas/cyclonedx/spdx.schema.json"
        ))
        .unwrap();
        let listed: Vec<&str> = schema["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(LICENCE_IDS.lines().collect::<Vec<_>>(), listed);
    }

    #[test]
    fn paths_become_relative_references() {
        assert_eq!(
            crate::report::sarif::uri("my bundle.json"),
            "my%20bundle.json"
        );
        assert_eq!(reference("./docs/a b.md").as_deref(), Some("docs/a%20b.md"));
        assert_eq!(reference("../outside"), None);
        assert_eq!(reference("/etc/passwd"), None);
        assert_eq!(sha256("sha256:AB").as_deref(), None);
        assert_eq!(email("a @b"), None);
        assert_eq!(email("a@b"), Some("a@b"));
    }
}
