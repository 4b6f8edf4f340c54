//! The catalogue of finding codes: every code scelle reports outside the policy packs, `file/*`
//! from the scan's inspectors, `verify/*` from verification and `waiver/*` from waivers, with what
//! the finding means, why it matters, its severity and the fix.
//!
//! It is the one list of codes: `scelle policy explain CODE`, the rule descriptors of SARIF
//! output and the code reference of `docs/manifest.md` are written from it, and a test checks
//! that every code the source can emit has its entry here (and every entry is still emitted).
//! Adding a code means adding one entry to [`CODES`].

use std::fmt::Write as _;

use crate::finding::Severity;
use crate::vocab::rules;

/// Where the code reference lives; each code has an anchor there.
pub const DOCS: &str = "https://scelle.dev/docs/manifest";

/// One finding code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// `file/code-on-load`.
    pub id: &'static str,
    /// A short title, for SARIF's `shortDescription` and listings.
    pub title: &'static str,
    /// The usual severity (SARIF `defaultConfiguration.level`).
    pub severity: Severity,
    /// When a finding of this code has another severity.
    pub severity_note: Option<&'static str>,
    /// What a finding of this code means.
    pub means: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// What to do about it.
    pub fix: &'static str,
}

impl Code {
    /// The code's entry in the reference.
    pub fn help_uri(&self) -> String {
        format!("{DOCS}#{}", anchor(self.id))
    }

    /// `error`, or `error (warning for ...)`.
    pub fn severity_text(&self) -> String {
        match self.severity_note {
            Some(note) => format!("{} ({note})", self.severity.as_str()),
            None => self.severity.as_str().to_owned(),
        }
    }

    /// `file`, `verify` or `waiver`.
    pub fn family(&self) -> &'static str {
        self.id.split_once('/').map_or(self.id, |(f, _)| f)
    }
}

/// `file/code-on-load` -> `file-code-on-load`.
pub fn anchor(id: &str) -> String {
    id.replace('/', "-")
}

/// The families, in the order the reference lists them, with what each covers.
pub const FAMILIES: [(&str, &str); 3] = [
    (
        "file",
        "found by `scan` (and so by `sign` and `check`) in a file of the release",
    ),
    (
        "verify",
        "found by `verify` (and `check --key`) comparing the release with its bundle",
    ),
    (
        "waiver",
        "found in the waivers themselves, by `check` and `scan`",
    ),
];

