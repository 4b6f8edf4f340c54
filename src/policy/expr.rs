//! Rule expressions: CEL, compiled when a pack loads and checked before anything runs. A syntax
//! error, an unknown name, a misspelt `scelle.yaml` field (`declared.copyright.polcy`), a field
//! selected on a list, an unknown pack variable or function is a load error pointing at the
//! line and column of the pack file, not a surprise at evaluation time.
//!
//! The check follows names through comprehensions: in `declared.datasets.all(d, d.lawful_basis
//! != null)`, `d` is a dataset entry, so `d.lawfull_basis` would be caught too.

use std::sync::{Arc, OnceLock};

use cel::common::ast::{Expr as Ast, IdedExpr};
use cel::parser::{Expression, PrattParser};
use cel::{Context, Env};

use super::facts::{self, Shape};
use crate::manifest::descriptor::closest;
use crate::manifest::schema::{Field, Schema, Ty};
use crate::yaml::Pos;

/// The names an expression can start from (DESIGN.md §3.5).
pub const ROOTS: [&str; 9] = [
    "declared",
    "files",
    "model",
    "datasets",
    "derived",
    "verification",
    "now",
    "variables",
    "manifest",
];

/// Functions scelle adds to CEL (see `functions.rs`).
pub const FUNCTIONS: [&str; 7] = [
    "present",
    "days_between",
    "add_days",
    "add_years",
    "sum",
    "max_of",
    "min_of",
];

/// CEL's own type names, usable as identifiers (`type(x) == string`).
const TYPE_NAMES: [&str; 11] = [
    "int",
    "uint",
    "double",
    "bool",
    "string",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
    "dyn",
];

/// The CEL environment every expression is compiled and run with: the standard library,
/// optional values (`declared.?x.orValue(...)`), and the strings, lists and math extensions.
pub fn env() -> Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Env::stdlib().with_optional_support(true);
        // Each extension registers once on a fresh environment: failure is impossible here,
        // and an environment without one would only reject the expressions that use it.
        let _ = env.add_extension(cel::extensions::strings);
        let _ = env.add_extension(cel::extensions::lists);
        let _ = env.add_extension(cel::extensions::math);
        Arc::new(env)
    })
    .clone()
}

/// An expression and where it was written, compiled and checked when the pack loads or, for
/// the built-in packs (checked by `policy lint` and the tests), parsed on first use with cel's
/// hand-written parser: the generated ANTLR parser takes about 0.15 ms per expression, most of
/// a check's time, where the hand-written one takes a tenth of that. A test asserts both
/// parsers give the same tree for every built-in expression.
#[derive(Debug)]
pub struct Expr {
    pub source: String,
    pub pos: Pos,
    tree: OnceLock<Result<Expression, String>>,
}

impl Expr {
    /// An expression to parse on first use.
    pub fn deferred(source: &str, pos: Pos) -> Self {
        Self {
            source: source.to_owned(),
            pos,
            tree: OnceLock::new(),
        }
    }

    /// The parsed expression, or why it does not parse.
    pub fn tree(&self) -> Result<&Expression, &str> {
        self.tree
            .get_or_init(|| {
                PrattParser::new()
                    .enable_optional_syntax(true)
                    .parse(&self.source)
                    .map(|mut tree| {
                        super::budget::instrument(&mut tree);
                        tree
                    })
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// Whether the expression mentions the name `root` (an identifier, not a field or part of a
    /// longer name). Read from the text, so a deferred expression stays unparsed; a mention
    /// inside a string literal only costs a name bound for nothing.
    pub fn mentions(&self, root: &str) -> bool {
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
        self.source.match_indices(root).any(|(at, _)| {
            let before = self.source[..at].chars().next_back();
            let after = self.source[at + root.len()..].chars().next();
            before.is_none_or(|c| !ident(c) && c != '.') && after.is_none_or(|c| !ident(c))
        })
    }
}

/// Why an expression was refused, at its position in the pack file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub pos: Pos,
    pub message: String,
}

/// Where an expression's text sits in the pack file, to turn offsets in the expression into
/// file positions.
#[derive(Debug, Clone, Copy)]
pub struct Site<'a> {
    /// The whole pack file.
    pub file: &'a str,
    /// The position of the YAML scalar holding the expression.
    pub pos: Pos,
}

/// The pack variables an expression may use.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub variables: &'a [String],
}

