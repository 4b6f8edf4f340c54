//! What each file of a release is: its kind (weights, dataset, tokenizer...) and its format.
//!
//! The format comes from the file's first bytes when the format has a signature (a renamed
//! safetensors file is still safetensors, a `.bin` may be a zip checkpoint or a raw pickle),
//! then from the name. The bytes are the head the hasher kept, so classification costs no I/O.

use serde::{Deserialize, Serialize};

use crate::manifest::RelPath;

/// What role a file plays in a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Weights,
    Dataset,
    Tokenizer,
    Config,
    Code,
    Docs,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Weights,
        Kind::Dataset,
        Kind::Tokenizer,
        Kind::Config,
        Kind::Code,
        Kind::Docs,
        Kind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Weights => "weights",
            Kind::Dataset => "dataset",
            Kind::Tokenizer => "tokenizer",
            Kind::Config => "config",
            Kind::Code => "code",
            Kind::Docs => "docs",
            Kind::Other => "other",
        }
    }
}

/// A file's container format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Safetensors,
    Gguf,
    /// A zip checkpoint as `torch.save` writes it.
    PytorchZip,
    Pickle,
    Npy,
    Npz,
    Onnx,
    Keras,
    Hdf5,
    Tflite,
    Msgpack,
    Parquet,
    Arrow,
    Jsonl,
    Csv,
    Tsv,
    Tar,
    Zip,
    Json,
    Yaml,
    Toml,
    Markdown,
    Text,
    Python,
    Sentencepiece,
    Tiktoken,
    Pdf,
    /// A Git LFS pointer: the file names content that was never downloaded.
    LfsPointer,
    Unknown,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Safetensors => "safetensors",
            Format::Gguf => "gguf",
            Format::PytorchZip => "pytorch-zip",
            Format::Pickle => "pickle",
            Format::Npy => "npy",
            Format::Npz => "npz",
            Format::Onnx => "onnx",
            Format::Keras => "keras",
            Format::Hdf5 => "hdf5",
            Format::Tflite => "tflite",
            Format::Msgpack => "msgpack",
            Format::Parquet => "parquet",
            Format::Arrow => "arrow",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Tar => "tar",
            Format::Zip => "zip",
            Format::Json => "json",
            Format::Yaml => "yaml",
            Format::Toml => "toml",
            Format::Markdown => "markdown",
            Format::Text => "text",
            Format::Python => "python",
            Format::Sentencepiece => "sentencepiece",
            Format::Tiktoken => "tiktoken",
            Format::Pdf => "pdf",
            Format::LfsPointer => "lfs-pointer",
            Format::Unknown => "unknown",
        }
    }
}

/// The start of every Git LFS pointer file (git-lfs `docs/spec.md`); `hawser` is the pre-1.0 name.
const LFS_PREFIXES: [&[u8]; 2] = [
    b"version https://git-lfs.github.com/spec/v1\n",
    b"version https://hawser.github.com/spec/v1\n",
];
/// git-lfs only treats blobs smaller than this as possible pointers.
const LFS_POINTER_MAX: u64 = 1024;

/// Classifies a file from its path, size and first bytes.
pub fn classify(path: &RelPath, size: u64, head: &[u8]) -> (Kind, Format) {
    let name = path.file_name().to_ascii_lowercase();
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    if size < LFS_POINTER_MAX && LFS_PREFIXES.iter().any(|p| head.starts_with(p)) {
        return (Kind::Other, Format::LfsPointer);
    }
    let format = format_from_magic(head, ext).unwrap_or_else(|| format_from_name(&name, ext));
    (kind_of(path, &name, ext, format), format)
}

fn format_from_magic(head: &[u8], ext: &str) -> Option<Format> {
    if head.starts_with(b"GGUF") {
        return Some(Format::Gguf);
    }
    if head.starts_with(b"\x93NUMPY") {
        return Some(Format::Npy);
    }
    if head.starts_with(b"\x89HDF\r\n\x1a\n") {
        return Some(Format::Hdf5);
    }
    if head.starts_with(b"PAR1") {
        return Some(Format::Parquet);
    }
    if head.starts_with(b"ARROW1") {
        return Some(Format::Arrow);
    }
    if head.starts_with(b"%PDF-") {
        return Some(Format::Pdf);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Some(match ext {
            "npz" => Format::Npz,
            "keras" => Format::Keras,
            "bin" | "pt" | "pth" | "ckpt" | "pkl" | "pickle" | "mar" => Format::PytorchZip,
            _ => Format::Zip,
        });
    }
    // PROTO opcode then a protocol number: a pickle stream (protocol 2 and later).
    if head.len() >= 2 && head[0] == 0x80 && (2..=5).contains(&head[1]) {
        return Some(Format::Pickle);
    }
    if looks_like_safetensors(head) {
        return Some(Format::Safetensors);
    }
    if head.len() >= 8 && &head[4..8] == b"TFL3" {
        return Some(Format::Tflite);
    }
    None
}

/// A u64 little-endian header length followed by a JSON object (leading spaces are allowed).
fn looks_like_safetensors(head: &[u8]) -> bool {
    if head.len() < 9 {
        return false;
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&head[..8]);
    let n = u64::from_le_bytes(len);
    n >= 2 && head[8..].iter().find(|b| **b != b' ') == Some(&b'{')
}

