//! Waivers: accepted exceptions to a rule or a finding code, each with the subjects it covers,
//! its reason, its approver and the day it expires (as cargo-deny's `ignore` entries and
//! conftest's exceptions, with an expiry so exceptions do not outlive their reason).
//!
//! They come from the `waivers:` section of the release's `scelle.yaml`, sealed with the release,
//! and from `--waivers FILE` (the same entries under a top-level `waivers:`), for exceptions that
//! belong to one CI pipeline. A waived failure stays in every report, labelled with its waiver,
//! and does not fail the run; an expired waiver waives nothing and is itself an error
//! (`waiver/expired`); a waiver that matches nothing is a warning (`waiver/unused`).

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::codes;
use crate::finding::{Finding, Location, Severity};
use crate::manifest::descriptor::{self, DescriptorError, Problem};
use crate::manifest::schema::Schema;
use crate::yaml::{self, NodeValue, Pos};

/// A waiver that expired.
pub const EXPIRED: &str = "waiver/expired";
/// A waiver that matched nothing.
pub const UNUSED: &str = "waiver/unused";

/// The largest waivers file read.
pub const MAX_FILE: u64 = 1 << 20;
/// The longest subject pattern: matching costs its length times the subject's.
pub const MAX_PATTERN: usize = 1024;
/// The most waivers one file or declaration holds: each finding is judged against those of its
/// id, and a release checked by an auditor may be hostile.
pub const MAX_WAIVERS: usize = 1000;

/// Where a waiver was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// The `waivers:` section of the release's `scelle.yaml`: sealed with the release.
    Declaration,
    /// A `--waivers FILE` given to the command.
    File,
}

/// One waiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waiver {
    /// The rule id or finding code waived.
    pub id: String,
    /// Patterns of the subjects covered (files, dataset ids, fields); empty: every subject.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
    pub reason: String,
    pub approver: String,
    /// `YYYY-MM-DD`: from this day on the waiver no longer applies.
    pub expires: String,
    pub origin: Origin,
    /// Where the waiver is written.
    pub location: Location,
}

impl Waiver {
    /// Whether the waiver has expired on `as_of` (`YYYY-MM-DD`).
    pub fn expired(&self, as_of: &str) -> bool {
        self.expires.as_str() <= as_of
    }

    /// Whether the waiver names `id` and covers `subject` (`None`: a failure without subjects,
    /// which only a waiver without subjects covers).
    pub fn covers(&self, id: &str, subject: Option<&str>) -> bool {
        self.id == id
            && match subject {
                None => self.subjects.is_empty(),
                Some(s) => self.subjects.is_empty() || self.subjects.iter().any(|p| glob(p, s)),
            }
    }

    /// `scelle.yaml:40:5`.
    pub fn at(&self) -> String {
        crate::report::check::location(&self.location)
    }

    /// `the reason (approved by X, expires D, scelle.yaml:40:5)`.
    pub fn describe(&self) -> String {
        format!(
            "{} (approved by {}, expires {}, {})",
            codes::squash(&self.reason),
            self.approver,
            self.expires,
            self.at()
        )
    }
}

/// `*` matches within a path segment, `**` across segments, `?` one character; everything else
/// matches itself. Dynamic programming over the two strings: no pattern can make it slow.
pub fn glob(pattern: &str, subject: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Char(char),
        One,
        Star,
        Stars,
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        toks.push(match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                while chars.peek() == Some(&'*') {
                    chars.next();
                }
                Tok::Stars
            }
            '*' => Tok::Star,
            '?' => Tok::One,
            c => Tok::Char(c),
        });
    }
    let text: Vec<char> = subject.chars().collect();
    // row[j]: the tokens so far match the first j characters.
    let mut row = vec![false; text.len() + 1];
    row[0] = true;
    for tok in toks {
        let mut next = vec![false; text.len() + 1];
        match tok {
            Tok::Star | Tok::Stars => {
                for j in 0..=text.len() {
                    next[j] = row[j]
                        || (j > 0 && next[j - 1] && (tok == Tok::Stars || text[j - 1] != '/'));
                }
            }
            Tok::One | Tok::Char(_) => {
                for j in 1..=text.len() {
                    let fits = match tok {
                        Tok::Char(c) => text[j - 1] == c,
                        _ => text[j - 1] != '/',
                    };
                    next[j] = row[j - 1] && fits;
                }
            }
        }
        row = next;
    }
    row[text.len()]
}

