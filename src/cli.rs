//! The command line, declared with clap's derive API. Values are validated here (paths under
//! `--ignore`, worker counts), so commands never see a raw string they must re-check.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::console::ColorChoice;
use crate::finding::Severity;
use crate::manifest::RelPath;
use crate::policy::Stage;
use crate::sign::{Algorithm, BundleFormat};

/// Seal open-model releases: hash every weight and dataset file, record what each file is,
/// sign the record, verify it byte for byte.
#[derive(Debug, Parser)]
#[command(
    name = "scelle",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(
    after_help = "Exit status: 0 ran and found nothing failing, 1 ran and found a failure, \
                        2 could not run."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Say more on stderr (repeatable)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Say nothing on stderr but errors; no progress bar
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// When to use colour
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make a signing key pair: NAME.key (private, mode 0600) and NAME.pub
    #[command(after_help = examples::KEYGEN)]
    Keygen(KeygenArgs),
    /// Walk, hash and classify a release folder; write the unsigned manifest
    #[command(after_help = examples::SCAN)]
    Scan(ScanArgs),
    /// Seal a release: scan it and write a signed bundle
    #[command(after_help = examples::SIGN)]
    Sign(SignArgs),
    /// Check a bundle's signature and re-hash the release against it
    #[command(after_help = examples::VERIFY)]
    Verify(VerifyArgs),
    /// Check a release against the EU AI Act and GDPR policy packs
    #[command(after_help = examples::CHECK)]
    Check(CheckArgs),
    /// Write the documents the law asks for from a release: training summary, model
    /// documentation, Annex XI and XII, the auditor's report
    #[command(after_help = examples::REPORT)]
    Report(ReportArgs),
    /// Compare two releases: files, model, datasets, declared fields, pack results
    ///
    /// Says when the changes need a new public summary of training content or updated model
    /// documentation, and why (docs/diff.md). Exit status: 0 when the comparison ran, whatever
    /// differs (read `summary.identical` and `conclusions` in JSON); 1 when `--key` was given
    /// and a release could not be verified with it; 2 when the comparison could not run (a
    /// missing or malformed input, a bad key).
    #[command(after_help = examples::DIFF)]
    Diff(DiffArgs),
    /// Write the release as an AI bill of materials: CycloneDX 1.6/1.7 or SPDX 3.0.1
    ///
    /// The model, every file with its SHA-256, the declared datasets, base models, training
    /// energy and the signature, mapped field by field (docs/export.md). Says on stderr, and in
    /// the document, how much of what Annex XI and XII ask for the declaration fills.
    #[command(after_help = examples::EXPORT)]
    Export(ExportArgs),
    /// List, explain, lint and test policy packs
    #[command(subcommand, after_help = examples::POLICY)]
    Policy(PolicyCommand),
    /// Write a commented `scelle.yaml`, filled from what the release already says
    #[command(after_help = examples::INIT)]
    Init(InitArgs),
    /// Print a shell completion script
    #[command(after_help = examples::COMPLETIONS)]
    Completions(CompletionsArgs),
    /// Print the man page in roff, or write one page per command to a folder
    #[command(after_help = examples::MAN)]
    Man(ManArgs),
}

