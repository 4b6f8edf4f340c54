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
        .map(|(n, text)| load(n, text))
}

/// Every built-in pack.
pub fn all() -> Result<Vec<Pack>, LoadError> {
    PACKS.iter().map(|(n, text)| load(n, text)).collect()
}

/// A built-in pack's YAML; its expressions are parsed on first use (see [`pack::load_trusted`]).
fn load(name: &str, text: &str) -> Result<Pack, LoadError> {
    pack::load_trusted(text, &format!("built-in pack `{name}`"), "built-in")
}

/// The names of the built-in packs.
pub fn names() -> impl Iterator<Item = &'static str> {
    PACKS.iter().map(|(n, _)| *n)
}

/// Why packs could not be found or loaded.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error(transparent)]
    Read(#[from] crate::input::InputError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("no built-in pack `{0}` and no file of that name")]
    Unknown(String),
    #[error("two packs are named `{0}`")]
    Duplicate(String),
    #[error("`--no-builtin` leaves no pack to run")]
    NothingToRun,
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
            PolicyError::Duplicate(name) if get(name).is_some() => Some(format!(
                "`{name}` is a built-in pack: pass `--no-builtin` to run your version instead of it"
            )),
            PolicyError::Duplicate(_) => Some("give each pack its own `metadata.name`".into()),
            PolicyError::NothingToRun => {
                Some("name the packs to run with `--policy NAME|FILE|DIR`".into())
            }
            PolicyError::DuplicateRule { .. } => {
                Some("rule ids must be unique across the packs of one check".into())
            }
            PolicyError::Load(_) => Some(
                "the pack format and the names expressions can use are in `docs/policies.md`"
                    .into(),
            ),
            PolicyError::Read(e) => e.hint(),
        }
    }
}

/// Reads a pack file.
pub fn from_file(path: &Path) -> Result<Pack, PolicyError> {
    let display = path.display().to_string();
    let text = crate::input::read_text(path, crate::input::Kind::PACK)?;
    Ok(pack::load(&text, &display, &display)?)
}

/// Which packs a check runs: the built-in packs (unless `no_builtin`) plus each `--policy`
/// value, a built-in name, a pack file, or a pack's folder (holding `pack.yaml`). A built-in name
/// given while the built-in packs run anyway adds nothing (see [`redundant`]).
pub fn resolve(specs: &[String], no_builtin: bool) -> Result<Vec<Pack>, PolicyError> {
    if no_builtin && specs.is_empty() {
        return Err(PolicyError::NothingToRun);
    }
    let mut packs = if no_builtin { Vec::new() } else { all()? };
    for spec in specs {
        if !no_builtin && get(spec).is_some() {
            continue;
        }
        packs.push(match get(spec) {
            Some(pack) => pack?,
            // Anything there but a folder is read as a pack file, whose reader names what else
            // it is (a FIFO, a device).
            None if Path::new(spec).exists() && !Path::new(spec).is_dir() => {
                from_file(Path::new(spec))?
            }
            None if Path::new(spec).join("pack.yaml").is_file() => {
                from_file(&Path::new(spec).join("pack.yaml"))?
            }
            None => return Err(PolicyError::Unknown(spec.clone())),
        });
    }
    check_unique(&packs)?;
    Ok(packs)
}

/// The `--policy` values that name a built-in pack while every built-in pack runs anyway: the
/// user probably meant to run only those, which is `--no-builtin`.
pub fn redundant(specs: &[String], no_builtin: bool) -> Vec<&str> {
    if no_builtin {
        return Vec::new();
    }
    specs
        .iter()
        .filter(|s| get(s).is_some())
        .map(String::as_str)
        .collect()
}

