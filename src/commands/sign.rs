//! `scelle sign PATH --key KEY`: scan (or take a manifest) and write a signed bundle.
//!
//! A release whose scan found errors (a pickle that runs code, a malformed file, a corrupted hub
//! blob) is not sealed unless `--allow-findings` says the publisher knows, or the declaration's
//! own `waivers:` (sealed with the release) accept those findings by code and file: the refusal is a
//! finding of the run (exit status 1, as `check` and `verify` fail a CI gate), not a failure to
//! run (2).

use crate::Error;
use crate::cli::SignArgs;
use crate::codes;
use crate::commands::check::today;
use crate::commands::scan::scan_options;
use crate::console::Console;
use crate::exit::ExitStatus;
use crate::finding::Severity;
use crate::manifest::read_manifest;
use crate::report::Output;
use crate::scan;
use crate::scan::ScanError;
use crate::sign::findings::{self, FindingCounts};
use crate::sign::{self, Algorithm, BundleFormat, LoadedKey, Passphrase, SignError};
use crate::waiver::Ledger;
use crate::walk::{self, LeftOut};

/// How many findings `sign` lists before it counts the rest.
const LISTED: usize = 10;

pub(crate) fn run(args: &SignArgs, console: &Console) -> anyhow::Result<ExitStatus> {
    // The release first: a missing folder is the first thing a newcomer needs to hear about.
    let release = walk::resolve_release(&args.dir, args.walk.revision.as_deref())
        .map_err(|e| Error::from(ScanError::from(e)))?;
    let single_file = fs_err::metadata(&release.path).is_ok_and(|m| m.is_file());
    say_snapshot(&args.dir, &release, console);
    let target = args
        .output
        .clone()
        .unwrap_or_else(|| args.format.default_path(&release.path, single_file));
    let output = Output::new(Some(target), args.force);
    output.check_writable().map_err(Error::from)?;
    if let Some(manifest) = &args.manifest {
        walk::input_file(manifest, "a manifest").map_err(|e| Error::from(ScanError::from(e)))?;
    }
    let passphrase = args
        .passphrase_env
        .clone()
        .map_or(Passphrase::Prompt, Passphrase::Env);
    let LoadedKey { key, warnings } =
        sign::load_private_key(&args.key, &passphrase).map_err(Error::from)?;
    for warning in &warnings {
        console.warn(warning);
    }
    if args.format == BundleFormat::Oms && key.algorithm() == Algorithm::Ed25519 {
        return Err(Error::from(SignError::OmsNeedsEcdsa(args.key.clone())).into());
    }
    let certified = match &args.cert {
        Some(cert) => Some(certificate_chain(args, cert, &key, console)?),
        None => None,
    };

    let (statement, raw) = if let Some(manifest) = &args.manifest {
        let (statement, bytes) = read_manifest(manifest).map_err(Error::from)?;
        (statement, Some(bytes))
    } else {
        let mut extra = Vec::new();
        if let Output::File { path, .. } = &output {
            extra.extend(walk::relative_inside(&release.path, path));
        }
        let mut walk_args = args.walk.clone();
        walk_args.revision = None;
        let options = scan_options(&walk_args, &args.hashing, extra);
        let progress = console.progress("hashing");
        let scan = scan::scan(&release.path, &options, &progress).map_err(Error::from)?;
        say_left_out(&scan.left_out, console);
        (scan.statement, None)
    };

    let Some(blocking) = gate_findings(args, &statement, console)? else {
        return Ok(ExitStatus::Failure);
    };

    let name = sign::release_name(&release.path, release.hub.as_ref());
    let root = statement.predicate.root.sha256;
    let files = statement.predicate.files.len();
    // The statement is never held as bytes: counted, streamed through the signature, then
    // streamed into the bundle's base64 (each time checked to be the same statement).
    let write = |w: &mut dyn std::io::Write| {
        sign::write_payload(w, args.format, &statement, raw.as_deref(), &name)
    };
    let mut sealed = sign::seal(&key, crate::input::MAX_STATEMENT, &write).map_err(Error::from)?;
    if let Some(chain) = &certified {
        sealed = sealed.with_chain(chain.certificates.clone());
    }
    output
        .write_with(|w| sealed.write_bundle(w, &write))
        .map_err(Error::from)?;
    let public = key.public_key();
    let written = match &output {
        Output::File { path, .. } => format!("`{}`", path.display()),
        Output::Stdout => "stdout".into(),
    };
    let sealed_with = if blocking.error > 0 {
        format!(
            "; sealed with {} (`--allow-findings`)",
            blocking.summary(Severity::Error)
        )
    } else {
        String::new()
    };
    let with = match &certified {
        Some(c) => format!(
            "certificate `{}` ({} key {})",
            c.leaf.signer.subject,
            public.algorithm(),
            public.key_id()
        ),
        None => format!("{} key {}", public.algorithm(), public.key_id()),
    };
    console.note(&format!(
        "signed {} file{} of `{name}` (root sha256:{root}) with {with}: wrote {written}{sealed_with}",
        files,
        if files == 1 { "" } else { "s" },
    ));
    Ok(ExitStatus::Success)
}