/// Examples shown after each command's help: real invocations (a test parses every one).
pub mod examples {
    pub const KEYGEN: &str = "Examples:
  scelle keygen -o publisher
  scelle keygen -a p256 -o oms
  scelle keygen -o publisher --passphrase-env SCELLE_PASSPHRASE";
    pub const SCAN: &str = "Examples:
  scelle scan release/
  scelle scan release/ --format table
  scelle scan release/ -o manifest.json --ignore checkpoints
  scelle scan release/ --format sarif --waivers ci/waivers.yaml --fail-on error -o scan.sarif";
    pub const SIGN: &str = "Examples:
  scelle sign release/ --key publisher.key
  scelle sign release/ --key oms.key --format oms
  scelle sign release/ --key publisher.key --manifest manifest.json
  scelle sign release/ --format oms --key signer.key --cert signer.pem --cert-chain intermediate.pem";
    pub const VERIFY: &str = "Examples:
  scelle verify release/ --key publisher.pub
  scelle verify release/ --key ref.pub --bundle release/model.sig
  scelle verify release/ --key publisher.pub --format json -o verify.json
  scelle verify audit.intoto.json --key auditor.pub";
    pub const CHECK: &str = "Examples:
  scelle check release/ --stage pre-sign
  scelle check release/ --key publisher.pub --format sarif -o scelle.sarif
  scelle check release/ --policy ci/our-pack.yaml --waivers ci/waivers.yaml
  scelle check release/ --no-builtin --policy gdpr-training-data --as-of 2027-08-02";
    pub const REPORT: &str =
        "Exit status: 0 the document was written (whatever it reports: `check` is \
the gate), 2 could not run.

Examples:
  scelle report release/ --kind training-summary -o training-summary.md
  scelle report release/ --key publisher.pub --kind model-documentation --audience downstream
  scelle report release/ --key publisher.pub --kind audit --format html -o audit.html
  scelle report release.sigstore.json --key publisher.pub --kind annex-xi --format json";
    pub const EXPORT: &str =
        "Exit status: 0 the document was written, 1 `--key` (or another trust flag) was given and \
the release did not verify with it, or the declaration fills less than `--min-completeness`, 2 \
could not run.

Examples:
  scelle export release/ --format cyclonedx -o release.cdx.json
  scelle export release/ --key publisher.pub --format cyclonedx --spec-version 1.7
  scelle export release.sigstore.json --key publisher.pub --format spdx -o release.spdx.json
  scelle export release/ --format spdx --min-completeness 80 -o release.spdx.json";
    pub const DIFF: &str = "Examples:
  scelle diff v1/ v2/
  scelle diff v1.sigstore.json v2/ --key publisher.pub --format markdown
  scelle diff v1/manifest.json v2/ --format json --as-of 2027-08-02 -o diff.json";
    pub const POLICY: &str = "Examples:
  scelle policy list
  scelle policy explain RI-SIGN-01
  scelle policy explain file/code-on-load
  scelle policy test --require-coverage policies/";
    pub const POLICY_LIST: &str = "Examples:
  scelle policy list
  scelle policy list --format json
  scelle policy list --policy ci/our-pack.yaml";
    pub const POLICY_EXPLAIN: &str = "Examples:
  scelle policy explain AIA-53-1-c-01
  scelle policy explain file/code-on-load
  scelle policy explain release-integrity
  scelle policy explain waiver";
    pub const POLICY_LINT: &str = "Examples:
  scelle policy lint policies/
  scelle policy lint ci/our-pack.yaml";
    pub const POLICY_TEST: &str = "Examples:
  scelle policy test policies/
  scelle policy test --require-coverage policies/
  scelle policy test ci/our-pack.yaml --format json";
    pub const INIT: &str = "Examples:
  scelle init release/
  scelle init release/ -o -
  scelle init release/ --force";
    pub const COMPLETIONS: &str = "Examples:
  scelle completions bash
  scelle completions zsh
  scelle completions fish";
    pub const MAN: &str = "Examples:
  scelle man
  scelle man -o man/";
}

/// `scelle completions`
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `scelle man`
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `scelle.1` and one `scelle-COMMAND.1` per command into DIR instead of printing
    /// `scelle.1`
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Replace pages that exist
    #[arg(long)]
    pub force: bool,
}

