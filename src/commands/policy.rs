//! `scelle policy list | explain | lint | test`: the packs themselves, for the people who read
//! and write them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::Error;
use crate::cli::{
    PolicyCommand, PolicyExplainArgs, PolicyLintArgs, PolicyListArgs, PolicyTestArgs, ReportFormat,
};
use crate::codes;
use crate::console::Console;
use crate::exit::ExitStatus;
use crate::manifest::schema::Schema;
use crate::policy::builtin::{self, PolicyError};
use crate::policy::casebook;
use crate::policy::pack::{Pack, Rule, strip_indices};
use crate::report::Output;

pub(crate) fn run(command: &PolicyCommand, console: &Console) -> anyhow::Result<ExitStatus> {
    match command {
        PolicyCommand::List(args) => list(args),
        PolicyCommand::Explain(args) => explain(args),
        PolicyCommand::Lint(args) => lint(args, console),
        PolicyCommand::Test(args) => test(args, console),
    }
}

fn write(text: &str) -> anyhow::Result<()> {
    Output::Stdout.write(text.as_bytes()).map_err(Error::from)?;
    Ok(())
}

fn list(args: &PolicyListArgs) -> anyhow::Result<ExitStatus> {
    let packs = builtin::resolve(&args.policy, false).map_err(Error::from)?;
    let text = match args.format {
        ReportFormat::Json => {
            let list: Vec<_> = packs
                .iter()
                .map(|p| {
                    json!({
                        "name": p.name,
                        "title": p.title,
                        "version": p.version,
                        "effective": p.effective,
                        "origin": p.origin,
                        "rules": p.rules.len(),
                        "tests": p.tests.len(),
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&list).unwrap_or_default();
            s.push('\n');
            s
        }
        ReportFormat::Table => {
            let width = packs.iter().map(|p| p.name.len()).max().unwrap_or(0);
            let mut out = String::new();
            let mut total = 0;
            for p in &packs {
                total += p.rules.len();
                let _ = writeln!(
                    out,
                    "{:<width$}  {:>2} rules  {}  {}",
                    p.name,
                    p.rules.len(),
                    p.effective.as_deref().unwrap_or("          "),
                    p.title
                );
            }
            let _ = writeln!(out, "{} packs, {total} rules", packs.len());
            out
        }
    };
    write(&text)?;
    Ok(ExitStatus::Success)
}

fn explain(args: &PolicyExplainArgs) -> anyhow::Result<ExitStatus> {
    let packs = builtin::resolve(&args.policy, false).map_err(Error::from)?;
    if let Some(code) = codes::get(&args.rule) {
        write(&code_explanation(code, &packs))?;
        return Ok(ExitStatus::Success);
    }
    if let Some((family, what)) = codes::FAMILIES.iter().find(|(f, _)| *f == args.rule)
        && !packs.iter().any(|p| p.name == args.rule)
    {
        let mut out = format!("{family}/*  finding codes {what}\n");
        for c in codes::CODES.iter().filter(|c| c.family() == *family) {
            let _ = writeln!(
                out,
                "  {:<26} {:<7}  {}",
                c.id,
                c.severity.as_str(),
                c.title
            );
        }
        write(&out)?;
        return Ok(ExitStatus::Success);
    }
    if let Some(pack) = packs.iter().find(|p| p.name == args.rule) {
        let mut out = String::new();
        let _ = writeln!(out, "{}  {} ({})", pack.name, pack.title, pack.version);
        if let Some(source) = &pack.source {
            let _ = writeln!(out, "source     {source}");
        }
        if let Some(a) = &pack.applies {
            let _ = writeln!(out, "applies    when {}", a.explain());
        }
        for r in &pack.rules {
            let _ = writeln!(
                out,
                "  {:<15} {:<7}  {}",
                r.id,
                r.severity.as_str(),
                r.title
            );
        }
        write(&out)?;
        return Ok(ExitStatus::Success);
    }
    let Some((pack, rule)) = packs
        .iter()
        .find_map(|p| p.rules.iter().find(|r| r.id == args.rule).map(|r| (p, r)))
    else {
        let ids: Vec<&str> = packs
            .iter()
            .flat_map(|p| p.rules.iter().map(|r| r.id.as_str()))
            .chain(codes::CODES.iter().map(|c| c.id))
            .collect();
        let near = crate::manifest::descriptor::closest(&args.rule, &ids)
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        return Err(anyhow::anyhow!(
            "no rule, finding code or pack `{}`{near}",
            args.rule
        ));
    };
    write(&explanation(pack, rule))?;
    Ok(ExitStatus::Success)
}

/// What `policy explain CODE` prints: what a finding of the code means, why it matters, its
/// severity, the fix, and the rules of the packs that read it.
pub(crate) fn code_explanation(code: &codes::Code, packs: &[Pack]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}  {}", code.id, code.title);
    let _ = writeln!(out, "severity   {}", code.severity_text());
    let _ = writeln!(out, "means      {}", codes::squash(code.means));
    let _ = writeln!(out, "matters    {}", codes::squash(code.why));
    let _ = writeln!(out, "fix        {}", codes::squash(code.fix));
    let quoted = format!("'{}'", code.id);
    let readers: Vec<String> = packs
        .iter()
        .flat_map(|p| {
            p.rules
                .iter()
                .filter(|r| {
                    std::iter::once(&r.expression)
                        .chain(&r.subjects)
                        .any(|e| e.source.contains(&quoted))
                })
                .map(move |r| format!("{} ({})", r.id, p.name))
        })
        .collect();
    if !readers.is_empty() {
        let _ = writeln!(out, "checked by {}", readers.join(", "));
    }
    let _ = writeln!(
        out,
        "waive it   `waivers:` entry with `id: {}` (see `docs/policies.md`)",
        code.id
    );
    let _ = writeln!(out, "see        {}", code.help_uri());
    out
}

/// What `policy explain RULE` prints.
pub(crate) fn explanation(pack: &Pack, rule: &Rule) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}  {}", rule.id, rule.title);
    let _ = writeln!(out, "pack       {} ({})", pack.name, pack.title);
    let _ = writeln!(out, "severity   {}", rule.severity.as_str());
    let _ = writeln!(out, "reference  {}", rule.reference);
    if let Some(d) = &rule.description {
        let _ = writeln!(out, "about      {}", d.trim());
    }
    let mut applies = Vec::new();
    if let Some(a) = &pack.applies {
        applies.push(format!("the pack applies ({})", a.explain()));
    }
    if let Some(w) = &rule.when {
        applies.push(w.explain());
    }
    let _ = writeln!(
        out,
        "applies    {}",
        if applies.is_empty() {
            "always".to_owned()
        } else {
            applies.join(", and ")
        }
    );
    let _ = writeln!(out, "checks     {}", rule.expression.source.trim());
    if let Some(field) = &rule.field {
        let doc = Schema::get()
            .ok()
            .and_then(|s| s.lookup(&strip_indices(field)))
            .map(|f| format!(": {}", f.doc))
            .unwrap_or_default();
        let _ = writeln!(out, "field      `{field}` in `scelle.yaml`{doc}");
    }
    let effective = rule.effective.as_ref().or(pack.effective.as_ref());
    if let Some(date) = effective {
        let later: Vec<String> = rule
            .effective_when
            .iter()
            .chain(&pack.effective_when)
            .map(|e| format!("{} for {}", e.date, e.reason))
            .collect();
        let _ = writeln!(
            out,
            "effective  {date}{}; before that, failures are reported as warnings",
            if later.is_empty() {
                String::new()
            } else {
                format!(" ({})", later.join("; "))
            }
        );
    }
    let _ = writeln!(out, "fails with {}", rule.message);
    let _ = writeln!(out, "fix        {}", rule.fix);
    if let Some(uri) = rule.help_uri.as_ref().or(pack.help_uri.as_ref()) {
        let _ = writeln!(out, "see        {uri}");
    }
    out
}

