//! The per-domain size file of a crawl: the crawled domain names whose content was used for
//! training, each with the size of that content, from which the public summary lists the most
//! relevant ones (Template §2.3). A crawl dataset names it in `crawl.domain_sizes: {uri, sha256}`;
//! the file must be one of the release's sealed files, with the declared digest.
//!
//! Formats, told by the file name: `.csv` (comma), `.tsv` (tab), each line `domain,size` with an
//! optional `domain,size` header; `.jsonl`, each line `{"domain": "...", "size": N}`. A size is a
//! whole number (bytes or tokens, the crawl's `size_unit`). Parsing is strict: a malformed line,
//! a repeated domain or a name that is not a domain stops the report with the file and line,
//! because a ranking built on a half-read file would list the wrong domains.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::input::{self, InputError};
use crate::vocab::{RelPath, Sha256Digest};

/// The largest domain size file scelle reads (about ten million domains).
pub const MAX_FILE: u64 = 512 << 20;

/// A domain name is at most this long (RFC 1035).
const MAX_DOMAIN: usize = 253;

/// Why a domain size file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DomainSizesError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("`{field}` names `{uri}`, which is not a path inside the release")]
    NotInRelease { field: String, uri: String },
    #[error("`{field}` has no valid `sha256`")]
    NoDigest { field: String },
    #[error("`{path}` is not one of the release's sealed files")]
    NotSealed { path: String },
    #[error("`{path}` does not have the digest `{field}` declares (sha256 `{actual}`)")]
    Digest {
        path: String,
        field: String,
        actual: String,
    },
    #[error("`{path}` is not a `.csv`, `.tsv` or `.jsonl` file")]
    Format { path: String },
    #[error("`{path}` line {line}: {reason}")]
    Line {
        path: String,
        line: usize,
        reason: String,
    },
    #[error("the release's files are not at hand to read `{path}`")]
    NoFolder { path: String },
}

impl DomainSizesError {
    pub fn hint(&self) -> Option<String> {
        match self {
            DomainSizesError::Input(e) => e.hint(),
            DomainSizesError::Digest { .. } => {
                Some("put the file's sha256 in the declaration, then scan and sign again".into())
            }
            DomainSizesError::NotSealed { .. } => {
                Some("add the file to the release folder, then scan and sign again".into())
            }
            DomainSizesError::Line { .. } => Some(
                "each line is `domain,size` (CSV), `domain<TAB>size` (TSV) or {\"domain\": ..., \"size\": ...} (JSONL)"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// One crawled domain and the size of its content used for training.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainSize {
    pub domain: String,
    pub size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Tsv,
    Jsonl,
}

fn format_of(path: &str) -> Option<Format> {
    let ext = Path::new(path).extension()?;
    if ext.eq_ignore_ascii_case("csv") {
        Some(Format::Csv)
    } else if ext.eq_ignore_ascii_case("tsv") {
        Some(Format::Tsv)
    } else if ext.eq_ignore_ascii_case("jsonl") {
        Some(Format::Jsonl)
    } else {
        None
    }
}

/// Parses the file `path` (its name tells the format), every domain once.
pub fn parse(path: &str, bytes: &[u8]) -> Result<Vec<DomainSize>, DomainSizesError> {
    let format = format_of(path).ok_or_else(|| DomainSizesError::Format {
        path: path.to_owned(),
    })?;
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].split(|b| *b == b'\n').count();
        line_error(path, line, "not UTF-8 text")
    })?;
    let body = text.strip_suffix('\n').unwrap_or(text);
    let mut out: Vec<DomainSize> = Vec::new();
    let mut seen = std::collections::BTreeMap::new();
    if body.is_empty() {
        return Ok(out);
    }
    for (i, raw) in body.split('\n').enumerate() {
        let line = i + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let (domain, size) = match format {
            Format::Csv | Format::Tsv => {
                let sep = if format == Format::Csv { ',' } else { '\t' };
                // At most three pieces: a line of a million separators is refused without a
                // million-entry list.
                let fields: Vec<&str> = raw.splitn(3, sep).collect();
                if fields.len() != 2 {
                    let found = if fields.len() > 2 { "more" } else { "1" };
                    return Err(line_error(
                        path,
                        line,
                        &format!("expected 2 fields, found {found}"),
                    ));
                }
                if line == 1 && fields[0] == "domain" && fields[1] == "size" {
                    continue;
                }
                (fields[0].to_owned(), size_of(path, line, fields[1])?)
            }
            Format::Jsonl => jsonl_line(path, line, raw)?,
        };
        check_domain(path, line, &domain)?;
        if let Some(first) = seen.insert(domain.clone(), line) {
            return Err(line_error(
                path,
                line,
                &format!("`{domain}` is listed again (first on line {first})"),
            ));
        }
        out.push(DomainSize { domain, size });
    }
    Ok(out)
}