/// `scelle check`
#[derive(Debug, Args)]
// Each flag is one independent yes/no a user types; no state machine hides in them.
#[allow(clippy::struct_excessive_bools)]
pub struct CheckArgs {
    /// A release folder (scanned, with its `scelle.yaml`), a manifest, or a bundle
    #[arg(default_value = ".")]
    pub input: PathBuf,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// The bundle of a release folder (default: `scelle.sigstore.json`, then `model.sig`)
    #[arg(short, long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// Add a pack: a pack file, its folder, or a built-in name with `--no-builtin` (repeatable)
    #[arg(short, long, value_name = "NAME|PATH")]
    pub policy: Vec<String>,
    /// Run only the packs given with `--policy`, not the built-in ones
    #[arg(long)]
    pub no_builtin: bool,
    /// When the check is made: `pre-sign` (before signing: the signature rules do not apply) or
    /// `release` (the published release: every rule applies)
    #[arg(long, value_enum, default_value_t = Stage::Release, value_name = "STAGE")]
    pub stage: Stage,
    /// Check as of this date, YYYY-MM-DD (default: today, or `SOURCE_DATE_EPOCH`)
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    pub as_of: Option<String>,
    /// Exit 1 when a failure at or above this severity is found
    #[arg(long, value_enum, default_value_t = Severity::Error, value_name = "SEVERITY")]
    pub fail_on: Severity,
    /// Report format
    #[arg(long, value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,
    /// Write the report to FILE (atomically); with `--attest`, the attestation
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists
    #[arg(long)]
    pub force: bool,
    /// Also list the rules that passed or did not apply (table and Markdown)
    #[arg(long)]
    pub all: bool,
    /// Waive rules or finding codes as FILE says: `waivers:` entries with `id`, `subjects`,
    /// `reason`, `approver`, `expires` (repeatable; adds to the `waivers:` of `scelle.yaml`)
    #[arg(long, value_name = "FILE")]
    pub waivers: Vec<PathBuf>,
    /// Ignore the `waivers:` section of the release's `scelle.yaml` (an auditor's view)
    #[arg(long)]
    pub no_declared_waivers: bool,
    /// SARIF: the folder result paths are relative to, for code scanning (default: the git
    /// repository holding the release, else the release folder)
    #[arg(long, value_name = "DIR")]
    pub sarif_root: Option<PathBuf>,
    #[command(flatten)]
    pub attest: AttestArgs,
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub hashing: HashArgs,
}

/// Arguments of `scelle report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The release: a folder, a manifest or a bundle
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    /// The document to write
    #[arg(long, value_enum, value_name = "KIND")]
    pub kind: crate::document::Kind,
    /// Who a model documentation is for: each item of the form goes to some audiences only
    #[arg(long, value_enum, value_name = "WHO")]
    pub audience: Option<crate::document::Audience>,
    /// Output format
    #[arg(long, value_enum, default_value_t = DocumentFormat::Markdown, value_name = "FORMAT")]
    pub format: DocumentFormat,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// The bundle of a release folder (default: `scelle.sigstore.json`, then `model.sig`)
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// Judge dates as of this day (`YYYY-MM-DD`; default: today, or `SOURCE_DATE_EPOCH`)
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg, conflicts_with = "attestation")]
    pub as_of: Option<String>,
    /// With `--kind audit`: report the check this attestation (from `check --attest`) signed,
    /// rather than checking now; it must verify with a `--key` and name this release's root
    #[arg(long, value_name = "FILE")]
    pub attestation: Option<PathBuf>,
    /// Write to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists
    #[arg(long, requires = "output")]
    pub force: bool,
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub hashing: HashArgs,
}

/// Formats `report` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocumentFormat {
    /// Markdown, for a model card or a web page
    Markdown,
    /// One self-contained HTML page (no script, no network), printable on A4
    Html,
    /// The same content as data (`docs/report.schema.json`)
    Json,
}

/// Arguments of `scelle export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The release: a folder, a manifest or a bundle
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    /// The bill of materials to write
    #[arg(long, value_enum, default_value_t = crate::export::Format::Cyclonedx, value_name = "FORMAT")]
    pub format: crate::export::Format,
    /// The format's version: `1.6` (default) or `1.7` for CycloneDX, `3.0.1` for SPDX
    #[arg(long, value_enum, value_name = "VERSION")]
    pub spec_version: Option<crate::export::SpecVersion>,
    /// Exit 1 when the declaration fills less than PERCENT of what Annex XI and XII ask for
    /// (the document is written all the same)
    #[arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub min_completeness: Option<u8>,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// The bundle of a release folder (default: `scelle.sigstore.json`, then `model.sig`)
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// Write to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists
    #[arg(long, requires = "output")]
    pub force: bool,
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub hashing: HashArgs,
}