/// Every code, by family then as the reference lists them.
pub const CODES: &[Code] = &[
    Code {
        id: rules::MALFORMED,
        title: "The file's structure cannot be read",
        severity: Severity::Error,
        severity_note: Some(
            "warning when only the file's first bytes, not its name, said the format (zip \
             archives excepted: `torch.load` opens any of them)",
        ),
        means: "the file claims a format (by its name or by strong evidence in its bytes) but its \
                structure cannot be read as that format: a header that does not parse, a length \
                beyond the file, an offset out of bounds, a chat template that does not parse; \
                the message says what and at which byte (or line and column)",
        why: "a loader will refuse the file or, worse, read it differently from scelle; either \
              way the release cannot be loaded as documented, and a parser differential is a place \
              to hide a payload. The file is still hashed and the scan goes on",
        fix: "regenerate the file with its library (or re-download it and compare its digest); \
              remove it if it does not belong in the release",
    },
    Code {
        id: rules::NONCONFORMING,
        title: "The file breaks a rule of its format",
        severity: Severity::Warning,
        severity_note: Some(
            "error for duplicate safetensors tensors and shard indexes that disagree with their shards",
        ),
        means: "the file is readable but against its format's rules: duplicate keys or tensors, \
                unknown fields, zip headers that disagree, a shard index that disagrees with its \
                shards, duplicate tar members, a pickle nested deeper than 1,000 levels, bytes \
                after the last pickle that are not one",
        why: "two readers may see two different files: scelle's facts (and any scanner's verdict) \
              may not describe what the loader actually loads",
        fix: "save the file again with its reference library; for an index, regenerate it from the \
              shards it lists",
    },
    Code {
        id: rules::CODE_ON_LOAD,
        title: "Loading the file runs code",
        severity: Severity::Error,
        severity_note: Some("warning for TorchScript archives and Keras `TFSMLayer`"),
        means: "loading the file runs code its author chose: a pickle that imports a \
                dangerous global (matched on the exact module and name, dotted names walked as \
                attribute paths) or a name that cannot be resolved, a pickle that changes an \
                imported class or module, a nested `torch.load` of bytes that could not be \
                inspected, a Keras Lambda layer (in the `config.json` Keras reads: the last of \
                duplicates), a chat template that reads or builds a name that escapes Jinja's \
                sandbox (a dunder, a frame or code attribute), however it spells it",
        why: "anyone who loads the release (`torch.load`, `pickle.load`, `np.load(allow_pickle=True)`, \
              Keras) runs that code with their own rights: this is how model files carry malware",
        fix: "ship the weights as safetensors (`safetensors.torch.save_file`) and remove the \
              pickle; for Keras, rebuild the model without Lambda layers; if the code is intended \
              and reviewed, waive the finding with its reason",
    },
    Code {
        id: rules::SUSPICIOUS_TEMPLATE,
        title: "A chat template hides what it reads or strains the renderer",
        severity: Severity::Warning,
        severity_note: Some(
            "error when the template was not analysed: over 1 MiB, nested too deeply, or in a \
             config over 16 MiB",
        ),
        means: "a chat template reads a key built at render time that scelle cannot follow, uses \
                `attr` with a runtime name, spells strings with escapes, reads `self` or the \
                template globals as values, includes or imports other templates, or repeats \
                work past 100,000 steps",
        why: "chat templates run inside every loader that formats a prompt (`transformers`, \
              `llama.cpp`, inference servers); a template that hides its names is how sandbox \
              escapes are disguised, and one that loops without bound stalls the server",
        fix: "write the template with literal names, as the usual chat templates are; if the \
              construct is intended and reviewed, waive the finding with its reason",
    },
    Code {
        id: rules::SUSPICIOUS_IMPORT,
        title: "Loading the file imports names outside the known-safe lists",
        severity: Severity::Warning,
        severity_note: Some("error for Keras modules outside `keras`"),
        means: "a pickle imports a module or name that is on no known-safe list, or an ONNX model \
                needs custom operator domains",
        why: "an unknown import may be harmless or may be an attack; a person has to look, because \
              scelle cannot tell which",
        fix: "review the names the finding lists; ship safetensors instead, or waive the finding \
              once the import is understood",
    },
    Code {
        id: rules::REMOTE_CODE,
        title: "Loading the release needs `trust_remote_code`",
        severity: Severity::Warning,
        severity_note: None,
        means: "the release ships Python files, names classes in `auto_map` of `config.json`, or \
                a Keras model names custom objects: loading it runs code that is not in the \
                weights",
        why: "users must pass `trust_remote_code=True` and run that code; they should know what \
              it is and why it ships",
        fix: "list each file under `release.remote_code` in `scelle.yaml` with its purpose \
              (`RI-CODE-01` checks it), or remove the code",
    },
    Code {
        id: rules::LFS_POINTER,
        title: "The file is a Git LFS pointer, not its content",
        severity: Severity::Error,
        severity_note: None,
        means: "the file is a small Git LFS pointer (`version https://git-lfs.github.com/spec/v1`, \
                an `oid` and a `size`): the content it stands for was never downloaded",
        why: "the manifest would seal the pointer, not the weights: the signature would vouch for \
              a file nobody can load",
        fix: "fetch the content (`git lfs pull`) and scan again",
    },
    Code {
        id: rules::ESCAPING_REFERENCE,
        title: "The file refers to a file outside the release",
        severity: Severity::Error,
        severity_note: None,
        means: "an ONNX model's external data location leaves the model's folder (an absolute \
                path, `..`, a backslash, a NUL)",
        why: "loading the model reads a file that is not part of the sealed release, chosen by \
              whoever wrote the model: the signed release does not determine what is loaded",
        fix: "save the model with its external data beside it (`onnx.save_model(..., \
              location=NAME)` with a plain file name)",
    },
    Code {
        id: rules::HUB_BLOB_MISMATCH,
        title: "A Hugging Face cache blob does not match its name",
        severity: Severity::Error,
        severity_note: None,
        means: "a blob of a Hugging Face cache is named by a digest (SHA-256, or the git blob \
                SHA-1 of small files) that its content does not have",
        why: "the cache was corrupted or tampered with: the file is not the one the hub served",
        fix: "delete the blob and download it again (`huggingface-cli download`)",
    },
    Code {
        id: rules::UNSCANNABLE,
        title: "A part of the file a loader would read cannot be inspected",
        severity: Severity::Error,
        severity_note: Some(
            "warning for an archive member no loader reads by itself: not in a checkpoint, not \
             named as a pickle or an array",
        ),
        means: "an archive member is encrypted or compressed with a method scelle cannot read, a \
                compressed pickle decompresses past scelle's cap or uses a compression it cannot \
                open, or the records of a legacy checkpoint cannot be delimited: whether loading \
                that part runs code is unknown",
        why: "scanners that skip what they cannot read are how payloads got past them: a member \
              scelle cannot open may be one `torch.load`, `zipfile` or `joblib` reads",
        fix: "store the archive's members unencrypted, deflated or stored (as `torch.save` and \
              `numpy.savez` write them); ship safetensors instead of compressed pickles; if the \
              part is known to be harmless, waive the finding with its reason",
    },
    Code {
        id: rules::LOOKALIKE_NAME,
        title: "Two file names are the same text in different Unicode forms",
        severity: Severity::Error,
        severity_note: None,
        means: "two names of the release differ only in Unicode normalisation (`café` written \
                with one code point for `é` (NFC) and with `e` plus a combining accent (NFD))",
        why: "macOS file systems treat them as one file and Linux as two: the release a user \
              unpacks may not be the release that was sealed, and a reviewer cannot tell the two \
              names apart on screen",
        fix: "rename one of the files (or normalise every name to NFC) and scan again",
    },
    Code {
        id: rules::NOTE,
        title: "Worth knowing",
        severity: Severity::Info,
        severity_note: Some("warning for some, such as an object array that needs `allow_pickle`"),
        means: "something a reviewer may want to know that is not a problem in itself: a chat \
                template, external data files, an unusual but valid layout",
        why: "it explains the file's facts, or points at something a person should read",
        fix: "nothing is required; read the message",
    },
    Code {
        id: "verify/signature",
        title: "The bundle's signature does not verify",
        severity: Severity::Error,
        severity_note: None,
        means: "the bundle is malformed, was signed by another key than the ones given, or its \
                signature does not match its payload",
        why: "nothing in the bundle can be trusted: neither the file list nor the declaration",
        fix: "check that the right public key and bundle were given; otherwise re-sign the release",
    },
    Code {
        id: "verify/modified",
        title: "A file differs from the signed manifest",
        severity: Severity::Error,
        severity_note: None,
        means: "a file has another SHA-256 than the one signed",
        why: "the file in hand is not the file that was released",
        fix: "restore the signed file, or re-sign the release if the change is intended",
    },
    Code {
        id: "verify/missing",
        title: "A signed file is missing",
        severity: Severity::Error,
        severity_note: None,
        means: "the signed manifest lists a file that is not in the release",
        why: "the release in hand is incomplete",
        fix: "restore the file, or re-sign the release without it",
    },
    Code {
        id: "verify/extra",
        title: "A file is not in the signed manifest",
        severity: Severity::Error,
        severity_note: None,
        means: "the release holds a file the signed manifest does not list",
        why: "an added file is loaded with the release but vouched for by nobody",
        fix: "remove it, re-sign the release with it, or pass `--ignore-unsigned-files`",
    },
    Code {
        id: "verify/renamed",
        title: "A signed file was renamed",
        severity: Severity::Error,
        severity_note: None,
        means: "a signed file's content is present under another name, and its signed name is gone",
        why: "names decide what loaders read (`model.safetensors`, `config.json`): a renamed file \
              changes the release even with every byte in place",
        fix: "rename it back, or re-sign the release",
    },
    Code {
        id: "verify/lookalike",
        title: "A signed file is on disk under a look-alike name",
        severity: Severity::Error,
        severity_note: None,
        means: "a signed name is missing and the same name in another Unicode normal form (NFC \
                and NFD `café`) is on disk, with the signed content or another",
        why: "the two names look the same on screen but are different files on Linux: a loader \
              asked for the signed name does not find it, and a look-alike with other content \
              is a swap a person would not see",
        fix: "rename the file to the signed name (or re-sign the release), and keep names in NFC",
    },
    Code {
        id: "verify/unsigned",
        title: "A file is not in the signed manifest (ignored)",
        severity: Severity::Info,
        severity_note: None,
        means: "with `--ignore-unsigned-files`, a file the signed manifest does not list",
        why: "the file was left out on purpose; it is listed so it is not forgotten",
        fix: "nothing is required",
    },
    Code {
        id: "verify/attested-root",
        title: "The release is not the one an attestation names",
        severity: Severity::Error,
        severity_note: None,
        means: "with `--bundle ATTESTATION`, the folder's root digest, hashed now, differs from \
                the root digest the attestation's release subject carries",
        why: "an attested check or verification speaks for the release it was made on, not \
              for the files in hand",
        fix: "verify the release against its own bundle, or have it attested again",
    },
    Code {
        id: "waiver/expired",
        title: "A waiver has expired",
        severity: Severity::Error,
        severity_note: None,
        means: "a waiver's `expires` date is on or before the date of the check (`--as-of`, or \
                today from `SOURCE_DATE_EPOCH`); it no longer waives anything",
        why: "an exception was granted for a time; once it is over, the finding counts again and \
              someone has to decide anew",
        fix: "fix what the waiver excused and remove the waiver, or have it approved again with a \
              new `expires` date",
    },
    Code {
        id: "waiver/unused",
        title: "A waiver matches nothing",
        severity: Severity::Warning,
        severity_note: None,
        means: "no failing rule result or file finding matched the waiver's id and subjects",
        why: "stale exceptions rot: a waiver left behind would silently excuse the next failure \
              that happens to match it",
        fix: "remove the waiver, or correct its `id` or `subjects`",
    },
];

