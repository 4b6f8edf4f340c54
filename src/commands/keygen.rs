//! `scelle keygen -o NAME`: a key pair, private half readable by its owner only.

use std::path::PathBuf;

use crate::Error;
use crate::cli::KeygenArgs;
use crate::console::Console;
use crate::exit::ExitStatus;
use crate::report::{OutputError, check_replaceable, write_atomic_with_mode};
use crate::sign::{KeyError, PrivateKey};

pub(crate) fn run(args: &KeygenArgs, console: &Console) -> anyhow::Result<ExitStatus> {
    let with_ext = |ext: &str| {
        let mut name = args.output.clone().into_os_string();
        name.push(format!(".{ext}"));
        PathBuf::from(name)
    };
    let (private, public) = (with_ext("key"), with_ext("pub"));
    for path in [&private, &public] {
        check_replaceable(path).map_err(Error::from)?;
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
    console.info(&format!(
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