/// Arguments of `scelle diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier release: a folder, a manifest or a bundle
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The later release
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = DiffFormat::Table, value_name = "FORMAT")]
    pub format: DiffFormat,
    /// Run the packs on both releases as of this day (`YYYY-MM-DD`; default: today, or
    /// `SOURCE_DATE_EPOCH`)
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    pub as_of: Option<String>,
    /// Write to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists
    #[arg(long, requires = "output")]
    pub force: bool,
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub hashing: HashArgs,
}

/// Formats `diff` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// A human summary
    Table,
    /// The differences as data
    Json,
    /// Markdown, for a release note or a pull request
    Markdown,
}

/// The help section of the trust flags, apart from the command's own options.
const TRUST: &str = "Whom to trust (a key, a certificate root, or a keyless signer)";

/// Whom to trust when a bundle is verified: keys, certificate anchors, or a keyless identity.
#[derive(Debug, Args, Clone, Default)]
#[command(group(clap::ArgGroup::new("keyless_identity").args(["identity", "identity_regexp"])))]
pub struct TrustArgs {
    /// A trusted public key: an SPKI PEM file, `env:VAR` or `-` (stdin); repeat to accept any
    /// of several keys
    #[arg(short, long, value_name = "PUB", help_heading = TRUST)]
    pub key: Vec<PathBuf>,
    /// Trust anchors for bundles signed with an X.509 certificate: a PEM file of root
    /// certificates (repeatable); the chain must end at one of them
    #[arg(long, value_name = "PEM", help_heading = TRUST)]
    pub cert_root: Vec<PathBuf>,
    /// Intermediate certificates that may complete a bundle's chain (PEM, repeatable); never
    /// trusted on their own
    #[arg(long, value_name = "PEM", requires = "cert_root", help_heading = TRUST)]
    pub cert_chain: Vec<PathBuf>,
    /// Accept a keyless (Sigstore) signature only from this identity: the certificate's email
    /// address or URI, exactly
    #[arg(
        long,
        value_name = "EMAIL|URI",
        requires = "issuer",
        conflicts_with = "identity_regexp"
    , help_heading = TRUST)]
    pub identity: Option<String>,
    /// Accept a keyless signature from an identity matching this regular expression (the whole
    /// identity must match)
    #[arg(long, value_name = "REGEX", requires = "issuer", help_heading = TRUST)]
    pub identity_regexp: Option<String>,
    /// The OIDC issuer a keyless signer's identity must come from
    /// (`https://token.actions.githubusercontent.com`, `https://accounts.google.com`, ...)
    #[arg(long, value_name = "URL", requires = "keyless_identity", help_heading = TRUST)]
    pub issuer: Option<String>,
    /// A Sigstore `trusted_root.json` to verify keyless bundles (and managed-key bundles with a
    /// log entry) against, instead of the public-good root built into scelle (a private
    /// Sigstore instance)
    #[arg(long, value_name = "FILE", help_heading = TRUST)]
    pub trusted_root: Option<PathBuf>,
}

impl TrustArgs {
    /// Reads what these flags name.
    pub fn load(&self) -> Result<crate::sign::Trust, crate::sign::trust::TrustError> {
        crate::sign::trust::load(&crate::sign::trust::TrustRequest {
            keys: &self.key,
            cert_roots: &self.cert_root,
            cert_chain: &self.cert_chain,
            identity: self.identity.as_deref(),
            identity_regexp: self.identity_regexp.as_deref(),
            issuer: self.issuer.as_deref(),
            trusted_root: self.trusted_root.as_deref(),
        })
    }
}