fn line_error(path: &str, line: usize, reason: &str) -> DomainSizesError {
    DomainSizesError::Line {
        path: path.to_owned(),
        line,
        reason: reason.to_owned(),
    }
}

fn size_of(path: &str, line: usize, text: &str) -> Result<u64, DomainSizesError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(line_error(
            path,
            line,
            "the size is not a whole number of bytes or tokens",
        ));
    }
    text.parse()
        .map_err(|_| line_error(path, line, "the size is too large"))
}

fn jsonl_line(path: &str, line: usize, raw: &str) -> Result<(String, u64), DomainSizesError> {
    let value: Value = serde_json::from_str(raw)
        .map_err(|e| line_error(path, line, &format!("not a JSON object ({e})")))?;
    let Some(object) = value.as_object() else {
        return Err(line_error(path, line, "not a JSON object"));
    };
    if let Some(key) = object.keys().find(|k| *k != "domain" && *k != "size") {
        return Err(line_error(path, line, &format!("unknown key `{key}`")));
    }
    let domain = object
        .get("domain")
        .and_then(Value::as_str)
        .ok_or_else(|| line_error(path, line, "`domain` is missing or not a string"))?;
    let size = object
        .get("size")
        .and_then(Value::as_u64)
        .ok_or_else(|| line_error(path, line, "`size` is missing or not a whole number"))?;
    Ok((domain.to_owned(), size))
}

/// A registrable domain as the Template asks (`example.com`): lower-case letters, digits and
/// hyphens in dot-separated labels, at least two labels.
fn check_domain(path: &str, line: usize, domain: &str) -> Result<(), DomainSizesError> {
    let labels: Vec<&str> = domain.split('.').collect();
    let ok = domain.len() <= MAX_DOMAIN
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    if ok {
        Ok(())
    } else {
        let shown: String = domain
            .chars()
            .take(80)
            .collect::<String>()
            .escape_debug()
            .to_string();
        Err(line_error(
            path,
            line,
            &format!("`{shown}` is not a lower-case domain name such as `example.com`"),
        ))
    }
}

/// The domains ranked by size, largest first, ties by name, cut after `count`.
pub fn top(mut domains: Vec<DomainSize>, count: usize) -> Vec<DomainSize> {
    domains.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.domain.cmp(&b.domain)));
    domains.truncate(count);
    domains
}