/// Why waivers could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WaiverError {
    #[error("cannot read `{}`", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` does not exist", .0.display())]
    Missing(PathBuf),
    #[error("`{}` is not a regular file", .0.display())]
    NotAFile(PathBuf),
    #[error("`{}` is larger than {} bytes", .0.display(), MAX_FILE)]
    TooLarge(PathBuf),
    #[error(transparent)]
    Invalid(#[from] DescriptorError),
}

impl WaiverError {
    pub fn hint(&self) -> Option<String> {
        match self {
            WaiverError::Invalid(_) => Some(
                "a waivers file is `waivers:` followed by entries with `id`, `reason`, `approver`, `expires` and optional `subjects` (see `docs/policies.md`)"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// Reads a `--waivers FILE`: a regular file of at most [`MAX_FILE`] bytes.
pub fn read_file(path: &Path) -> Result<Vec<Waiver>, WaiverError> {
    let wrap = |source| WaiverError::Read {
        path: path.to_path_buf(),
        source,
    };
    // By type, before opening: opening a FIFO would block.
    let meta = match fs_err::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(WaiverError::Missing(path.to_path_buf()));
        }
        Err(e) => return Err(wrap(e)),
    };
    if !meta.is_file() {
        return Err(WaiverError::NotAFile(path.to_path_buf()));
    }
    let mut text = String::new();
    fs_err::File::open(path)
        .map_err(wrap)?
        .take(MAX_FILE + 1)
        .read_to_string(&mut text)
        .map_err(wrap)?;
    if text.len() as u64 > MAX_FILE {
        return Err(WaiverError::TooLarge(path.to_path_buf()));
    }
    parse_file(&text, &display_name(path))
}

/// How reports name a waivers file: relative to the working folder when it is inside it (an
/// absolute path would make reports differ from one checkout to the next), else as given.
fn display_name(path: &Path) -> String {
    if path.is_absolute()
        && let Ok(cwd) = std::env::current_dir()
        && let (Ok(abs), Ok(cwd)) = (fs_err::canonicalize(path), fs_err::canonicalize(cwd))
        && let Ok(rel) = abs.strip_prefix(&cwd)
    {
        return rel.display().to_string();
    }
    path.display().to_string()
}

/// Parses the text of a waivers file named `file`.
pub fn parse_file(text: &str, file: &str) -> Result<Vec<Waiver>, WaiverError> {
    let invalid = |problems: Vec<Problem>| {
        WaiverError::Invalid(DescriptorError::Invalid {
            file: file.to_owned(),
            problems,
        })
    };
    let node = yaml::parse(text).map_err(|source| DescriptorError::Yaml {
        file: file.to_owned(),
        source,
    })?;
    let NodeValue::Map(entries) = &node.value else {
        return Err(invalid(vec![Problem {
            pos: node.pos,
            message: format!(
                "expected `waivers:` and a list, found {}",
                node.value.kind()
            ),
            hint: None,
        }]));
    };
    let stray: Vec<Problem> = entries
        .iter()
        .filter(|(k, _)| k.name != "waivers")
        .map(|(k, _)| Problem {
            pos: k.pos,
            message: format!(
                "unknown field `{}`: a waivers file holds only `waivers:`",
                k.name
            ),
            hint: None,
        })
        .collect();
    if !stray.is_empty() {
        return Err(invalid(stray));
    }
    let schema = Schema::get().map_err(DescriptorError::from)?;
    let declared = descriptor::validate(&node, schema).map_err(invalid)?;
    let location = |pos: Option<Pos>| Location {
        file: file.to_owned(),
        line: pos.map(|p| p.line),
        column: pos.map(|p| p.column),
        byte_offset: None,
    };
    let waivers = entries_of(&declared.value, Origin::File, |i| {
        location(declared.positions.get(&format!("waivers[{i}]")).copied())
    });
    check_ids(waivers, &declared.positions).map_err(invalid)
}

/// The waivers of a validated declaration (`declared.waivers`), located in `scelle.yaml` when
/// the positions of its fields are known.
pub fn from_declaration(
    declared: Option<&Value>,
    positions: Option<&BTreeMap<String, Pos>>,
) -> Vec<Waiver> {
    let Some(declared) = declared else {
        return Vec::new();
    };
    entries_of(declared, Origin::Declaration, |i| {
        let pos = positions.and_then(|p| p.get(&format!("waivers[{i}]")));
        Location {
            file: descriptor::FILE_NAME.to_owned(),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            byte_offset: None,
        }
    })
}

fn entries_of(declared: &Value, origin: Origin, at: impl Fn(usize) -> Location) -> Vec<Waiver> {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
    declared
        .get("waivers")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .enumerate()
        .map(|(i, w)| Waiver {
            id: text(w, "id"),
            subjects: w
                .get("subjects")
                .and_then(Value::as_array)
                .map(|s| {
                    s.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            reason: text(w, "reason"),
            approver: text(w, "approver"),
            expires: text(w, "expires"),
            origin,
            location: at(i),
        })
        .collect()
}

/// A code that does not exist is a typo (rule ids are only known once the packs are chosen:
/// one that matches nothing is reported as unused); an overlong pattern is refused.
fn check_ids(
    waivers: Vec<Waiver>,
    positions: &BTreeMap<String, Pos>,
) -> Result<Vec<Waiver>, Vec<Problem>> {
    let known: Vec<&str> = codes::CODES.iter().map(|c| c.id).collect();
    let mut problems = Vec::new();
    if waivers.len() > MAX_WAIVERS {
        problems.push(Problem {
            pos: positions.get("waivers").copied().unwrap_or_default(),
            message: format!(
                "{} waivers: at most {MAX_WAIVERS} are read from one file",
                waivers.len()
            ),
            hint: None,
        });
    }
    for (i, w) in waivers.iter().enumerate() {
        let pos = |key: &str| {
            positions
                .get(&format!("waivers[{i}].{key}"))
                .or_else(|| positions.get(&format!("waivers[{i}]")))
                .copied()
                .unwrap_or_default()
        };
        if codes::is_code_like(&w.id) && codes::get(&w.id).is_none() {
            let near = descriptor::closest(&w.id, &known)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            problems.push(Problem {
                pos: pos("id"),
                message: format!("`{}` is not a finding code{near}", w.id),
                hint: None,
            });
        }
        if w.subjects.iter().any(|s| s.len() > MAX_PATTERN) {
            problems.push(Problem {
                pos: pos("subjects"),
                message: format!("a subject pattern is longer than {MAX_PATTERN} bytes"),
                hint: None,
            });
        }
    }
    if problems.is_empty() {
        Ok(waivers)
    } else {
        Err(problems)
    }
}

/// The declaration's waivers checked like a file's (codes that exist, patterns not too long),
/// as `file:line:column` problems.
pub fn check_declared(
    waivers: Vec<Waiver>,
    positions: Option<&BTreeMap<String, Pos>>,
) -> Result<Vec<Waiver>, WaiverError> {
    let empty = BTreeMap::new();
    check_ids(waivers, positions.unwrap_or(&empty)).map_err(|problems| {
        WaiverError::Invalid(DescriptorError::Invalid {
            file: descriptor::FILE_NAME.to_owned(),
            problems,
        })
    })
}

/// A waiver as it applied to a result: the waiver and the subjects it covered there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    #[serde(flatten)]
    pub waiver: Waiver,
    /// The subjects of the result it covered (empty: the result as a whole).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<String>,
}

/// What the waivers make of one failure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Judgement {
    /// Every subject is covered by a waiver in force: the failure does not fail the run.
    pub waived: bool,
    /// The waivers in force that covered some subject.
    pub applied: Vec<Applied>,
    /// Why the waivers do not cover the failure when some matched (expired, partial).
    pub note: Option<String>,
}

/// How a waiver ended up in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Applied,
    Expired,
    Unused,
}

/// A waiver and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaiverStatus {
    #[serde(flatten)]
    pub waiver: Waiver,
    pub status: Status,
    /// How many subjects (or whole results) it waived.
    pub matched: usize,
}