/// Signing the result of a run (`check`, `verify`) as an attestation.
#[derive(Debug, Args, Clone, Default)]
pub struct AttestArgs {
    /// Sign the result with this private key as an in-toto attestation, written to `-o FILE`
    /// (the report then goes to stdout)
    #[arg(long, value_name = "KEY")]
    pub attest: Option<PathBuf>,
    /// Read the attesting key's passphrase from this environment variable
    #[arg(long, value_name = "VAR", requires = "attest")]
    pub attest_passphrase_env: Option<String>,
}

/// Formats of `scelle check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Table,
    Json,
    Sarif,
    Junit,
    Markdown,
}

/// `scelle policy`
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// List the packs and their rule counts
    #[command(after_help = examples::POLICY_LIST)]
    List(PolicyListArgs),
    /// Say what a rule or a finding code checks, why, its severity and the fix
    #[command(after_help = examples::POLICY_EXPLAIN)]
    Explain(PolicyExplainArgs),
    /// Check pack files: load errors, unknown fields, duplicate ids, rules that never apply
    #[command(after_help = examples::POLICY_LINT)]
    Lint(PolicyLintArgs),
    /// Run the `tests:` cases of pack files
    #[command(after_help = examples::POLICY_TEST)]
    Test(PolicyTestArgs),
}

/// `scelle policy list`
#[derive(Debug, Args)]
pub struct PolicyListArgs {
    /// Pack files (or folders) to list besides the built-in packs
    #[arg(short, long, value_name = "PATH")]
    pub policy: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

/// `scelle policy explain`
#[derive(Debug, Args)]
pub struct PolicyExplainArgs {
    /// A rule id (`AIA-53-1-c-01`), a finding code (`file/code-on-load`), a pack name for all
    /// its rules, or a code family (`file`, `verify`, `waiver`) for all its codes
    #[arg(value_name = "RULE|CODE")]
    pub rule: String,
    /// Look in these pack files (or folders) too, besides the built-in packs
    #[arg(short, long, value_name = "PATH")]
    pub policy: Vec<String>,
}

/// `scelle policy lint`
#[derive(Debug, Args)]
pub struct PolicyLintArgs {
    /// Pack files, or folders holding `*/pack.yaml`
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// `scelle policy test`
#[derive(Debug, Args)]
pub struct PolicyTestArgs {
    /// Pack files, or folders holding `*/pack.yaml`
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Fail when a rule has no passing case or no failing case
    #[arg(long)]
    pub require_coverage: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

/// `scelle init`
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The release folder
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Replace an existing `scelle.yaml`
    #[arg(long)]
    pub force: bool,
    /// Write the declaration to FILE instead of DIR/scelle.yaml (`-` for stdout)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write every field of the schema, not only those the built-in packs read for this release
    #[arg(long)]
    pub full: bool,
}

/// `scelle keygen`
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Key algorithm (OMS bundles need an ECDSA key: p256, p384 or p521)
    #[arg(short, long, value_enum, default_value_t = Algorithm::Ed25519)]
    pub algorithm: Algorithm,
    /// Write NAME.key and NAME.pub
    #[arg(short, long, value_name = "NAME")]
    pub output: PathBuf,
    /// Replace existing key files
    #[arg(long)]
    pub force: bool,
    /// Encrypt the private key with the passphrase held in this environment variable
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
}

/// `scelle sign`
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The release: a folder, a single weights file, or a Hugging Face cache folder
    /// (`models--ORG--NAME`, whose `refs/main` snapshot is signed)
    pub dir: PathBuf,
    /// The private key: a PEM file (PKCS#8 or SEC1, optionally encrypted), `env:VAR` for PEM
    /// text in an environment variable, or `-` for stdin
    #[arg(short, long, value_name = "KEY")]
    pub key: PathBuf,
    /// Bundle format
    #[arg(long, value_enum, default_value_t = BundleFormat::Scelle)]
    pub format: BundleFormat,
    /// Write the bundle to FILE (default: DIR/scelle.sigstore.json, or DIR/model.sig with
    /// --format oms; for a single file, FILE.sigstore.json or FILE.sig); `-` for stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the bundle if it exists
    #[arg(long)]
    pub force: bool,
    /// Seal the release even when the scan found errors (a code-running pickle, a malformed
    /// file, a corrupted hub blob); the findings stay in the signed manifest
    #[arg(long)]
    pub allow_findings: bool,
    /// Sign this manifest (from `scelle scan -o`) instead of scanning DIR
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Read the key's passphrase from this environment variable (default: ask on the terminal;
    /// needed with `--key -`, whose stdin carries the key)
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
    /// Sign with the OMS certificate method: the signing certificate of `--key` (PEM), carried
    /// in the bundle instead of the key id; checked before signing (docs/signing.md)
    #[arg(long, value_name = "PEM")]
    pub cert: Option<PathBuf>,
    /// Intermediate certificates to carry after `--cert`, in order (PEM, repeatable); a
    /// self-signed root among them is checked against but left out of the bundle
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub cert_chain: Vec<PathBuf>,
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub hashing: HashArgs,
}