/// The domain size file a crawl dataset names, read from the release folder `folder` and
/// checked against the declared digest and the release's record of the file. `field` is the
/// declaration path of the reference (for messages); `sealed` gives a release file's digest.
pub fn load(
    folder: Option<&Path>,
    reference: &Value,
    field: &str,
    sealed: impl Fn(&str) -> Option<Sha256Digest>,
) -> Result<(String, Vec<DomainSize>), DomainSizesError> {
    let uri = reference.get("uri").and_then(Value::as_str).unwrap_or("");
    let rel = RelPath::new(uri).map_err(|_| DomainSizesError::NotInRelease {
        field: field.to_owned(),
        uri: uri.to_owned(),
    })?;
    let path = rel.as_str().to_owned();
    format_of(&path).ok_or_else(|| DomainSizesError::Format { path: path.clone() })?;
    let declared = reference
        .get("sha256")
        .and_then(Value::as_str)
        .and_then(|s| Sha256Digest::from_hex(s).ok())
        .ok_or_else(|| DomainSizesError::NoDigest {
            field: field.to_owned(),
        })?;
    let recorded =
        sealed(&path).ok_or_else(|| DomainSizesError::NotSealed { path: path.clone() })?;
    let folder = folder.ok_or_else(|| DomainSizesError::NoFolder { path: path.clone() })?;
    let on_disk: PathBuf = rel
        .components()
        .fold(folder.to_path_buf(), |p, c| p.join(c));
    let kind = input::Kind {
        what: "domain size file",
        max: MAX_FILE,
    };
    let bytes = input::open_no_follow(&on_disk, kind)?.read_all()?;
    let actual = Sha256Digest::of(&bytes);
    if actual != declared || actual != recorded {
        return Err(DomainSizesError::Digest {
            path,
            field: format!("{field}.sha256"),
            actual: actual.to_hex(),
        });
    }
    let domains = parse(&path, &bytes)?;
    Ok((path, domains))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(domain: &str, size: u64) -> DomainSize {
        DomainSize {
            domain: domain.to_owned(),
            size,
        }
    }

    #[test]
    fn csv_tsv_and_jsonl_read_the_same_list() {
        let csv = parse("d.csv", b"domain,size\nb.example,5\na.example,7\n").unwrap();
        let tsv = parse("d.tsv", b"b.example\t5\r\na.example\t7").unwrap();
        let jsonl = parse(
            "d.jsonl",
            b"{\"domain\":\"b.example\",\"size\":5}\n{\"size\":7,\"domain\":\"a.example\"}\n",
        )
        .unwrap();
        let expected = vec![ds("b.example", 5), ds("a.example", 7)];
        assert_eq!(csv, expected);
        assert_eq!(tsv, expected);
        assert_eq!(jsonl, expected);
        assert_eq!(parse("d.csv", b"").unwrap(), []);
    }

    #[test]
    fn a_malformed_line_is_named() {
        let cases: [(&str, &[u8], usize, &str); 10] = [
            ("d.csv", b"a.example,1\nb.example\n", 2, "expected 2 fields"),
            (
                "d.csv",
                b"a.example,1,2\n",
                1,
                "expected 2 fields, found more",
            ),
            ("d.csv", b"a.example,1\nb.example,-3\n", 2, "whole number"),
            ("d.csv", b"a.example,1.5\n", 1, "whole number"),
            (
                "d.csv",
                b"a.example,99999999999999999999999\n",
                1,
                "too large",
            ),
            (
                "d.csv",
                b"a.example,1\n\nb.example,2\n",
                2,
                "expected 2 fields",
            ),
            (
                "d.csv",
                b"a.example,1\nA.example,2\n",
                2,
                "not a lower-case domain",
            ),
            ("d.csv", b"a.example,1\na.example,2\n", 2, "first on line 1"),
            (
                "d.jsonl",
                b"{\"domain\":\"a.example\",\"size\":1,\"x\":2}\n",
                1,
                "unknown key",
            ),
            ("d.tsv", b"localhost\t3\n", 1, "not a lower-case domain"),
        ];
        for (path, bytes, line, reason) in cases {
            let e = parse(path, bytes).unwrap_err().to_string();
            assert!(e.starts_with(&format!("`{path}` line {line}: ")), "{e}");
            assert!(e.contains(reason), "{e}");
        }
        assert!(matches!(
            parse("d.txt", b""),
            Err(DomainSizesError::Format { .. })
        ));
        let e = parse("d.csv", b"a.example,1\nb.example,\xff\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2: not UTF-8"), "{e}");
    }

    #[test]
    fn ranking_is_by_size_then_name() {
        let ranked = top(
            vec![
                ds("c.example", 5),
                ds("b.example", 9),
                ds("a.example", 5),
                ds("d.example", 5),
            ],
            3,
        );
        assert_eq!(
            ranked,
            [ds("b.example", 9), ds("a.example", 5), ds("c.example", 5)]
        );
    }
}