/// The code `id`.
pub fn get(id: &str) -> Option<&'static Code> {
    CODES.iter().find(|c| c.id == id)
}

/// Whether `id` is spelt like a finding code (`family/name`) rather than a pack rule id.
pub fn is_code_like(id: &str) -> bool {
    id.split_once('/')
        .is_some_and(|(family, _)| FAMILIES.iter().any(|(f, _)| *f == family))
}

/// The code reference of `docs/manifest.md`.
pub fn markdown() -> String {
    let mut out = String::new();
    for (family, what) in FAMILIES {
        let _ = writeln!(out, "### `{family}/*`: {what}\n");
        let _ = writeln!(out, "| code | severity | what it means |");
        let _ = writeln!(out, "|---|---|---|");
        for c in CODES.iter().filter(|c| c.family() == family) {
            let _ = writeln!(
                out,
                "| [`{}`](#{}) | {} | {} |",
                c.id,
                anchor(c.id),
                c.severity_text(),
                c.title
            );
        }
        out.push('\n');
        for c in CODES.iter().filter(|c| c.family() == family) {
            let _ = writeln!(out, "<a id=\"{}\"></a>", anchor(c.id));
            let _ = writeln!(out, "#### `{}`: {}\n", c.id, c.title);
            let _ = writeln!(out, "- **Severity**: {}", c.severity_text());
            let _ = writeln!(out, "- **Means**: {}", squash(c.means));
            let _ = writeln!(out, "- **Matters because**: {}", squash(c.why));
            let _ = writeln!(out, "- **Fix**: {}\n", squash(c.fix));
        }
    }
    out
}