/// `scelle verify`
#[derive(Debug, Args)]
// Each bool is one independent command-line switch.
#[allow(clippy::struct_excessive_bools)]
// Something must be trusted: a key, a certificate anchor, or a keyless identity.
#[command(group(clap::ArgGroup::new("trusted").required(true).multiple(true)
    .args(["key", "cert_root", "identity", "identity_regexp"])))]
pub struct VerifyArgs {
    /// The release: a folder, a single file, or a Hugging Face cache folder
    /// (`models--ORG--NAME`, whose `refs/main` snapshot is verified); with `--attestation`
    /// and no `--bundle`, an attestation made with `--attest`, verified on its own
    pub path: PathBuf,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// The bundle (default: the one of DIR/scelle.sigstore.json and DIR/model.sig whose key
    /// hint names a given key; for a single file, FILE.sigstore.json, FILE.sig or model.sig
    /// beside it)
    #[arg(short, long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Write the report to FILE instead of stdout; with `--attest`, the attestation
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists
    #[arg(long)]
    pub force: bool,
    /// Check the signature and print the signed manifest, without hashing the release
    #[arg(long)]
    pub manifest_only: bool,
    /// Report files the bundle does not list without failing on them
    #[arg(long)]
    pub ignore_unsigned_files: bool,
    /// Verify an attestation made with `--attest` (PATH, or `--bundle FILE` against the release
    /// folder PATH) instead of a release's bundle: never inferred from the file, so that an
    /// attestation cannot pass for a release
    #[arg(long, conflicts_with_all = ["manifest_only", "ignore_unsigned_files"])]
    pub attestation: bool,
    #[command(flatten)]
    pub attest: AttestArgs,
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub hashing: HashArgs,
}

/// Formats of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// For people
    Table,
    /// For machines (documented, with `schema_version`)
    Json,
}

/// `scelle scan`
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The release folder
    pub dir: PathBuf,
    /// Write to FILE instead of stdout (atomically)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists
    #[arg(long)]
    pub force: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = ScanFormat::Json)]
    pub format: ScanFormat,
    /// Exit 1 when a finding on a file (not waived) is at or above this severity, or a waiver
    /// has expired (default: findings never fail a scan)
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// Waive finding codes as FILE says: `waivers:` entries with `id`, `subjects`, `reason`,
    /// `approver`, `expires` (repeatable; adds to the `waivers:` of `scelle.yaml`)
    #[arg(long, value_name = "FILE")]
    pub waivers: Vec<PathBuf>,
    /// Ignore the `waivers:` section of the release's `scelle.yaml`
    #[arg(long)]
    pub no_declared_waivers: bool,
    /// SARIF: the folder result paths are relative to (default: the git repository holding the
    /// release, else the release folder)
    #[arg(long, value_name = "DIR")]
    pub sarif_root: Option<PathBuf>,
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub hashing: HashArgs,
}