/// Pack names and rule ids must be unique: reports and SARIF name results by rule id alone.
fn check_unique(packs: &[Pack]) -> Result<(), PolicyError> {
    let mut seen = std::collections::BTreeSet::new();
    let mut rules = std::collections::BTreeMap::new();
    for p in packs {
        if !seen.insert(p.name.as_str()) {
            return Err(PolicyError::Duplicate(p.name.clone()));
        }
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
    Ok(())
}

/// The rule catalogue of `docs/policies.md`, written from the built-in packs.
pub fn catalogue_markdown(packs: &[Pack]) -> String {
    use std::fmt::Write as _;
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = String::new();
    for pack in packs {
        let _ = writeln!(out, "### `{}`: {}\n", pack.name, pack.title);
        if let Some(d) = &pack.description {
            let _ = writeln!(out, "{}\n", d.trim());
        }
        let mut facts = vec![format!("{} rules", pack.rules.len())];
        if let Some(e) = &pack.effective {
            facts.push(format!("effective {e}"));
        }
        for e in &pack.effective_when {
            facts.push(format!("{} for {}", e.date, e.reason));
        }
        if let Some(a) = &pack.applies {
            facts.push(format!("applies when {}", a.explain()));
        }
        let _ = writeln!(out, "{}.\n", facts.join("; "));
        let _ = writeln!(out, "| rule | severity | evidence checked | reference |");
        let _ = writeln!(out, "|---|---|---|---|");
        for r in &pack.rules {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                r.id,
                r.severity.as_str(),
                cell(&r.title),
                cell(&r.reference)
            );
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_pack_loads_with_unique_rule_ids() {
        let packs = resolve(&[], false).unwrap();
        assert_eq!(packs.len(), PACKS.len());
        for (pack, (name, _)) in packs.iter().zip(PACKS) {
            assert_eq!(pack.name, name, "the folder name is the pack name");
        }
    }

    /// A tree's debug form without node ids, which the two parsers number differently in map
    /// literals.
    fn shape(tree: &cel::parser::Expression) -> String {
        let text = format!("{tree:?}");
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(at) = rest.find("id: ") {
            out.push_str(&rest[..at]);
            rest = rest[at + 4..].trim_start_matches(|c: char| c.is_ascii_digit());
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn built_in_packs_check_at_load_and_parse_alike_on_first_use() {
        for (name, text) in PACKS {
            // The full load compiles with the ANTLR parser and checks every name.
            let checked = pack::load(text, name, "test").unwrap();
            let trusted = pack::load_trusted(text, name, "test").unwrap();
            let (a, b): (Vec<_>, Vec<_>) = (checked.exprs().collect(), trusted.exprs().collect());
            assert_eq!(a.len(), b.len());
            for (a, b) in a.iter().zip(&b) {
                assert_eq!(a.source, b.source);
                let (a, b) = (a.tree().unwrap(), b.tree().unwrap());
                assert_eq!(shape(a), shape(b), "{name}: the parsers disagree");
            }
        }
    }

    #[test]
    fn a_deferred_expression_that_does_not_parse_is_an_error_outcome() {
        let text = "apiVersion: scelle.dev/v1\nkind: PolicyPack\nmetadata: {name: t, title: t, version: '1'}\nrules:\n  - {id: T-1, title: t, severity: error, reference: r, expression: 'declared.(', message: m, fix: f}\n";
        assert!(
            pack::load(text, "t", "t").is_err(),
            "the full load refuses it"
        );
        let trusted = pack::load_trusted(text, "t", "t").unwrap();
        let statement = serde_json::json!({"predicate": {"files": []}});
        let facts = crate::policy::Facts::new(
            crate::policy::facts::Source::Json(&statement),
            &crate::policy::VerificationFacts::default(),
            "2026-01-01",
            |_| true,
        );
        let result = crate::policy::eval::evaluate(
            &trusted,
            &facts.context(),
            "2026-01-01",
            crate::policy::eval::Stage::Release,
        );
        assert_eq!(result.results[0].outcome, crate::finding::Outcome::Error);
        assert!(
            result.results[0].message.contains("does not parse"),
            "{}",
            result.results[0].message
        );
    }

    /// `SCELLE_BLESS=1 cargo test --lib docs_list_every_rule` rewrites the catalogue.
    #[test]
    fn docs_list_every_rule() {
        crate::generated_docs::assert_section(
            "docs/policies.md",
            "catalogue",
            &catalogue_markdown(&all().unwrap()),
            "docs_list_every_rule",
        );
    }
}