/// Compiles and checks `source`.
pub fn compile(source: &str, site: Site<'_>, scope: Scope<'_>) -> Result<Expr, ExprError> {
    let env = env();
    let program = env.compile(source).map_err(|errors| {
        let first = errors.errors.first();
        let (line, column) = first.map_or((1, 1), |e| (e.pos.0.max(1), e.pos.1.max(1)));
        let message = first.map_or_else(|| errors.to_string(), |e| e.msg.clone());
        ExprError {
            pos: map_offset(
                site,
                offset_of(
                    source,
                    usize::try_from(line - 1).unwrap_or(0),
                    usize::try_from(column - 1).unwrap_or(0),
                ),
            ),
            message: format!(
                "invalid expression: {}",
                message.trim_start_matches("Syntax error: ")
            ),
        }
    })?;
    let schema = Schema::get().map_err(|e| ExprError {
        pos: site.pos,
        message: e.to_string(),
    })?;
    let mut checker = Checker {
        schema,
        scope,
        probe: Context::with_env(env.clone()),
        bound: Vec::new(),
        error: None,
    };
    checker.walk(program.expression());
    if let Some((id, message)) = checker.error {
        let pos = program
            .source_info()
            .offset_for(id)
            .map_or(site.pos, |(start, _)| {
                map_offset(site, usize::try_from(start).unwrap_or(0))
            });
        return Err(ExprError { pos, message });
    }
    let mut tree = program.expression().clone();
    super::budget::instrument(&mut tree);
    Ok(Expr {
        source: source.to_owned(),
        pos: site.pos,
        tree: OnceLock::from(Ok(tree)),
    })
}

