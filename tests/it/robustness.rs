//! Bounded property-based runs of every parser of untrusted bytes, the same entry points the
//! fuzz targets in `fuzz/` drive for hours: arbitrary bytes, and valid inputs with bytes flipped,
//! truncated or spliced. Each call must return (`Ok` or `Err`), never panic.

use std::path::Path;

use proptest::prelude::*;
use scelle::manifest::Statement;
use scelle::sign::{KeyError, PrivateKey, PublicKey, bundle, oms};
use zeroize::Zeroizing;

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// A valid input, mutated: some bytes overwritten, then possibly truncated.
fn mutated(seed: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = seed.len();
    (
        proptest::collection::vec((0..len, any::<u8>()), 0..8),
        0..=len,
    )
        .prop_map(move |(edits, cut)| {
            let mut bytes = seed.clone();
            for (i, b) in edits {
                bytes[i] = b;
            }
            bytes.truncate(cut.max(1));
            bytes
        })
}

fn check_bundle(bytes: &[u8]) {
    if let Ok(read) = bundle::parse(Path::new("prop"), bytes) {
        let _ = read.payload_bytes();
    }
}

fn check_statement(bytes: &[u8]) {
    if let Ok(statement) = serde_json::from_slice::<Statement>(bytes) {
        let _ = statement.check();
    }
    let _ = oms::parse(bytes);
    let _ = oms::parse_legacy(bytes);
}

fn check_key(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let _ = PublicKey::from_pem(&text);
    let mut pass = || -> Result<Zeroizing<String>, KeyError> { Ok(Zeroizing::new("p".into())) };
    let _ = PrivateKey::from_pem(&text, &mut pass);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn bundle_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check_bundle(&bytes);
    }

    #[test]
    fn bundle_parser_never_panics_on_mutated_bundles(bytes in mutated(fixture("fixtures/vectors/scelle.sigstore.json"))) {
        check_bundle(&bytes);
    }

    #[test]
    fn statement_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check_statement(&bytes);
    }

    #[test]
    fn statement_parsers_never_panic_on_mutated_manifests(bytes in mutated(fixture("fixtures/vectors/manifest.json"))) {
        check_statement(&bytes);
    }

    #[test]
    fn key_parsers_never_panic_on_mutated_keys(
        bytes in mutated(fixture("fixtures/keys/test-p256.key")),
        public in mutated(fixture("fixtures/keys/test-ed25519.pub")),
    ) {
        check_key(&bytes);
        check_key(&public);
    }
}

/// Every committed format fixture (valid files written by the reference libraries), mutated,
/// through the whole inspection dispatch: the entry points of the format fuzz targets.
fn inspect_any(name: &str, bytes: &[u8]) {
    let path = scelle::manifest::RelPath::new(name).unwrap();
    let info = scelle::inspect::FileInfo {
        path: &path,
        size: bytes.len() as u64,
        head: bytes,
        lines: None,
    };
    let _ = scelle::inspect::inspect(&info, scelle::inspect::source::Source::bytes(bytes));
}

fn format_fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/formats");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().into_string().unwrap(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn inspectors_never_panic_on_mutated_format_files(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        cut in any::<proptest::sample::Index>(),
    ) {
        for (name, seed) in format_fixtures() {
            let mut bytes = seed.clone();
            for (i, b) in &edits {
                let len = bytes.len();
                bytes[i % len] = *b;
            }
            bytes.truncate(cut.index(seed.len()).max(1));
            inspect_any(&name, &bytes);
        }
    }

    #[test]
    fn inspectors_never_panic_on_random_bytes_behind_signatures(
        magic in proptest::sample::select(vec![
            &b"\x1f\x8b\x08"[..], b"BZh91AY&SY", b"\xfd7zXZ\x00", b"\x04\x22\x4d\x18", b"x\x9c",
            b"\x5d\x00\x00\x80\x00", b"PK\x03\x04", b"\x80\x02", b"\x80\x04\x95",
        ]),
        rest in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let mut bytes = magic.to_vec();
        bytes.extend(rest);
        for name in ["x.bin", "x.pkl", "x.pkl.gz", "x.pt"] {
            inspect_any(name, &bytes);
        }
    }

    #[test]
    fn inspectors_never_panic_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for name in ["x.safetensors", "x.gguf", "x.pkl", "x.pt", "x.npy", "x.npz", "x.onnx", "x.parquet", "x.keras", "x.h5", "config.json", "d.jsonl", "x.tar", "x.pkl.gz", "x.bin", "x.zip", "x", "chat_template.jinja", "tokenizer_config.json"] {
            inspect_any(name, &bytes);
        }
    }
}

/// Jinja-shaped text: tag delimiters, operators, filters and names in any order, so that the
/// parser and the walk (not only the lexer's first error) see arbitrary trees.
fn jinja_text() -> impl Strategy<Value = String> {
    let pieces = proptest::sample::select(vec![
        "{{",
        "}}",
        "{%",
        "%}",
        "{#",
        "#}",
        "-",
        " ",
        "x",
        "y",
        ".",
        "[",
        "]",
        "(",
        ")",
        "'a'",
        "'__'",
        "~",
        "+",
        "*",
        "%",
        "|",
        "join",
        "format",
        "attr",
        "map",
        "set",
        "for",
        "in",
        "endfor",
        "if",
        "endif",
        "macro",
        "endmacro",
        "call",
        "endcall",
        "namespace",
        "ns",
        "=",
        ",",
        "0",
        "9999999",
        "**",
        "::-1",
        ":",
        "self",
        "cycler",
        "range",
        "dict",
        "k=",
        "'%s'",
        "'{0.a}'",
        "include",
        "with",
        "endwith",
        "filter",
        "endfilter",
        "\\x5f",
        "\n",
    ]);
    proptest::collection::vec(pieces, 0..64).prop_map(|p| p.concat())
}

fn template_fixtures() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/templates");
    let mut out = Vec::new();
    for kind in ["ordinary", "escape", "suspicious"] {
        let mut names: Vec<_> = std::fs::read_dir(dir.join(kind))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        out.extend(names.iter().map(|p| std::fs::read(p).unwrap()));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn template_analysis_never_panics(text in jinja_text()) {
        let _ = scelle::inspect::template::analyse(&text);
    }

    #[test]
    fn template_analysis_never_panics_on_mutated_templates(
        pick in any::<proptest::sample::Index>(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        cut in any::<proptest::sample::Index>(),
    ) {
        let seeds = template_fixtures();
        let seed = &seeds[pick.index(seeds.len())];
        let mut bytes = seed.clone();
        for (i, b) in &edits {
            let len = bytes.len();
            bytes[i % len] = *b;
        }
        bytes.truncate(cut.index(seed.len()).max(1));
        let mut report = scelle::inspect::Report::default();
        scelle::inspect::template::record("`t`", &String::from_utf8_lossy(&bytes), scelle::inspect::template::Anchor::File, &mut report);
    }
}