fn format_from_name(name: &str, ext: &str) -> Format {
    match ext {
        "safetensors" => Format::Safetensors,
        "gguf" => Format::Gguf,
        "bin" | "pt" | "pth" | "ckpt" | "pkl" | "pickle" => Format::Pickle,
        "npy" => Format::Npy,
        "npz" => Format::Npz,
        "onnx" => Format::Onnx,
        "keras" => Format::Keras,
        "h5" | "hdf5" => Format::Hdf5,
        "tflite" => Format::Tflite,
        "msgpack" => Format::Msgpack,
        "parquet" => Format::Parquet,
        "arrow" | "feather" => Format::Arrow,
        "jsonl" | "ndjson" => Format::Jsonl,
        "csv" => Format::Csv,
        "tsv" => Format::Tsv,
        "tar" => Format::Tar,
        "zip" => Format::Zip,
        "json" => Format::Json,
        "yaml" | "yml" => Format::Yaml,
        "toml" => Format::Toml,
        "md" | "markdown" => Format::Markdown,
        "txt" | "rst" | "cff" => Format::Text,
        "py" => Format::Python,
        "model" => Format::Sentencepiece,
        "tiktoken" => Format::Tiktoken,
        "pdf" => Format::Pdf,
        _ if name.starts_with("license")
            || name.starts_with("licence")
            || name.starts_with("notice")
            || name.starts_with("copying") =>
        {
            Format::Text
        }
        _ => Format::Unknown,
    }
}

/// Tokenizer files by their conventional Hugging Face names.
const TOKENIZER_NAMES: [&str; 8] = [
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
    "chat_template.jinja",
];

fn kind_of(path: &RelPath, name: &str, ext: &str, format: Format) -> Kind {
    if TOKENIZER_NAMES.contains(&name) || matches!(format, Format::Sentencepiece | Format::Tiktoken)
    {
        return Kind::Tokenizer;
    }
    match format {
        Format::Safetensors
        | Format::Gguf
        | Format::PytorchZip
        | Format::Pickle
        | Format::Npy
        | Format::Npz
        | Format::Onnx
        | Format::Keras
        | Format::Hdf5
        | Format::Tflite
        | Format::Msgpack => Kind::Weights,
        Format::Parquet
        | Format::Arrow
        | Format::Jsonl
        | Format::Csv
        | Format::Tsv
        | Format::Tar => Kind::Dataset,
        Format::Python => Kind::Code,
        Format::Text if ext == "txt" && in_data_folder(path) => Kind::Dataset,
        Format::Markdown | Format::Pdf | Format::Text => Kind::Docs,
        Format::Json | Format::Yaml | Format::Toml => {
            if in_data_folder(path) && ext == "json" {
                Kind::Dataset
            } else {
                Kind::Config
            }
        }
        Format::Sentencepiece | Format::Tiktoken => Kind::Tokenizer,
        Format::Zip | Format::LfsPointer | Format::Unknown => match ext {
            "sh" | "js" | "ts" | "rs" | "c" | "cc" | "cpp" | "cu" | "h" | "ipynb" | "jinja" => {
                Kind::Code
            }
            _ => Kind::Other,
        },
    }
}

/// True when a folder on the path is conventionally a dataset folder.
fn in_data_folder(path: &RelPath) -> bool {
    let components: Vec<&str> = path.components().collect();
    components[..components.len().saturating_sub(1)]
        .iter()
        .any(|c| {
            matches!(
                c.to_ascii_lowercase().as_str(),
                "data" | "dataset" | "datasets" | "train" | "test" | "validation"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(path: &str, head: &[u8]) -> (Kind, Format) {
        classify(&RelPath::new(path).unwrap(), head.len() as u64, head)
    }

    #[test]
    fn magic_bytes_win_over_the_name() {
        let mut st = 2u64.to_le_bytes().to_vec();
        st.extend_from_slice(b"{}");
        assert_eq!(of("weights.bin", &st), (Kind::Weights, Format::Safetensors));
        assert_eq!(
            of("pytorch_model.bin", b"PK\x03\x04rest"),
            (Kind::Weights, Format::PytorchZip)
        );
        assert_eq!(
            of("model.bin", b"\x80\x02}q\x00."),
            (Kind::Weights, Format::Pickle)
        );
        assert_eq!(
            of("x.dat", b"GGUF\x03\x00\x00\x00"),
            (Kind::Weights, Format::Gguf)
        );
        assert_eq!(
            of("rows.dat", b"PAR1...."),
            (Kind::Dataset, Format::Parquet)
        );
    }

    #[test]
    fn names_decide_when_there_is_no_signature() {
        assert_eq!(of("tokenizer.json", b"{}"), (Kind::Tokenizer, Format::Json));
        assert_eq!(of("config.json", b"{}"), (Kind::Config, Format::Json));
        assert_eq!(of("README.md", b"# x"), (Kind::Docs, Format::Markdown));
        assert_eq!(of("LICENSE", b"Apache"), (Kind::Docs, Format::Text));
        assert_eq!(
            of("modeling_x.py", b"import torch"),
            (Kind::Code, Format::Python)
        );
        assert_eq!(
            of("data/train.jsonl", b"{}\n"),
            (Kind::Dataset, Format::Jsonl)
        );
        assert_eq!(
            of("tokenizer.model", b"\x0a\x0b"),
            (Kind::Tokenizer, Format::Sentencepiece)
        );
        assert_eq!(of("blob", b"\x00\x01"), (Kind::Other, Format::Unknown));
    }

    #[test]
    fn lfs_pointer_is_not_weights() {
        let pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:0000\nsize 12\n";
        assert_eq!(
            of("model.safetensors", pointer),
            (Kind::Other, Format::LfsPointer)
        );
    }
}