impl WaiverStatus {
    /// The finding a waiver's status amounts to, if any.
    pub fn finding(&self, as_of: &str) -> Option<Finding> {
        let (code, severity, message) = match self.status {
            Status::Applied => return None,
            Status::Expired => (
                EXPIRED,
                Severity::Error,
                format!(
                    "the waiver of `{}` expired on {} (checked as of {as_of}): {}",
                    self.waiver.id,
                    self.waiver.expires,
                    codes::squash(&self.waiver.reason)
                ),
            ),
            Status::Unused => (
                UNUSED,
                Severity::Warning,
                format!(
                    "the waiver of `{}`{} matches nothing",
                    self.waiver.id,
                    if self.waiver.subjects.is_empty() {
                        String::new()
                    } else {
                        format!(" for {}", self.waiver.subjects.join(", "))
                    }
                ),
            ),
        };
        let mut f = Finding::fail(code, severity, message)
            .with_subject(self.waiver.at())
            .with_fix(codes::get(code).map_or("", |c| c.fix).to_owned());
        f.location = Some(self.waiver.location.clone());
        Some(f)
    }
}

/// The waivers of one run and how often each applied.
#[derive(Debug, Clone)]
pub struct Ledger {
    waivers: Vec<Waiver>,
    /// The indexes of the waivers of each id, in the order written.
    by_id: BTreeMap<String, Vec<usize>>,
    as_of: String,
    matched: Vec<usize>,
}

