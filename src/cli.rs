//! The command line, declared with clap's derive API. Values are validated here (paths under
//! `--ignore`, worker counts), so commands never see a raw string they must re-check.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::console::ColorChoice;
use crate::finding::Severity;
use crate::manifest::RelPath;
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
    Keygen(KeygenArgs),
    /// Walk, hash and classify a release folder; write the unsigned manifest
    Scan(ScanArgs),
    /// Seal a release: scan it and write a signed bundle
    Sign(SignArgs),
    /// Check a bundle's signature and re-hash the release against it
    Verify(VerifyArgs),
    /// Check a release against the EU AI Act and GDPR policy packs
    Check(CheckArgs),
    /// List, explain, lint and test policy packs
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Write a commented `scelle.yaml`, filled from what the release already says
    Init(InitArgs),
}

/// `scelle check`
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A release folder (scanned, with its `scelle.yaml`), a manifest, or a bundle
    #[arg(default_value = ".")]
    pub input: PathBuf,
    /// Verify the bundle with this public key first (repeatable); without one, the release
    /// counts as unverified
    #[arg(short, long, value_name = "PUB")]
    pub key: Vec<PathBuf>,
    /// The bundle of a release folder (default: `scelle.sigstore.json`, then `model.sig`)
    #[arg(short, long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// A built-in pack name, a pack file or its folder (repeatable; default: every built-in pack)
    #[arg(short, long, value_name = "NAME|PATH")]
    pub policy: Vec<String>,
    /// Check as of this date, YYYY-MM-DD (default: today, or `SOURCE_DATE_EPOCH`)
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    pub as_of: Option<String>,
    /// Exit 1 when a failure at or above this severity is found
    #[arg(long, value_enum, default_value_t = Severity::Error, value_name = "SEVERITY")]
    pub fail_on: Severity,
    /// Report format
    #[arg(long, value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,
    /// Write the report to FILE (atomically)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists
    #[arg(long)]
    pub force: bool,
    /// Also list the rules that passed or did not apply (table and Markdown)
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub hashing: HashArgs,
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
    List(PolicyListArgs),
    /// Say what a rule checks, when it applies, the article and the fix
    Explain(PolicyExplainArgs),
    /// Check pack files: load errors, unknown fields, duplicate ids, rules that never apply
    Lint(PolicyLintArgs),
    /// Run the `tests:` cases of pack files
    Test(PolicyTestArgs),
}

/// `scelle policy list`
#[derive(Debug, Args)]
pub struct PolicyListArgs {
    /// Pack files to list too
    #[arg(short, long, value_name = "NAME|PATH")]
    pub policy: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

/// `scelle policy explain`
#[derive(Debug, Args)]
pub struct PolicyExplainArgs {
    /// A rule id (`AIA-53-1-c-01`), or a pack name for all its rules
    pub rule: String,
    /// Look in these packs (default: every built-in pack)
    #[arg(short, long, value_name = "NAME|PATH")]
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
    /// The release folder
    pub dir: PathBuf,
    /// The private key (PKCS#8 or SEC1 PEM, optionally encrypted)
    #[arg(short, long, value_name = "KEY")]
    pub key: PathBuf,
    /// Bundle format
    #[arg(long, value_enum, default_value_t = BundleFormat::Scelle)]
    pub format: BundleFormat,
    /// Write the bundle to FILE (default: DIR/scelle.sigstore.json, or DIR/model.sig with --format oms); `-` for stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the bundle if it exists
    #[arg(long)]
    pub force: bool,
    /// Sign this manifest (from `scelle scan -o`) instead of scanning DIR
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Read the key's passphrase from this environment variable (default: ask on the terminal)
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub hashing: HashArgs,
}

/// `scelle verify`
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The release folder (or the file, for a single-file OMS bundle)
    pub path: PathBuf,
    /// A trusted public key (SPKI PEM); repeat to accept any of several keys
    #[arg(short, long, value_name = "PUB", required = true)]
    pub key: Vec<PathBuf>,
    /// The bundle (default: DIR/scelle.sigstore.json, else DIR/model.sig)
    #[arg(short, long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Write the report to FILE instead of stdout
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
}

/// Hashing resources.
#[derive(Debug, Args, Clone, Default)]
pub struct HashArgs {
    /// Hashing workers (default: one per core)
    #[arg(short, long, value_name = "N")]
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
}

/// A release-relative path given on the command line: `./` prefixes and trailing `/` are
/// tolerated, anything that could leave the release is refused.
fn parse_date_arg(raw: &str) -> Result<String, String> {
    crate::manifest::descriptor::check_date(raw)?;
    Ok(raw.to_owned())
}

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

    #[test]
    fn release_paths_are_normalised_or_refused() {
        assert_eq!(parse_release_path("./a/b/").unwrap().as_str(), "a/b");
        assert!(parse_release_path("../x").is_err());
        assert!(parse_release_path("/abs").is_err());
        assert!(parse_release_path("").is_err());
    }
}
