//! `scelle report INPUT --kind KIND`: opens the release (verified with `--key`), builds the
//! document and writes it. Fields the document needed and the declaration does not give are
//! written as "not declared" and listed on stderr.
//!
//! `report` writes documents; it is not a gate: it exits 0 once the document is written, whatever
//! the document says (findings included), and 2 when it could not run. `check` is the gate.

use crate::Error;
use crate::cli::{DocumentFormat, GlobalArgs, ReportArgs};
use crate::commands::check::today;
use crate::commands::scan::scan_options;
use crate::console::Console;
use std::path::Path;

use crate::attest;
use crate::document::{self, Context, Document, Kind, audit};
use crate::exit::ExitStatus;
use crate::policy::{Stage, builtin};
use crate::release::{CheckOptions, OpenOptions, Parsed, Release};
use crate::report::Output;
use crate::scan;

use crate::walk;

pub(crate) fn run(
    args: &ReportArgs,
    _global: &GlobalArgs,
    console: &Console,
) -> anyhow::Result<ExitStatus> {
    // Only the Model Documentation Form marks its items for audiences: another document given
    // one would claim a filtering it does not do.
    if args.audience.is_some() && args.kind != document::Kind::ModelDocumentation {
        return Err(anyhow::anyhow!(
            "`--audience` applies to `--kind model-documentation` only, not `--kind {}`",
            args.kind.as_str()
        ));
    }
    // Only an audit reports a check, the thing an attestation carries.
    if args.attestation.is_some() && args.kind != Kind::Audit {
        return Err(anyhow::anyhow!(
            "`--attestation` applies to `--kind audit` only, not `--kind {}`",
            args.kind.as_str()
        ));
    }
    let output = Output::new(args.output.clone(), args.force);
    output.check_writable().map_err(Error::from)?;
    walk::existing(&args.input).map_err(|e| Error::from(scan::ScanError::from(e)))?;
    let trust = args.trust.load().map_err(Error::from)?;
    let options = OpenOptions {
        trust,
        bundle: args.bundle.clone(),
        scan: scan_options(&args.walk, &args.hashing, Vec::new()),
    };
    let mut release = Release::open(&args.input, &options, console)?;
    if let Some(line) = &release.verification.problem {
        console.warn(line);
    }
    // The document is dated the day it is made; `--as-of` only moves the day dates are judged by.
    let today = today()?;
    let as_of = args.as_of.clone().unwrap_or_else(|| today.clone());
    if let Some(path) = &args.attestation {
        let doc = attested_audit(&release, path, &options.trust.keys, today)?;
        return write(args, &output, &doc, console);
    }
    // The audit reports the check `scelle check` makes with no options: every built-in pack,
    // the release stage, the declaration's own waivers.
    let check = if args.kind == Kind::Audit {
        let packs = builtin::resolve(&[], false).map_err(Error::from)?;
        Some(release.check(&CheckOptions {
            packs: &packs,
            as_of: &as_of,
            stage: Stage::default(),
            waiver_files: &[],
            declared_waivers: true,
        })?)
    } else {
        None
    };
    let cx = Context::new(&release, today, args.audience).as_of(as_of);
    let doc = document::build(args.kind, cx, check.as_ref())?;
    write(args, &output, &doc, console)
}

fn write(
    args: &ReportArgs,
    output: &Output,
    doc: &Document,
    console: &Console,
) -> anyhow::Result<ExitStatus> {
    for field in &doc.not_declared {
        console.warn(&format!("`{field}` is not declared: the document says so"));
    }
    let bytes = match args.format {
        DocumentFormat::Markdown => document::markdown(doc).into_bytes(),
        DocumentFormat::Html => document::html(doc).into_bytes(),
        DocumentFormat::Json => document::json(doc),
    };
    output.write(&bytes).map_err(Error::from)?;
    Ok(ExitStatus::Success)
}

/// The audit of the check an attestation signed: the attestation must verify with one of
/// `keys`, record a check (not a verification), and name the root digest of `release`.
fn attested_audit(
    release: &Release,
    path: &Path,
    keys: &[crate::sign::PublicKey],
    today: String,
) -> anyhow::Result<Document> {
    let name = crate::release::name_of(path);
    let attestation = match attest::Attestation::open(path, keys) {
        Ok(a) => a,
        Err(attest::AttestError::Rejected(problem)) => {
            return Err(anyhow::anyhow!("`{name}` does not verify: {problem}"));
        }
        Err(e) => return Err(Error::from(e).into()),
    };
    if attestation.kind != attest::Kind::Check {
        return Err(anyhow::anyhow!(
            "`{name}` attests a verification, not a check: an audit reports a check's results"
        ));
    }
    let attested_root = attestation.root().map(|s| s.digest.sha256.to_hex());
    if attested_root.is_none() || attested_root != release.subject.root {
        return Err(anyhow::anyhow!(
            "`{name}` is about another release: it attests root `{}`, this release's root is `{}`",
            attested_root.as_deref().unwrap_or("none"),
            release.subject.root.as_deref().unwrap_or("none")
        ));
    }
    // A verified bundle gives the signed root whatever the disk holds: the files in hand must
    // also match it, or the audit would vouch for files the attested check never saw.
    if release.verification.files_match == Some(false) {
        return Err(anyhow::anyhow!(
            "the files of this release differ from its signed record, so they are not the \
             release `{name}` attests; `scelle verify` names them"
        ));
    }
    let check = attestation.report();
    let as_of = check
        .get("as_of")
        .and_then(serde_json::Value::as_str)
        .map_or_else(|| today.clone(), str::to_owned);
    let files = release
        .files
        .as_ref()
        .and_then(|f| serde_json::to_value(f).ok());
    let (model, datasets) = match &release.statement {
        Parsed::Full(s) => (s.predicate.model.clone(), s.predicate.datasets.clone()),
        Parsed::Light(s) => (s.predicate.model.clone(), s.predicate.datasets.clone()),
    };
    let attested = audit::Attested {
        file: name,
        key_id: attestation.signer.id.clone(),
        algorithm: attestation.signer.algorithm.clone(),
        at: attestation.attested_at.clone(),
    };
    let evidence = audit::Evidence {
        check: &check,
        files: files.as_ref(),
        model: model.as_ref(),
        datasets: &datasets,
        attested: Some(&attested),
    };
    Ok(audit::from_evidence(
        Context::new(release, today, None).as_of(as_of),
        &evidence,
    ))
}