/// Source text continued over lines keeps single spaces.
pub fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    /// Every `"family/name"` string literal of a file.
    fn literals(text: &str, out: &mut BTreeSet<String>) {
        for (family, _) in FAMILIES {
            let needle = format!("\"{family}/");
            let mut rest = text;
            while let Some(at) = rest.find(&needle) {
                let after = &rest[at + 1..];
                let end = after.find('"').unwrap_or(after.len());
                let literal = &after[..end];
                if literal
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'/')
                {
                    out.insert(literal.to_owned());
                }
                rest = &after[end..];
            }
        }
    }

    fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in fs_err::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The catalogue is the list of codes: a code emitted anywhere in the source (an inspector's
    /// `rules` constant, a verification finding, a waiver problem) without an entry here fails,
    /// and so does an entry no source emits any more.
    #[test]
    fn the_catalogue_is_every_code_the_source_emits() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        sources(&root.join("src"), &mut files);
        let mut emitted = BTreeSet::new();
        for file in files.iter().filter(|f| !f.ends_with("src/codes.rs")) {
            literals(&fs_err::read_to_string(file).unwrap(), &mut emitted);
        }
        let known: BTreeSet<String> = CODES.iter().map(|c| c.id.to_owned()).collect();
        let missing: Vec<&String> = emitted.difference(&known).collect();
        assert!(
            missing.is_empty(),
            "codes the source emits without a catalogue entry in src/codes.rs: {missing:?}"
        );
        let stale: Vec<&String> = known.difference(&emitted).collect();
        assert!(
            stale.is_empty(),
            "catalogue entries no source emits: {stale:?}"
        );
    }

    /// A pack condition naming a code that does not exist would never match.
    #[test]
    fn built_in_packs_name_only_catalogued_codes() {
        let mut named = BTreeSet::new();
        for (_, text) in crate::policy::builtin::PACKS {
            literals(&text.replace('\'', "\""), &mut named);
        }
        assert!(!named.is_empty());
        for code in &named {
            assert!(
                get(code).is_some(),
                "a built-in pack reads unknown code `{code}`"
            );
        }
    }

    #[test]
    fn entries_are_unique_complete_and_well_spelt() {
        let mut seen = BTreeSet::new();
        for c in CODES {
            assert!(seen.insert(c.id), "`{}` is listed twice", c.id);
            assert!(is_code_like(c.id), "`{}` has no known family", c.id);
            for text in [c.title, c.means, c.why, c.fix] {
                assert!(!text.trim().is_empty(), "`{}` has an empty field", c.id);
                assert!(
                    !text.trim_end().ends_with('.'),
                    "`{}`: no final period",
                    c.id
                );
            }
        }
        let families: Vec<&str> = CODES.iter().map(Code::family).collect();
        let mut grouped = families.clone();
        grouped.dedup();
        assert_eq!(
            grouped,
            FAMILIES.map(|(f, _)| f),
            "entries are grouped by family, in FAMILIES order"
        );
    }

    /// `docs/manifest.md` holds the reference generated from the catalogue between two markers;
    /// `SCELLE_BLESS=1 cargo test --lib docs_list_every_code` rewrites it.
    #[test]
    fn docs_list_every_code() {
        crate::generated_docs::assert_section(
            "docs/manifest.md",
            "codes",
            &markdown(),
            "docs_list_every_code",
        );
    }
}