impl Ledger {
    /// `as_of` decides which waivers have expired.
    pub fn new(waivers: Vec<Waiver>, as_of: &str) -> Self {
        let matched = vec![0; waivers.len()];
        let mut by_id: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, w) in waivers.iter().enumerate() {
            by_id.entry(w.id.clone()).or_default().push(i);
        }
        Ledger {
            waivers,
            by_id,
            as_of: as_of.to_owned(),
            matched,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.waivers.is_empty()
    }

    pub fn as_of(&self) -> &str {
        &self.as_of
    }

    /// Judges a failure of `id` concerning `subjects` (empty: the failure as a whole).
    pub fn judge(&mut self, id: &str, subjects: &[String]) -> Judgement {
        let units: Vec<Option<&str>> = if subjects.is_empty() {
            vec![None]
        } else {
            subjects.iter().map(|s| Some(s.as_str())).collect()
        };
        let mut applied: Vec<Applied> = Vec::new();
        let mut uncovered = Vec::new();
        let mut expired = Vec::new();
        let candidates = self.by_id.get(id).map_or(&[][..], Vec::as_slice);
        if candidates.is_empty() {
            return Judgement::default();
        }
        for unit in units {
            let active = candidates.iter().copied().find(|&i| {
                !self.waivers[i].expired(&self.as_of) && self.waivers[i].covers(id, unit)
            });
            if let Some(i) = active {
                self.matched[i] += 1;
                let covers = unit.map(str::to_owned);
                if let Some(a) = applied.iter_mut().find(|a| a.waiver == self.waivers[i]) {
                    a.covers.extend(covers);
                } else {
                    applied.push(Applied {
                        waiver: self.waivers[i].clone(),
                        covers: covers.into_iter().collect(),
                    });
                }
            } else {
                uncovered.push(unit.unwrap_or(id).to_owned());
                for w in candidates
                    .iter()
                    .map(|&i| &self.waivers[i])
                    .filter(|w| w.covers(id, unit))
                {
                    let said = format!("expired on {} ({})", w.expires, w.at());
                    if !expired.contains(&said) {
                        expired.push(said);
                    }
                }
            }
        }
        let waived = uncovered.is_empty();
        let mut notes = Vec::new();
        if !expired.is_empty() {
            notes.push(format!(
                "a waiver matched but {}: the failure counts",
                expired.join(", ")
            ));
        }
        if !waived && !applied.is_empty() {
            notes.push(format!(
                "waived for {} only; still failing for {}",
                applied
                    .iter()
                    .flat_map(|a| a.covers.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(", "),
                uncovered.join(", ")
            ));
        }
        Judgement {
            waived,
            applied,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        }
    }

    /// Every waiver with what became of it, in the order written.
    pub fn statuses(&self) -> Vec<WaiverStatus> {
        self.waivers
            .iter()
            .zip(&self.matched)
            .map(|(w, &matched)| WaiverStatus {
                waiver: w.clone(),
                status: if w.expired(&self.as_of) {
                    Status::Expired
                } else if matched > 0 {
                    Status::Applied
                } else {
                    Status::Unused
                },
                matched,
            })
            .collect()
    }
}

/// A finding on a file that a waiver covers, taken out of what the packs see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaivedFinding {
    pub path: String,
    pub finding: Finding,
    pub waiver: Applied,
}