/// What the checker knows about a sub-expression's value.
#[derive(Clone, Copy)]
enum Known<'a> {
    /// A `scelle.yaml` field (or the whole declaration).
    Field(&'a Field),
    /// A scanned or derived fact.
    Shape(&'static Shape),
    /// The pack's variables.
    Variables,
    /// Not tracked.
    Any,
}

struct Checker<'a> {
    schema: &'static Schema,
    scope: Scope<'a>,
    /// A context used only to ask CEL whether it knows a function.
    probe: Context<'static, 'static>,
    /// Names bound by enclosing comprehensions.
    bound: Vec<(String, Known<'static>)>,
    error: Option<(u64, String)>,
}

impl Checker<'_> {
    fn fail(&mut self, id: u64, message: String) -> Known<'static> {
        if self.error.is_none() {
            self.error = Some((id, message));
        }
        Known::Any
    }

    fn walk(&mut self, e: &IdedExpr) -> Known<'static> {
        match &e.expr {
            Ast::Ident(name) => self.ident(e.id, name),
            Ast::Select(select) => {
                let operand = self.walk(&select.operand);
                self.select(e.id, operand, &select.field, &path_of(&select.operand))
            }
            Ast::Call(call) => {
                let target = call.target.as_deref();
                // `math.ceil(x)`, `optional.of(x)`: a namespaced function, not a variable.
                let namespace = target.and_then(|t| match &t.expr {
                    Ast::Ident(ns) if !self.is_bound(ns) && !ROOTS.contains(&ns.as_str()) => {
                        Some(ns.clone())
                    }
                    _ => None,
                });
                let target_known = match (target, &namespace) {
                    (Some(t), None) => Some(self.walk(t)),
                    _ => None,
                };
                let args: Vec<Known<'static>> = call.args.iter().map(|a| self.walk(a)).collect();
                let name = call.func_name.as_str();
                if is_operator(name) {
                    return match (name, args.first()) {
                        ("_[_]", Some(Known::Field(f))) => match &f.ty {
                            Ty::List(item) => Known::Field(item),
                            _ => Known::Any,
                        },
                        ("_[_]", Some(Known::Shape(Shape::List(item)))) => Known::Shape(item),
                        ("_?._", Some(operand)) => match call.args.get(1).map(|a| &a.expr) {
                            Some(Ast::Literal(cel::common::ast::LiteralValue::String(field))) => {
                                let field = field.inner().to_owned();
                                self.select(e.id, *operand, &field, &path_of(&call.args[0]))
                            }
                            _ => Known::Any,
                        },
                        _ => Known::Any,
                    };
                }
                let full = match &namespace {
                    Some(ns) => format!("{ns}.{name}"),
                    None => name.to_owned(),
                };
                if !self.knows_function(&full) {
                    let mut candidates: Vec<&str> = FUNCTIONS.to_vec();
                    candidates.extend(["size", "contains", "startsWith", "endsWith", "matches"]);
                    let suggestion = closest(&full, &candidates)
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                    return self.fail(e.id, format!("unknown function `{full}`{suggestion}"));
                }
                match (name, target_known) {
                    ("orValue" | "value", Some(k)) => k,
                    _ => Known::Any,
                }
            }
            Ast::Comprehension(c) => {
                let range = self.walk(&c.iter_range);
                let item = match range {
                    Known::Field(f) => match &f.ty {
                        Ty::List(item) => Known::Field(item),
                        _ => Known::Any,
                    },
                    Known::Shape(Shape::List(item)) => Known::Shape(item),
                    _ => Known::Any,
                };
                self.walk(&c.accu_init);
                let depth = self.bound.len();
                self.bound.push((c.accu_var.clone(), Known::Any));
                match &c.iter_var2 {
                    // Two-variable forms bind the index (or key) first.
                    Some(second) => {
                        self.bound.push((c.iter_var.clone(), Known::Any));
                        self.bound.push((second.clone(), item));
                    }
                    None => self.bound.push((c.iter_var.clone(), item)),
                }
                self.walk(&c.loop_cond);
                self.walk(&c.loop_step);
                self.walk(&c.result);
                self.bound.truncate(depth);
                // `list.filter(x, p)` is a list of the same entries, so names chained after it
                // (`.all(d, d.field ...)`) are still checked.
                if is_filter(c) { range } else { Known::Any }
            }
            Ast::List(list) => {
                for element in &list.elements {
                    self.walk(element);
                }
                Known::Any
            }
            Ast::Map(map) => {
                for entry in &map.entries {
                    if let cel::common::ast::EntryExpr::MapEntry(m) = &entry.expr {
                        self.walk(&m.key);
                        self.walk(&m.value);
                    }
                }
                Known::Any
            }
            Ast::Struct(_) | Ast::Literal(_) | Ast::Unspecified => Known::Any,
        }
    }

    fn is_bound(&self, name: &str) -> bool {
        self.bound.iter().any(|(n, _)| n == name)
    }

    fn ident(&mut self, id: u64, name: &str) -> Known<'static> {
        if let Some((_, known)) = self.bound.iter().rev().find(|(n, _)| n == name) {
            return *known;
        }
        match name {
            "declared" => Known::Field(&self.schema.root),
            "variables" => Known::Variables,
            _ => {
                if let Some(shape) = facts::shape_of_root(name) {
                    return Known::Shape(shape);
                }
                if TYPE_NAMES.contains(&name) || name.starts_with('@') {
                    return Known::Any;
                }
                let mut candidates: Vec<&str> = ROOTS.to_vec();
                candidates.extend(self.bound.iter().map(|(n, _)| n.as_str()));
                let suggestion = closest(name, &candidates)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                self.fail(
                    id,
                    format!(
                        "unknown name `{name}`{suggestion}; expressions start from {}",
                        ROOTS.map(|r| format!("`{r}`")).join(", ")
                    ),
                )
            }
        }
    }

    fn select(
        &mut self,
        id: u64,
        operand: Known<'static>,
        field: &str,
        at: &str,
    ) -> Known<'static> {
        match operand {
            Known::Any => Known::Any,
            Known::Variables => {
                if self.scope.variables.iter().any(|v| v == field) {
                    Known::Any
                } else {
                    let names: Vec<&str> = self.scope.variables.iter().map(String::as_str).collect();
                    let suggestion = closest(field, &names)
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                    self.fail(
                        id,
                        format!("no variable `{field}` is defined before this point in the pack{suggestion}"),
                    )
                }
            }
            Known::Field(f) => match &f.ty {
                Ty::List(_) => self.fail(
                    id,
                    format!(
                        "`{at}` is a list: select `{field}` on its entries, as in `{at}.all(x, x.{field} ...)`"
                    ),
                ),
                Ty::Object(_) | Ty::Ref(_) => {
                    if field.starts_with("x-") {
                        return Known::Any;
                    }
                    if let Some(child) = f.child(field) {
                        Known::Field(child)
                    } else {
                        let names = f.child_names();
                        let suggestion = closest(field, &names)
                            .map(|s| format!(" (did you mean `{s}`?)"))
                            .unwrap_or_default();
                        self.fail(id, format!("`{at}` has no field `{field}`{suggestion}"))
                    }
                }
                _ => self.fail(id, format!("`{at}` is a value, it has no field `{field}`")),
            },
            Known::Shape(shape) => match shape {
                Shape::Any => Known::Any,
                Shape::List(_) => self.fail(
                    id,
                    format!("`{at}` is a list: select `{field}` on its entries, as in `{at}.exists(x, x.{field} ...)`"),
                ),
                Shape::Leaf => self.fail(id, format!("`{at}` is a value, it has no field `{field}`")),
                Shape::Obj(fields) => if let Some((_, child)) = fields.iter().find(|(n, _)| *n == field) { Known::Shape(child) } else {
                        let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
                        let suggestion = closest(field, &names)
                            .map(|s| format!(" (did you mean `{s}`?)"))
                            .unwrap_or_default();
                        self.fail(id, format!("`{at}` has no field `{field}`{suggestion}"))
                    },
            },
        }
    }

    fn knows_function(&mut self, name: &str) -> bool {
        if FUNCTIONS.contains(&name) {
            return true;
        }
        // CEL refuses to register a function under a name its environment already declares:
        // that refusal is the only public way to ask whether it knows `name`.
        self.probe.add_function(name, |x: i64| x).is_err()
    }
}

