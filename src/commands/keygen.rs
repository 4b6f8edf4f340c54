//! `scelle keygen -o NAME`: a key pair, private half readable by its owner only.

use std::path::PathBuf;

use crate::Error;
use crate::cli::KeygenArgs;
use crate::console::Console;
use crate::exit::ExitStatus;
use crate::report::{Output, OutputError, write_atomic_with_mode};
use crate::sign::{KeyError, PrivateKey};

pub(crate) fn run(args: &KeygenArgs, console: &Console) -> anyhow::Result<ExitStatus> {
    let raw = args.output.as_os_str().as_encoded_bytes();
    let names_folder = raw.ends_with(b"/")
        || args
            .output
            .file_name()
            .is_none_or(|n| n == "." || n == "..");
    if names_folder {
        return Err(Error::from(KeyError::PairName(args.output.clone())).into());
    }
    let with_ext = |ext: &str| {
        let mut name = args.output.clone().into_os_string();
        name.push(format!(".{ext}"));
        PathBuf::from(name)
    };
    let (private, public) = (with_ext("key"), with_ext("pub"));
    // Both targets are checked before either is written (and before a key is made): a regular
    // file or nothing, in a folder that exists.
    for path in [&private, &public] {
        Output::new(Some(path.clone()), true)
            .check_writable()
            .map_err(Error::from)?;
    }
    if !args.force {
        for path in [&private, &public] {
            if path.exists() {
                return Err(Error::from(OutputError::Exists(path.clone())).into());
            }
        }
    }
    let passphrase = match &args.passphrase_env {
        Some(var) => Some(zeroize::Zeroizing::new(
            std::env::var(var)
                .map_err(|_| Error::from(KeyError::PassphraseVariable(var.clone())))?,
        )),
        None => None,
    };
    let key = PrivateKey::generate(args.algorithm).map_err(Error::from)?;
    let pem = key
        .to_pem(passphrase.as_deref().map(String::as_str))
        .map_err(Error::from)?;
    write_atomic_with_mode(&private, pem.as_bytes(), args.force, 0o600).map_err(Error::from)?;
    let public_key = key.public_key();
    write_atomic_with_mode(&public, public_key.to_pem().as_bytes(), args.force, 0o666)
        .map_err(Error::from)?;
    console.note(&format!(
        "wrote `{}` (private, mode 0600{}) and `{}`",
        private.display(),
        if passphrase.is_some() {
            ", encrypted"
        } else {
            ""
        },
        public.display()
    ));
    console.note(&format!(
        "{} key id {}",
        public_key.algorithm(),
        public_key.key_id()
    ));
    Ok(ExitStatus::Success)
}