/// The pack files named by `paths`: files as given, folders as their `pack.yaml` or their
/// `*/pack.yaml`, sorted.
fn pack_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.exists() && !path.is_dir() {
            out.push(path.clone());
            continue;
        }
        let own = path.join("pack.yaml");
        if own.is_file() {
            out.push(own);
            continue;
        }
        // A missing path is named as missing, not by the read that fails on it.
        crate::walk::existing(path)?;
        let mut found: Vec<PathBuf> = fs_err::read_dir(path)?
            .filter_map(Result::ok)
            .map(|e| e.path().join("pack.yaml"))
            .filter(|p| p.is_file())
            .collect();
        if found.is_empty() {
            return Err(anyhow::anyhow!(
                "`{}` holds no `pack.yaml` and no `*/pack.yaml`",
                path.display()
            ));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

fn load(path: &Path) -> Result<Pack, PolicyError> {
    builtin::from_file(path)
}

fn lint(args: &PolicyLintArgs, console: &Console) -> anyhow::Result<ExitStatus> {
    let mut out = String::new();
    let mut errors = 0;
    let mut warnings = 0;
    let files = pack_files(&args.paths)?;
    for file in &files {
        let display = file.display().to_string();
        match load(file) {
            Ok(pack) => {
                for w in &pack.warnings {
                    warnings += 1;
                    let _ = writeln!(
                        out,
                        "{display}:{}:{}: warning: {}",
                        w.pos.line, w.pos.column, w.message
                    );
                }
                for rule in &pack.rules {
                    if !pack
                        .tests
                        .iter()
                        .any(|t| t.expect.iter().any(|(id, _, _)| *id == rule.id))
                    {
                        warnings += 1;
                        let _ = writeln!(
                            out,
                            "{display}:{}:{}: warning: rule `{}` has no test case",
                            rule.pos.line, rule.pos.column, rule.id
                        );
                    }
                }
            }
            Err(PolicyError::Load(e)) => {
                for p in &e.problems {
                    errors += 1;
                    let _ = writeln!(
                        out,
                        "{display}:{}:{}: error: {}",
                        p.pos.line, p.pos.column, p.message
                    );
                }
            }
            Err(other) => return Err(Error::from(other).into()),
        }
    }
    write(&out)?;
    console.note(&format!(
        "{} pack files: {errors} errors, {warnings} warnings",
        files.len()
    ));
    Ok(if errors > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

fn test(args: &PolicyTestArgs, console: &Console) -> anyhow::Result<ExitStatus> {
    let files = pack_files(&args.paths)?;
    let mut results = Vec::new();
    for file in &files {
        let pack = load(file).map_err(Error::from)?;
        let dir = file
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        results.push(casebook::run(&pack, &dir));
    }
    let failed: usize = results
        .iter()
        .map(|r| r.cases.iter().filter(|c| !c.passed).count())
        .sum();
    let uncovered: usize = results.iter().map(|r| r.uncovered().len()).sum();
    let text = match args.format {
        ReportFormat::Json => {
            let mut s = serde_json::to_string_pretty(&results).unwrap_or_default();
            s.push('\n');
            s
        }
        ReportFormat::Table => {
            let mut out = String::new();
            for r in &results {
                let passed = r.cases.iter().filter(|c| c.passed).count();
                let covered = r.coverage.len() - r.uncovered().len();
                let _ = writeln!(
                    out,
                    "{}: {passed}/{} cases pass, {covered}/{} rules seen passing and failing",
                    r.pack,
                    r.cases.len(),
                    r.coverage.len()
                );
                for c in r.cases.iter().filter(|c| !c.passed) {
                    let _ = writeln!(out, "  FAIL {}", c.name);
                    for p in &c.problems {
                        let _ = writeln!(out, "       {p}");
                    }
                }
                if args.require_coverage {
                    for (id, what) in r.uncovered() {
                        let _ = writeln!(out, "  UNCOVERED {id}: {what}");
                    }
                }
            }
            out
        }
    };
    write(&text)?;
    let cases: usize = results.iter().map(|r| r.cases.len()).sum();
    let many = |n: usize, one: &str, more: &str| format!("{n} {}", if n == 1 { one } else { more });
    console.note(&format!(
        "{}, {}, {failed} failed{}",
        many(results.len(), "pack", "packs"),
        many(cases, "case", "cases"),
        if args.require_coverage {
            format!(
                ", {} without both a passing and a failing case",
                many(uncovered, "rule", "rules")
            )
        } else {
            String::new()
        }
    ));
    Ok(if failed > 0 || (args.require_coverage && uncovered > 0) {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}
