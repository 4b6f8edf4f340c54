//! The differences between two releases: their files, the scanned model, the datasets (as
//! declared and as sealed), every declared field, the policy packs' results, and what the law
//! concludes from them (a new public summary of training content, updated documentation).
//!
//! Both releases come from [`Release::open`], so each says how far it was verified; the packs
//! run on both with the same options, so a rule that changes outcome changed because the
//! release did, not because the date or the packs did.

pub mod datasets;
pub mod fields;
pub mod files;
pub mod law;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

pub use datasets::{Datasets, DeclaredDataset, FileSet, SealedDataset};
pub use fields::{Change, FieldChange};
pub use files::{FileInfo, Files};
pub use law::{Conclusion, Obligation};

use crate::Error;
use crate::finding::{Outcome, Severity};
use crate::manifest::{Generator, Record};
use crate::policy::check::CheckReport;
use crate::policy::{Subject, VerificationFacts};
use crate::release::{CheckOptions, Parsed, Release};

/// The version of the JSON form (`docs/diff.md`); bumped when a field changes meaning.
pub const SCHEMA_VERSION: u32 = 1;

/// What a diff is not.
pub const DISCLAIMER: &str =
    "scelle compares declared and verified evidence; this is not a legal opinion";

/// Everything that differs between two releases.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub schema_version: u32,
    pub generator: Generator,
    /// The day both releases' packs were judged as of.
    pub as_of: String,
    pub old: Side,
    pub new: Side,
    /// Who signed each release, when both verified and their signers differ; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<SignerChange>,
    pub files: Files,
    pub model: ModelChange,
    pub datasets: Datasets,
    /// Every declared field added, removed or changed, sorted by path.
    pub fields: Vec<FieldChange>,
    /// Every rule whose outcome or severity changed, sorted by pack then rule.
    pub rules: Vec<RuleChange>,
    pub conclusions: Vec<Conclusion>,
    pub summary: Summary,
    pub disclaimer: &'static str,
}

/// One release as compared: what it is and how far it was verified.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub release: Subject,
    pub verification: VerificationFacts,
}

/// Whom a verified release was signed by, as the policy facts say it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedBy {
    /// `key`, `certificate` or `keyless`.
    pub method: String,
    /// The key id, the certificate's subject, or the keyless identity.
    pub identity: String,
    /// The certificate's issuer or the OIDC issuer; `null` for a key.
    pub issuer: Option<String>,
}

impl SignedBy {
    fn of(v: &VerificationFacts) -> Option<SignedBy> {
        if !v.verified {
            return None;
        }
        Some(SignedBy {
            // A report written before `method` existed verified with a key.
            method: v.method.clone().unwrap_or_else(|| "key".to_owned()),
            identity: v.identity.clone().or_else(|| v.key_id.clone())?,
            issuer: v.issuer.clone(),
        })
    }
}

/// Two verified releases signed by different signers: a new key, a certificate from another
/// issuer, another workflow. The files may be the same; who vouches for them is not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignerChange {
    pub old: SignedBy,
    pub new: SignedBy,
    /// Which of `method`, `identity`, `issuer` differ.
    pub changed: Vec<&'static str>,
}

/// The signers of two verified releases, when they differ. A side that did not verify has no
/// established signer to compare: its verification line says so.
fn signer_change(old: &VerificationFacts, new: &VerificationFacts) -> Option<SignerChange> {
    let (old, new) = (SignedBy::of(old)?, SignedBy::of(new)?);
    let changed: Vec<&'static str> = [
        ("method", old.method != new.method),
        ("identity", old.identity != new.identity),
        ("issuer", old.issuer != new.issuer),
    ]
    .into_iter()
    .filter_map(|(name, differs)| differs.then_some(name))
    .collect();
    (!changed.is_empty()).then_some(SignerChange { old, new, changed })
}

/// The scanned model (`predicate.model`) before and after.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModelChange {
    pub old: Option<ModelSummary>,
    pub new: Option<ModelSummary>,
    /// Which of `parameter_count`, `dtypes`, `architecture`, `formats` differ.
    pub changed: Vec<&'static str>,
}

/// What the scan found about the model's weights.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModelSummary {
    pub parameter_count: Option<u64>,
    /// Parameters per dtype.
    pub dtypes: BTreeMap<String, u64>,
    pub architecture: Option<Value>,
    pub formats: Vec<String>,
    pub weights_bytes: Option<u64>,
    pub weights_files: Option<u64>,
}