/// Takes the findings that waivers in force cover out of each file's findings, and returns
/// them with their waiver; other findings stay where they are.
pub fn take_waived<'a>(
    files: impl Iterator<Item = (&'a str, &'a mut Vec<Finding>)>,
    ledger: &mut Ledger,
) -> Vec<WaivedFinding> {
    let mut out = Vec::new();
    if ledger.is_empty() {
        return out;
    }
    for (path, findings) in files {
        let mut kept = Vec::with_capacity(findings.len());
        for finding in findings.drain(..) {
            let judgement = ledger.judge(&finding.rule, &[path.to_owned()]);
            match judgement.applied.into_iter().next() {
                Some(waiver) if judgement.waived => out.push(WaivedFinding {
                    path: path.to_owned(),
                    finding,
                    waiver,
                }),
                _ => kept.push(finding),
            }
        }
        *findings = kept;
    }
    out
}

/// The waivers of a run: the declaration's (unless `declared` is false), then each file's.
pub fn load(
    files: &[PathBuf],
    use_declared: bool,
    declared: Option<&Value>,
    positions: Option<&BTreeMap<String, Pos>>,
) -> Result<Vec<Waiver>, WaiverError> {
    let mut all = if use_declared {
        check_declared(from_declaration(declared, positions), positions)?
    } else {
        Vec::new()
    };
    for file in files {
        all.extend(read_file(file)?);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_within_and_across_segments() {
        assert!(glob("legacy/*.pt", "legacy/a.pt"));
        assert!(!glob("legacy/*.pt", "legacy/sub/a.pt"));
        assert!(glob("legacy/**.pt", "legacy/sub/a.pt"));
        assert!(glob("**", "a/b/c"));
        assert!(glob("data/**/x.bin", "data/1/2/x.bin"));
        assert!(glob("shard-?.bin", "shard-3.bin"));
        assert!(!glob("shard-?.bin", "shard-33.bin"));
        assert!(glob("model.safetensors", "model.safetensors"));
        assert!(!glob("model.safetensors", "model.safetensorsX"));
        assert!(glob("gdpr.*", "gdpr.dpia"));
        assert!(!glob("", "a"));
        assert!(glob("", ""));
        // A pattern that backtracking matchers take exponential time over stays linear here.
        let mut pattern = "*a".repeat(100);
        pattern.push('b');
        assert!(!glob(&pattern, &"a".repeat(1000)));
    }

    fn waiver(id: &str, subjects: &[&str], expires: &str) -> Waiver {
        Waiver {
            id: id.into(),
            subjects: subjects.iter().map(|s| (*s).to_owned()).collect(),
            reason: "accepted".into(),
            approver: "a@b".into(),
            expires: expires.into(),
            origin: Origin::File,
            location: Location {
                file: "w.yaml".into(),
                line: Some(2),
                column: Some(5),
                byte_offset: None,
            },
        }
    }

    #[test]
    fn a_failure_is_waived_only_when_every_subject_is_covered_by_a_waiver_in_force() {
        let mut ledger = Ledger::new(
            vec![
                waiver("R-1", &["a.pt"], "2027-01-01"),
                waiver("R-1", &["b.pt"], "2026-01-01"),
                waiver("R-2", &[], "2027-01-01"),
                waiver("R-3", &["x"], "2027-01-01"),
            ],
            "2026-06-01",
        );
        let both = ledger.judge("R-1", &["a.pt".into(), "b.pt".into()]);
        assert!(!both.waived);
        assert_eq!(both.applied.len(), 1);
        assert_eq!(
            both.note.as_deref(),
            Some(
                "a waiver matched but expired on 2026-01-01 (w.yaml:2:5): the failure counts; waived for a.pt only; still failing for b.pt"
            )
        );
        assert!(ledger.judge("R-1", &["a.pt".into()]).waived);
        assert!(ledger.judge("R-2", &[]).waived, "no subjects: whole");
        assert!(
            !ledger.judge("R-3", &[]).waived,
            "a waiver for some subjects does not waive a failure as a whole"
        );
        let statuses: Vec<Status> = ledger.statuses().iter().map(|s| s.status).collect();
        assert_eq!(
            statuses,
            [
                Status::Applied,
                Status::Expired,
                Status::Applied,
                Status::Unused
            ]
        );
        // Expiry is inclusive: on the day itself the waiver no longer applies.
        assert!(waiver("R", &[], "2026-06-01").expired("2026-06-01"));
        assert!(!waiver("R", &[], "2026-06-02").expired("2026-06-01"));
    }

    #[test]
    fn a_waivers_file_is_validated_with_lines_and_columns() {
        let text = "waivers:\n  - id: file/code-on-lod\n    reason: r\n    approver: a\n    expires: 2027-01-01\n  - id: RI-DECL-01\n    reason: r\n    expires: 2027-13-01\nextra: 1\n";
        let err = parse_file(text, "w.yaml").unwrap_err().to_string();
        assert_eq!(
            err,
            "w.yaml:9:1: unknown field `extra`: a waivers file holds only `waivers:`"
        );
        let err = parse_file(&text.replace("extra: 1\n", ""), "w.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("w.yaml:6:5: `waivers[1]` has no `approver`, which is required"),
            "{err}"
        );
        assert!(err.contains("w.yaml:8:14: `waivers[1].expires`"), "{err}");
        let fixed = text.replace("extra: 1\n", "").replace(
            "expires: 2027-13-01",
            "approver: b\n    expires: 2027-12-01",
        );
        let err = parse_file(&fixed, "w.yaml").unwrap_err().to_string();
        assert_eq!(
            err,
            "w.yaml:2:5: `file/code-on-lod` is not a finding code (did you mean `file/code-on-load`?)"
        );
        let many = format!(
            "waivers:\n{}",
            "  - {id: R-1, reason: r, approver: a, expires: 2027-01-01}\n".repeat(MAX_WAIVERS + 1)
        );
        let err = parse_file(&many, "w.yaml").unwrap_err().to_string();
        assert!(err.contains("1001 waivers: at most 1000"), "{err}");
        let ok = parse_file(&fixed.replace("code-on-lod", "code-on-load"), "w.yaml").unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].location.line, Some(6));
        assert_eq!(ok[1].expires, "2027-12-01");
    }
}
