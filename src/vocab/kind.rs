//! The roles files play in a release and their container formats: what the inspectors decide
//! and the manifest records, so it sits below both.

use serde::{Deserialize, Serialize};

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
    /// A gzip, zlib, bzip2, xz, LZMA or LZ4 stream (facts say which, and what it holds).
    Compressed,
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
            Format::Compressed => "compressed",
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
