//! `scelle sign DIR --key KEY`: scan (or take a manifest) and write a signed bundle.

use std::path::Path;

use crate::Error;
use crate::cli::SignArgs;
use crate::commands::scan::scan_options;
use crate::console::Console;
use crate::exit::ExitStatus;
use crate::manifest::read_manifest;
use crate::report::Output;
use crate::sign::{self, Algorithm, BundleFormat, Passphrase, SignError, load_private_key};
use crate::{scan, walk};

pub(crate) fn run(args: &SignArgs, console: &Console) -> anyhow::Result<ExitStatus> {
    let target = args
        .output
        .clone()
        .unwrap_or_else(|| args.dir.join(args.format.default_file_name()));
    let output = Output::new(Some(target), args.force);
    output.check_writable().map_err(Error::from)?;
    let passphrase = args
        .passphrase_env
        .clone()
        .map_or(Passphrase::Prompt, Passphrase::Env);
    let key = load_private_key(&args.key, &passphrase).map_err(Error::from)?;
    if args.format == BundleFormat::Oms && key.algorithm() == Algorithm::Ed25519 {
        return Err(Error::from(SignError::OmsNeedsEcdsa(args.key.clone())).into());
    }

    let (statement, raw) = if let Some(manifest) = &args.manifest {
        let (statement, bytes) = read_manifest(manifest).map_err(Error::from)?;
        (statement, Some(bytes))
    } else {
        let mut extra = Vec::new();
        if let Output::File { path, .. } = &output {
            extra.extend(walk::relative_inside(&args.dir, path));
        }
        let options = scan_options(&args.walk, &args.hashing, extra);
        let progress = console.progress("hashing");
        (
            scan::scan(&args.dir, &options, &progress)
                .map_err(Error::from)?
                .statement,
            None,
        )
    };
    let files = statement.predicate.files.len();
    let root = statement.predicate.root.sha256;
    let name = model_name(&args.dir);
    // The statement is never held as bytes: counted, streamed through the signature, then
    // streamed into the bundle's base64 (each time checked to be the same statement).
    let write = |w: &mut dyn std::io::Write| {
        sign::write_payload(w, args.format, &statement, raw.as_deref(), &name)
    };
    let sealed = sign::seal(&key, crate::input::MAX_STATEMENT, &write).map_err(Error::from)?;
    output
        .write_with(|w| sealed.write_bundle(w, &write))
        .map_err(Error::from)?;
    let public = key.public_key();
    let written = match &output {
        Output::File { path, .. } => format!("`{}`", path.display()),
        Output::Stdout => "stdout".into(),
    };
    console.note(&format!(
        "signed {files} files (root sha256:{root}) with {} key {}: wrote {written}",
        public.algorithm(),
        public.key_id()
    ));
    Ok(ExitStatus::Success)
}

/// The OMS subject name: the release folder's own name, as the reference tool records it.
fn model_name(dir: &Path) -> String {
    let name = dir.file_name().and_then(|n| n.to_str());
    match name {
        Some(n) if n != "." && n != ".." => n.to_owned(),
        _ => fs_err::canonicalize(dir)
            .ok()
            .and_then(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_owned))
            .unwrap_or_else(|| "model".into()),
    }
}
