//! The packs compiled into the binary, from `policies/<name>/pack.yaml`. Their test cases stay
//! in the source tree (`scelle policy test policies/`), only the rules ship.

use std::path::Path;

use super::pack::{self, LoadError, Pack};

/// Name and text of every built-in pack, in the order reports list them.
pub const PACKS: [(&str, &str); 8] = [
    (
        "ai-act-gpai",
        include_str!("../../policies/ai-act-gpai/pack.yaml"),
    ),
    (
        "ai-act-gpai-systemic",
        include_str!("../../policies/ai-act-gpai-systemic/pack.yaml"),
    ),
    (
        "ai-act-open-source",
        include_str!("../../policies/ai-act-open-source/pack.yaml"),
    ),
    (
        "transparency-art50",
        include_str!("../../policies/transparency-art50/pack.yaml"),
    ),
    (
        "gdpr-training-data",
        include_str!("../../policies/gdpr-training-data/pack.yaml"),
    ),
    (
        "cnil-recommendations",
        include_str!("../../policies/cnil-recommendations/pack.yaml"),
    ),
    (
        "ai-act-high-risk-data",
        include_str!("../../policies/ai-act-high-risk-data/pack.yaml"),
    ),
    (
        "release-integrity",
        include_str!("../../policies/release-integrity/pack.yaml"),
    ),
];

/// The built-in pack `name`.
pub fn get(name: &str) -> Option<Result<Pack, LoadError>> {
    PACKS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, text)| pack::load(text, &format!("built-in pack `{n}`"), "built-in"))
}

/// Every built-in pack.
pub fn all() -> Result<Vec<Pack>, LoadError> {
    PACKS
        .iter()
        .map(|(n, text)| pack::load(text, &format!("built-in pack `{n}`"), "built-in"))
        .collect()
}

/// The names of the built-in packs.
pub fn names() -> impl Iterator<Item = &'static str> {
    PACKS.iter().map(|(n, _)| *n)
}

/// Why packs could not be found or loaded.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error(transparent)]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("no built-in pack `{0}` and no file of that name")]
    Unknown(String),
    #[error("two packs are named `{0}`")]
    Duplicate(String),
    #[error("rule id `{id}` is in both `{first}` and `{second}`")]
    DuplicateRule {
        id: String,
        first: String,
        second: String,
    },
}

impl PolicyError {
    pub fn hint(&self) -> Option<String> {
        match self {
            PolicyError::Unknown(_) => Some(format!(
                "built-in packs: {} (`scelle policy list`)",
                names().collect::<Vec<_>>().join(", ")
            )),
            PolicyError::Duplicate(_) => Some("give each pack its own `metadata.name`".into()),
            PolicyError::DuplicateRule { .. } => {
                Some("rule ids must be unique across the packs of one check".into())
            }
            PolicyError::Load(_) => Some(
                "the pack format and the names expressions can use are in `docs/policies.md`"
                    .into(),
            ),
            PolicyError::Read(_) => None,
        }
    }
}

/// Reads a pack file.
pub fn from_file(path: &Path) -> Result<Pack, PolicyError> {
    let display = path.display().to_string();
    let text = fs_err::read_to_string(path)?;
    Ok(pack::load(&text, &display, &display)?)
}

/// `--policy` values: a built-in name or a pack file; none means every built-in pack.
pub fn resolve(specs: &[String]) -> Result<Vec<Pack>, PolicyError> {
    let packs = if specs.is_empty() {
        all()?
    } else {
        specs
            .iter()
            .map(|spec| match get(spec) {
                Some(pack) => Ok(pack?),
                None if Path::new(spec).is_file() => from_file(Path::new(spec)),
                None => Err(PolicyError::Unknown(spec.clone())),
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    let mut seen = std::collections::BTreeSet::new();
    let mut rules = std::collections::BTreeMap::new();
    for p in &packs {
        if !seen.insert(p.name.as_str()) {
            return Err(PolicyError::Duplicate(p.name.clone()));
        }
        // Reports and SARIF name results by rule id alone.
        for r in &p.rules {
            if let Some(first) = rules.insert(r.id.as_str(), p.name.as_str()) {
                return Err(PolicyError::DuplicateRule {
                    id: r.id.clone(),
                    first: first.to_owned(),
                    second: p.name.clone(),
                });
            }
        }
    }
    Ok(packs)
}