/// Reads and checks `--cert` and `--cert-chain` for `key` (docs/signing.md, "The certificate
/// method"): what the bundle carries, or why the certificate cannot sign. Checked with the
/// wall clock, as a verifier will.
fn certificate_chain(
    args: &SignArgs,
    cert: &std::path::Path,
    key: &sign::PrivateKey,
    console: &Console,
) -> anyhow::Result<sign::x509::SigningChain> {
    use crate::sign::trust::read_certificates;
    if key.algorithm() == Algorithm::Ed25519 {
        return Err(Error::from(SignError::CertificateNeedsEcdsa(args.key.clone())).into());
    }
    let mut leaf = read_certificates(&[cert.to_path_buf()]).map_err(Error::from)?;
    if leaf.len() != 1 {
        return Err(Error::from(SignError::NotOneCertificate {
            path: cert.to_path_buf(),
            count: leaf.len(),
        })
        .into());
    }
    let leaf = leaf.remove(0);
    let chain = read_certificates(&args.cert_chain).map_err(Error::from)?;
    let checked =
        sign::x509::check_for_signing(&leaf, &chain, jiff::Timestamp::now()).map_err(|reason| {
            Error::from(SignError::Certificate {
                cert: cert.to_path_buf(),
                reason,
            })
        })?;
    if checked.leaf.key.key_id() != key.public_key().key_id() {
        return Err(Error::from(SignError::CertificateKeyMismatch {
            key: args.key.clone(),
            cert: cert.to_path_buf(),
            subject: checked.leaf.signer.subject.clone(),
        })
        .into());
    }
    for root in &checked.dropped_roots {
        console.note(&format!(
            "left the self-signed root `{root}` out of the bundle: a verifier must bring its own trust anchor (`--cert-root`)"
        ));
    }
    Ok(checked)
}

/// Lists the scan's findings and decides whether the release may be sealed: `None` when error
/// findings that no declared waiver accepts block it (said on stderr), else the counts of the
/// error findings sealed knowingly (with `--allow-findings`).
fn gate_findings(
    args: &SignArgs,
    statement: &crate::manifest::Statement,
    console: &Console,
) -> anyhow::Result<Option<FindingCounts>> {
    let files = &statement.predicate.files;
    let counts = FindingCounts::of_files(files);
    let source = match &args.manifest {
        Some(m) => format!("the manifest `{}` carries", m.display()),
        None => format!("the scan of `{}` found", args.dir.display()),
    };
    let listing = match &args.manifest {
        Some(_) => "`scelle scan PATH --format table`".to_owned(),
        None => format!("`scelle scan {} --format table`", args.dir.display()),
    };
    list_findings(
        &findings::worth_showing(files),
        &counts,
        (&source, &listing),
        console,
    );
    let blocking = unwaived_errors(statement, console)?;
    if blocking.error > 0 && !args.allow_findings {
        console.error(
            &format!(
                "refusing to seal `{}`: {source} {}",
                args.dir.display(),
                blocking.summary(Severity::Error)
            ),
            Some(
                "fix or remove those files, or pass `--allow-findings` to seal the release with its findings recorded in the signed manifest",
            ),
        );
        return Ok(None);
    }
    Ok(Some(blocking))
}

/// The error findings that block sealing: those the declaration's own `waivers:` (sealed with
/// the release, so an auditor sees them) do not cover. A waiver past its expiry covers nothing.
fn unwaived_errors(
    statement: &crate::manifest::Statement,
    console: &Console,
) -> anyhow::Result<FindingCounts> {
    let errors = || {
        statement.predicate.files.iter().flat_map(|f| {
            f.findings
                .iter()
                .filter(|x| x.severity == Severity::Error)
                .map(move |x| (f.path.as_str(), x))
        })
    };
    let waivers: Vec<_> =
        crate::waiver::load(&[], true, statement.predicate.declared.as_ref(), None)?
            .into_iter()
            .filter(|w| codes::is_code_like(&w.id))
            .collect();
    if waivers.is_empty() || errors().next().is_none() {
        return Ok(FindingCounts::of(errors().map(|(_, f)| f)));
    }
    let mut ledger = Ledger::new(waivers, &today()?);
    let mut waived = 0usize;
    let blocking = FindingCounts::of(
        errors()
            .filter(|(path, f)| {
                let judged = ledger.judge(&f.rule, &[(*path).to_owned()]);
                if let Some(note) = &judged.note {
                    console.note(&format!("`{path}`: {note}"));
                }
                waived += usize::from(judged.waived);
                !judged.waived
            })
            .map(|(_, f)| f),
    );
    if waived > 0 {
        console.note(&format!(
            "{waived} error finding{} waived by the `waivers:` of `scelle.yaml` (sealed with the release)",
            if waived == 1 { "" } else { "s" }
        ));
    }
    Ok(blocking)
}

/// The scan's findings at warning level or above, one line each, most severe first, the rest
/// counted.
fn list_findings(
    shown: &[&crate::finding::Finding],
    counts: &FindingCounts,
    (source, listing): (&str, &str),
    console: &Console,
) {
    if shown.is_empty() {
        return;
    }
    console.warn(&format!("{source} {}", counts.summary(Severity::Warning)));
    for f in shown.iter().take(LISTED) {
        console.note(&findings::line(f));
    }
    if shown.len() > LISTED {
        console.note(&format!(
            "  ... and {} more ({listing} lists every finding)",
            shown.len() - LISTED
        ));
    }
}

/// Says which snapshot a hub cache folder stood for.
pub(crate) fn say_snapshot(given: &std::path::Path, release: &walk::Resolved, console: &Console) {
    if release.path.as_path() == given {
        return;
    }
    if let Some(h) = &release.hub {
        let via = h
            .revision
            .as_deref()
            .map_or_else(String::new, |r| format!(" (`{r}`)"));
        console.note(&format!(
            "`{}` is the Hugging Face cache of `{}`: using snapshot {}{via}",
            given.display(),
            h.repo,
            h.commit
        ));
    }
}

/// Names what the walk left out by content: cache folders always, bundles with `-v`.
pub(crate) fn say_left_out(left_out: &[LeftOut], console: &Console) {
    for l in left_out {
        if l.worth_a_note() {
            console.note(&l.to_string());
        } else {
            console.info(&l.to_string());
        }
    }
}