impl ModelSummary {
    fn of(model: &Value) -> Self {
        let (parameter_count, formats) = crate::policy::check::scanned_figures(Some(model));
        let dtypes = model
            .get("dtypes")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_u64()?)))
                    .collect()
            })
            .unwrap_or_default();
        ModelSummary {
            parameter_count,
            dtypes,
            architecture: model.get("architecture").cloned(),
            formats,
            weights_bytes: model.get("weights_bytes").and_then(Value::as_u64),
            weights_files: model.get("weights_files").and_then(Value::as_u64),
        }
    }
}

/// A rule's result on one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleState {
    pub outcome: Outcome,
    pub severity: Severity,
}

/// A rule whose result differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleChange {
    pub pack: String,
    pub rule: String,
    pub title: String,
    pub old: Option<RuleState>,
    pub new: Option<RuleState>,
    /// The later release's message for the rule, when it has a result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Counts of what differs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Nothing differs: same files, same declaration, same results.
    pub identical: bool,
    pub files_added: usize,
    pub files_removed: usize,
    pub files_modified: usize,
    pub files_renamed: usize,
    pub files_unchanged: usize,
    pub datasets_changed: usize,
    pub fields_changed: usize,
    pub rules_changed: usize,
    /// The two releases were verified and signed by different signers.
    pub signer_changed: bool,
}

/// What a diff keeps of one release: its packs' results and the parts compared, without the
/// statement's file records, so that the first release is let go before the second is opened
/// (two statements of 200,000 files at once are most of a diff's memory).
#[derive(Debug)]
pub struct Taken {
    subject: crate::policy::Subject,
    verification: crate::policy::VerificationFacts,
    files: Vec<FileInfo>,
    model: Option<Value>,
    sealed: Vec<Value>,
    declared: Option<Value>,
    check: CheckReport,
}

impl Taken {
    /// Runs the packs over `release` with `options` and keeps what a diff compares.
    pub fn from(mut release: Release, options: &CheckOptions<'_>) -> Result<Self, Error> {
        let check = release.check(options)?;
        Ok(Taken {
            files: file_infos(&release.statement),
            model: predicate_model(&release.statement).cloned(),
            sealed: sealed(&release.statement).to_vec(),
            declared: release.declared().cloned(),
            subject: release.subject,
            verification: release.verification,
            check,
        })
    }

    /// Whether the release's record was verified against a trusted key.
    pub fn verified(&self) -> bool {
        self.verification.verified
    }
}

/// The diff of two releases whose packs ran already.
pub fn between(old: &Taken, new: &Taken, as_of: &str) -> Diff {
    let (old_check, new_check) = (&old.check, &new.check);
    let (old_files, new_files) = (&old.files, &new.files);
    let files = files::compare(old_files, new_files);
    let model = model_change(old.model.as_ref(), new.model.as_ref());
    let datasets = Datasets {
        declared: datasets::declared(
            old.declared.as_ref(),
            new.declared.as_ref(),
            old_files,
            new_files,
        ),
        sealed: datasets::sealed(&old.sealed, &new.sealed),
    };
    let fields = fields::compare(old.declared.as_ref(), new.declared.as_ref());
    let rules = rule_changes(old_check, new_check);
    let conclusions = law::conclude(&law::Evidence {
        files: &files,
        model: &model,
        datasets: &datasets,
        fields: &fields,
        declared_paths: datasets::declared_paths(old.declared.as_ref(), new.declared.as_ref()),
    });
    let signer = signer_change(&old.verification, &new.verification);
    let summary = Summary {
        identical: signer.is_none()
            && files.is_empty()
            && model.changed.is_empty()
            && datasets.declared.is_empty()
            && datasets.sealed.is_empty()
            && fields.is_empty()
            && rules.is_empty(),
        files_added: files.added.len(),
        files_removed: files.removed.len(),
        files_modified: files.modified.len(),
        files_renamed: files.renamed.len(),
        files_unchanged: files.unchanged,
        datasets_changed: datasets.declared.len() + datasets.sealed.len(),
        fields_changed: fields.len(),
        rules_changed: rules.len(),
        signer_changed: signer.is_some(),
    };
    Diff {
        schema_version: SCHEMA_VERSION,
        generator: Generator::this(),
        as_of: as_of.to_owned(),
        old: Side {
            release: old.subject.clone(),
            verification: old.verification.clone(),
        },
        new: Side {
            release: new.subject.clone(),
            verification: new.verification.clone(),
        },
        signer,
        files,
        model,
        datasets,
        fields,
        rules,
        conclusions,
        summary,
        disclaimer: DISCLAIMER,
    }
}