/// Whether a comprehension is the expansion of `filter`: `p ? @result + [x] : @result`.
fn is_filter(c: &cel::common::ast::ComprehensionExpr) -> bool {
    let Ast::Call(choice) = &c.loop_step.expr else {
        return false;
    };
    if choice.func_name != "_?_:_" || choice.args.len() != 3 {
        return false;
    }
    let Ast::Call(add) = &choice.args[1].expr else {
        return false;
    };
    if add.func_name != "_+_" || add.args.len() != 2 {
        return false;
    }
    matches!(&add.args[1].expr, Ast::List(list)
        if list.elements.len() == 1
            && matches!(&list.elements[0].expr, Ast::Ident(n) if *n == c.iter_var))
}

fn is_operator(name: &str) -> bool {
    name.starts_with('_') || name.starts_with('@') || name.starts_with('!') || name == "-_"
}

/// `declared.copyright` for messages; `...` when the operand is not a plain path.
fn path_of(e: &IdedExpr) -> String {
    match &e.expr {
        Ast::Ident(name) => name.clone(),
        Ast::Select(s) => format!("{}.{}", path_of(&s.operand), s.field),
        Ast::Call(c) if c.func_name == "_?._" => {
            match (c.args.first(), c.args.get(1).map(|a| &a.expr)) {
                (Some(op), Some(Ast::Literal(cel::common::ast::LiteralValue::String(f)))) => {
                    format!("{}.?{}", path_of(op), f.inner())
                }
                _ => "...".into(),
            }
        }
        _ => "...".into(),
    }
}

/// The file position of the character `offset` (in characters) of an expression, following how
/// YAML folded the scalar's lines into the expression text: each source line contributes its
/// text and one separator (a newline in a `|` block, a space when folded).
pub fn map_offset(site: Site<'_>, offset: usize) -> Pos {
    let lines: Vec<&str> = site.file.lines().collect();
    let first = site.pos.line.saturating_sub(1) as usize;
    let Some(head) = lines.get(first) else {
        return site.pos;
    };
    let start = site.pos.column.saturating_sub(1) as usize;
    let rest: String = head.chars().skip(start).collect();
    let indent_of = |l: &str| l.chars().take_while(|c| *c == ' ').count();
    // (line index, first column, length) of each piece of the scalar.
    let mut segments: Vec<(usize, usize, usize)> = Vec::new();
    // A block scalar (`|`, `>-`...) may be reported at its indicator or at its first line.
    let indicator = |l: &str| {
        let t = l.split(" #").next().unwrap_or_default().trim_end();
        let tail = t.rsplit([' ', ':']).next().unwrap_or_default();
        !tail.is_empty() && (tail.starts_with('|') || tail.starts_with('>')) && tail.len() <= 3
    };
    let body = if rest.starts_with('|') || rest.starts_with('>') {
        Some(first + 1)
    } else if first > 0 && lines.get(first - 1).is_some_and(|l| indicator(l)) {
        Some(first)
    } else {
        None
    };
    if let Some(body) = body {
        let block_indent = lines
            .iter()
            .skip(body)
            .find(|l| !l.trim().is_empty())
            .map_or(0, |l| indent_of(l));
        for (i, l) in lines.iter().enumerate().skip(body) {
            if !l.trim().is_empty() && indent_of(l) < block_indent {
                break;
            }
            let len = l.trim_end().chars().count().saturating_sub(block_indent);
            segments.push((i, block_indent, len));
        }
    } else {
        let quoted = usize::from(rest.starts_with('"') || rest.starts_with('\''));
        segments.push((
            first,
            start + quoted,
            rest.chars().count().saturating_sub(quoted),
        ));
        for (i, l) in lines.iter().enumerate().skip(first + 1) {
            let indent = indent_of(l);
            segments.push((
                i,
                indent,
                l.trim_end().chars().count().saturating_sub(indent),
            ));
        }
    }
    let mut remaining = offset;
    for (line, column, len) in &segments {
        if remaining <= *len {
            return Pos {
                line: u32::try_from(line + 1).unwrap_or(u32::MAX),
                column: u32::try_from(column + remaining + 1).unwrap_or(u32::MAX),
            };
        }
        remaining -= len + 1;
    }
    site.pos
}

/// The character offset of (`line`, `column`), both 0-based, in `source`.
fn offset_of(source: &str, line: usize, column: usize) -> usize {
    source
        .split('\n')
        .take(line)
        .map(|l| l.chars().count() + 1)
        .sum::<usize>()
        + column
}