/// How a release is walked; shared by every command that reads a release folder.
#[derive(Debug, Args, Clone, Default)]
pub struct WalkArgs {
    /// Leave out PATH (relative to the release folder) and everything below it (repeatable)
    #[arg(long = "ignore", value_name = "PATH", value_parser = parse_release_path)]
    pub ignore: Vec<RelPath>,
    /// Follow symbolic links whose target stays inside the release (default: links are errors)
    #[arg(long)]
    pub allow_symlinks: bool,
    /// In a Hugging Face cache folder (`models--ORG--NAME`): the branch under `refs/` or the
    /// commit under `snapshots/` to use (default: `main`)
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,
}

/// Hashing resources.
#[derive(Debug, Args, Clone, Default)]
pub struct HashArgs {
    /// Hashing workers (default: one per core)
    #[arg(short, long, value_name = "N", value_parser = parse_jobs)]
    pub jobs: Option<NonZeroUsize>,
    /// Hash and classify only, without the format inspectors (for benchmarks)
    #[arg(long, hide = true)]
    pub no_inspect: bool,
}

/// Formats `scan` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// The manifest (in-toto Statement v1)
    Json,
    /// A human summary
    Table,
    /// The findings on files as SARIF 2.1.0, for code-scanning dashboards
    Sarif,
}

/// A worker count: a whole number, at least 1.
fn parse_jobs(raw: &str) -> Result<NonZeroUsize, String> {
    match raw.trim().parse::<usize>() {
        Ok(n) => NonZeroUsize::new(n).ok_or_else(|| "give at least 1 worker".to_owned()),
        Err(_) => Err("give a whole number of workers, at least 1".to_owned()),
    }
}

fn parse_date_arg(raw: &str) -> Result<String, String> {
    crate::manifest::descriptor::check_date(raw)?;
    Ok(raw.to_owned())
}

/// A release-relative path given on the command line: `./` prefixes and trailing `/` are
/// tolerated, anything that could leave the release is refused.
fn parse_release_path(raw: &str) -> Result<RelPath, String> {
    let mut s = raw;
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    let s = s.trim_end_matches('/');
    RelPath::new(s).map_err(|e| format!("{e}; give a path relative to the release folder"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every command, down to `policy explain`, with its path (`scelle policy explain`).
    fn commands(cmd: &clap::Command, path: &str, out: &mut Vec<(String, clap::Command)>) {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let path = format!("{path} {}", sub.get_name());
            out.push((path.clone(), sub.clone()));
            commands(sub, &path, out);
        }
    }

    #[test]
    fn every_command_shows_real_examples_after_its_help() {
        let mut all = Vec::new();
        commands(&Cli::command(), "scelle", &mut all);
        assert!(all.len() >= 13, "{}", all.len());
        for (path, cmd) in all {
            let help = cmd
                .get_after_help()
                .map(ToString::to_string)
                .unwrap_or_default();
            let examples: Vec<&str> = help
                .lines()
                .skip_while(|l| *l != "Examples:")
                .skip(1)
                .collect();
            assert!(
                (2..=4).contains(&examples.len()) || (path == "scelle man" && examples.len() == 2),
                "`{path}` shows {} examples",
                examples.len()
            );
            for example in examples {
                let line = example.trim_start();
                assert!(
                    line.starts_with(&format!("{path} ")) || line == path,
                    "`{path}`: an example of another command: {line}"
                );
                let argv: Vec<&str> = line.split_whitespace().collect();
                if let Err(e) = Cli::try_parse_from(&argv) {
                    panic!("`{line}` does not parse: {e}");
                }
            }
        }
    }

    #[test]
    fn release_paths_are_normalised_or_refused() {
        assert_eq!(parse_release_path("./a/b/").unwrap().as_str(), "a/b");
        assert!(parse_release_path("../x").is_err());
        assert!(parse_release_path("/abs").is_err());
        assert!(parse_release_path("").is_err());
    }

    #[test]
    fn worker_counts_are_at_least_one() {
        assert_eq!(parse_jobs("3").unwrap().get(), 3);
        assert!(parse_jobs("0").unwrap_err().contains("at least 1"));
        assert!(parse_jobs("-1").unwrap_err().contains("at least 1"));
        assert!(parse_jobs("many").unwrap_err().contains("at least 1"));
    }
}