fn file_infos(statement: &Parsed) -> Vec<FileInfo> {
    fn info<F: Record>(f: &F, kind: Option<crate::vocab::Kind>) -> FileInfo {
        FileInfo {
            path: f.path().as_str().to_owned(),
            size: f.size(),
            sha256: *f.sha256(),
            kind,
        }
    }
    match statement {
        Parsed::Full(s) => s
            .predicate
            .files
            .iter()
            .map(|f| info(f, Some(f.kind)))
            .collect(),
        Parsed::Light(s) => s.predicate.files.iter().map(|f| info(f, f.kind)).collect(),
    }
}

fn predicate_model(statement: &Parsed) -> Option<&Value> {
    match statement {
        Parsed::Full(s) => s.predicate.model.as_ref(),
        Parsed::Light(s) => s.predicate.model.as_ref(),
    }
}

fn sealed(statement: &Parsed) -> &[Value] {
    match statement {
        Parsed::Full(s) => &s.predicate.datasets,
        Parsed::Light(s) => &s.predicate.datasets,
    }
}

fn model_change(old: Option<&Value>, new: Option<&Value>) -> ModelChange {
    let (old, new) = (old.map(ModelSummary::of), new.map(ModelSummary::of));
    let mut changed = Vec::new();
    let blank = ModelSummary::default();
    let (o, n) = (
        old.as_ref().unwrap_or(&blank),
        new.as_ref().unwrap_or(&blank),
    );
    if o.parameter_count != n.parameter_count {
        changed.push("parameter_count");
    }
    if o.dtypes != n.dtypes {
        changed.push("dtypes");
    }
    if o.architecture != n.architecture {
        changed.push("architecture");
    }
    if o.formats != n.formats {
        changed.push("formats");
    }
    ModelChange { old, new, changed }
}

fn rule_states(report: &CheckReport) -> BTreeMap<(String, String), (String, RuleState, String)> {
    let mut map = BTreeMap::new();
    for pack in &report.packs {
        for r in &pack.results {
            map.entry((pack.name.clone(), r.id.clone())).or_insert((
                r.title.clone(),
                RuleState {
                    outcome: r.outcome,
                    severity: r.severity,
                },
                r.message.clone(),
            ));
        }
    }
    map
}

fn rule_changes(old: &CheckReport, new: &CheckReport) -> Vec<RuleChange> {
    let (old, new) = (rule_states(old), rule_states(new));
    let keys: BTreeSet<&(String, String)> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter_map(|key| {
            let (o, n) = (old.get(key), new.get(key));
            if o.map(|x| x.1) == n.map(|x| x.1) {
                return None;
            }
            let title = n.or(o).map(|x| x.0.clone()).unwrap_or_default();
            Some(RuleChange {
                pack: key.0.clone(),
                rule: key.1.clone(),
                title,
                old: o.map(|x| x.1),
                new: n.map(|x| x.1),
                message: n.map(|x| x.2.clone()).filter(|m| !m.is_empty()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::signer::samples::{certificate, facts, keyless};

    #[test]
    fn the_same_signer_is_no_change() {
        assert_eq!(signer_change(&facts(&keyless()), &facts(&keyless())), None);
    }

    #[test]
    fn every_field_of_the_signer_that_differs_is_named() {
        let change = signer_change(&facts(&certificate()), &facts(&keyless())).unwrap();
        assert_eq!(change.changed, ["method", "identity", "issuer"]);
        assert_eq!(change.old.method, "certificate");
        assert_eq!(change.new.method, "keyless");
        let mut other_issuer = facts(&keyless());
        other_issuer.issuer = Some("https://issuer.example".into());
        let change = signer_change(&facts(&keyless()), &other_issuer).unwrap();
        assert_eq!(change.changed, ["issuer"]);
        assert_eq!(change.new.issuer.as_deref(), Some("https://issuer.example"));
    }

    #[test]
    fn a_side_that_did_not_verify_has_no_signer_to_compare() {
        let mut unverified = facts(&certificate());
        unverified.verified = false;
        assert_eq!(signer_change(&unverified, &facts(&keyless())), None);
        assert_eq!(signer_change(&facts(&keyless()), &unverified), None);
    }
}
