//! The walk over a parsed template. A first pass records where every name gets its values
//! (`set`, `with`, loop targets, macro parameters from their calls, `set ns.attr`, set blocks), so
//! that a name built in one place and used in another is followed; the second pass looks at every
//! attribute access, item key, attribute-taking filter, `str.format` string and `range` call.
//! The analysis is flow-insensitive: a name holds every value any assignment gives it.

mod check;
mod fold;

use std::collections::HashMap;

use minijinja::machinery::ast::{self, CallArg, CallType, Expr, Stmt};

use super::value::Abs;
use super::{Concern, Level};

/// Attribute names that escape Jinja's sandbox without a leading `__` (Jinja2's
/// `is_internal_attribute` lists, Python 2 spellings, and frame and code objects).
const INTERNALS: [&str; 30] = [
    "mro",
    "func_globals",
    "func_code",
    "func_closure",
    "func_defaults",
    "func_dict",
    "im_func",
    "im_self",
    "im_class",
    "gi_frame",
    "gi_code",
    "gi_yieldfrom",
    "cr_frame",
    "cr_code",
    "cr_await",
    "ag_frame",
    "ag_code",
    "ag_await",
    "f_back",
    "f_globals",
    "f_locals",
    "f_builtins",
    "f_code",
    "tb_frame",
    "tb_next",
    "co_code",
    "co_consts",
    "co_names",
    "_TemplateReference__context",
    "_Context__self",
];

/// Jinja's own globals: called, they are harmless; handled as values, their Python attributes
/// lead to `__globals__` and from there anywhere.
const GLOBALS: [&str; 6] = ["cycler", "joiner", "namespace", "lipsum", "range", "dict"];

/// The special tokens transformers passes to the renderer, set by the release's tokenizer config:
/// text the template reads but does not spell.
const SPECIAL_TOKENS: [&str; 8] = [
    "bos_token",
    "eos_token",
    "unk_token",
    "pad_token",
    "sep_token",
    "cls_token",
    "mask_token",
    "additional_special_tokens",
];

/// `range` lengths and repetitions above this are resource abuse, not formatting.
const HUGE: i64 = 100_000;
/// Nesting followed when folding a value (names through names, macro bodies): deeper is
/// treated as built text nobody can follow.
const MAX_FOLD_DEPTH: usize = 48;
/// Rounds of re-evaluation for a name defined through itself (`set ns.k = ns.k ~ piece` in a
/// loop): enough to find a name built from a few pieces.
const ROUNDS: usize = 4;
/// Folding steps per template.
pub(super) const MAX_STEPS: usize = 1_000_000;
/// Nesting of statements and expressions walked.
pub(super) const MAX_DEPTH: usize = 400;

/// Whether reading this attribute escapes Jinja's sandbox.
pub(super) fn is_escape_name(name: &str) -> bool {
    name.starts_with("__") || INTERNALS.contains(&name) || mangled(name)
}

/// A private attribute as Python mangles it: `_TemplateReference__context`.
fn mangled(name: &str) -> bool {
    name.strip_prefix('_')
        .and_then(|rest| rest.split_once("__"))
        .is_some_and(|(class, attr)| {
            !class.is_empty() && class.chars().all(char::is_alphanumeric) && !attr.is_empty()
        })
}

/// Where a name gets a value.
#[derive(Clone, Copy)]
enum From<'a, 's> {
    /// `set name = expr`, `with`, a macro argument or default.
    Expr(&'a Expr<'s>),
    /// A loop target: the items of `expr`.
    Items(&'a Expr<'s>),
    /// A name unpacked from a loop item (`for k, v in x`): items of items.
    Nested(&'a Expr<'s>),
    /// A name unpacked deeper still: any string inside `expr`.
    Deep(&'a Expr<'s>),
    /// A set block: its output.
    Output(&'a [Stmt<'s>]),
    /// Nothing can tell (a macro handed around as a value).
    Opaque,
}

pub(super) struct Walker<'a, 's> {
    source: &'s str,
    names: HashMap<&'s str, Vec<From<'a, 's>>>,
    attrs: HashMap<&'s str, Vec<From<'a, 's>>>,
    macros: HashMap<&'s str, &'a ast::Macro<'s>>,
    callers: Vec<&'a ast::Macro<'s>>,
    folded: HashMap<*const Expr<'s>, Abs>,
    resolved: HashMap<(bool, &'s str), Abs>,
    /// Names being resolved, innermost last, with the value assumed for a name defined through
    /// itself and whether that assumption was used.
    resolving: Vec<((bool, &'s str), Abs, bool)>,
    /// The lowest index of `resolving` whose assumption was used since it was last reset.
    lowest_assumed: usize,
    fold_depth: usize,
    /// Folding steps left: a template whose names take more than this to follow is not analysed.
    steps: usize,
    /// Where the step budget ran out.
    pub exhausted: Option<usize>,
    depth: usize,
    /// Where the walk gave up because the tree is nested too deep.
    pub too_deep: Option<usize>,
    pub concerns: Vec<Concern>,
}

impl<'a, 's> Walker<'a, 's> {
    pub(super) fn new(source: &'s str) -> Self {
        Walker {
            source,
            names: HashMap::new(),
            attrs: HashMap::new(),
            macros: HashMap::new(),
            callers: Vec::new(),
            folded: HashMap::new(),
            resolved: HashMap::new(),
            resolving: Vec::new(),
            lowest_assumed: usize::MAX,
            fold_depth: 0,
            steps: MAX_STEPS,
            exhausted: None,
            depth: 0,
            too_deep: None,
            concerns: Vec::new(),
        }
    }

    /// Walks the whole template.
    pub(super) fn run(&mut self, root: &'a Stmt<'s>) {
        self.declare(root);
        self.collect(root);
        self.check_stmt(root);
    }

    fn concern(&mut self, level: Level, what: String, offset: u32) {
        let offset = offset as usize;
        if !self
            .concerns
            .iter()
            .any(|c| c.offset == offset && c.what == what)
        {
            self.concerns.push(Concern {
                level,
                what,
                offset,
            });
        }
    }

    /// Enters one level of nesting; false (and the walk stops) past [`MAX_DEPTH`].
    fn enter(&mut self, offset: u32) -> bool {
        if self.depth >= MAX_DEPTH {
            self.too_deep.get_or_insert(offset as usize);
            return false;
        }
        self.depth += 1;
        true
    }

    // ---- first pass: macros, then where names get their values ----

    fn declare(&mut self, s: &'a Stmt<'s>) {
        for_each_child(s, &mut |child| {
            if let Stmt::Macro(m) = child {
                self.macros.insert(m.name, m);
            }
            if let Stmt::CallBlock(c) = child {
                self.callers.push(&c.macro_decl);
            }
        });
    }

    fn collect(&mut self, s: &'a Stmt<'s>) {
        for_each_child(s, &mut |child| self.collect_one(child));
    }

    fn collect_one(&mut self, s: &'a Stmt<'s>) {
        match s {
            Stmt::ForLoop(f) => {
                // `for k, v in x` (the parser gives the names as a list): items of items.
                if unpacked(&f.target).is_some() {
                    self.bind_unpacked(&f.target, From::Nested(&f.iter));
                } else {
                    self.bind(&f.target, From::Items(&f.iter));
                }
                self.collect_expr(&f.iter);
            }
            Stmt::Set(set) => {
                if unpacked(&set.target).is_some() {
                    self.bind_unpacked(&set.target, From::Items(&set.expr));
                } else {
                    self.bind(&set.target, From::Expr(&set.expr));
                }
                self.collect_expr(&set.expr);
            }
            Stmt::SetBlock(set) => {
                let from = if set.filter.is_some() {
                    From::Opaque
                } else {
                    From::Output(&set.body)
                };
                self.bind(&set.target, from);
            }
            Stmt::WithBlock(w) => {
                for (target, expr) in &w.assignments {
                    self.bind(target, From::Expr(expr));
                    self.collect_expr(expr);
                }
            }
            Stmt::Macro(m) => {
                let first_default = m.args.len().saturating_sub(m.defaults.len());
                for (arg, default) in m.args[first_default..].iter().zip(&m.defaults) {
                    self.bind(arg, From::Expr(default));
                }
            }
            Stmt::EmitExpr(e) => self.collect_expr(&e.expr),
            Stmt::IfCond(i) => self.collect_expr(&i.expr),
            Stmt::CallBlock(c) => self.collect_call(&c.call),
            Stmt::Do(d) => self.collect_call(&d.call),
            _ => {}
        }
    }

    /// Binds every name of an unpacking target (`a, (b, c)`) to `from`; names unpacked deeper
    /// get anything found inside.
    fn bind_unpacked(&mut self, target: &'a Expr<'s>, from: From<'a, 's>) {
        let Some(items) = unpacked(target) else {
            return self.bind(target, from);
        };
        for item in items {
            if unpacked(item).is_some() {
                let deep = match from {
                    From::Expr(e) | From::Items(e) | From::Nested(e) | From::Deep(e) => {
                        From::Deep(e)
                    }
                    other => other,
                };
                self.bind_unpacked(item, deep);
            } else {
                self.bind(item, from);
            }
        }
    }

    fn bind(&mut self, target: &'a Expr<'s>, from: From<'a, 's>) {
        match target {
            Expr::Var(v) => self.names.entry(v.id).or_default().push(from),
            Expr::GetAttr(g) => self.attrs.entry(g.name).or_default().push(from),
            _ => {}
        }
    }

    /// Binds macro parameters to the arguments of every call, and `namespace(k=...)` keys.
    fn collect_expr(&mut self, e: &'a Expr<'s>) {
        let mut stack = vec![e];
        while let Some(e) = stack.pop() {
            match e {
                Expr::Call(c) => {
                    self.bind_call(c);
                    if !matches!(&c.expr, Expr::Var(v) if self.macros.contains_key(v.id)) {
                        stack.push(&c.expr);
                    }
                    stack.extend(c.args.iter().map(arg_expr));
                }
                Expr::Var(v) => {
                    // A macro handed around as a value: its parameters can be anything.
                    if let Some(m) = self.macros.get(v.id).copied() {
                        for arg in &m.args {
                            self.bind(arg, From::Opaque);
                        }
                    }
                }
                other => push_children(other, &mut stack),
            }
        }
    }

    fn collect_call(&mut self, c: &'a ast::Spanned<ast::Call<'s>>) {
        self.bind_call(c);
        self.collect_expr(&c.expr);
        for a in &c.args {
            self.collect_expr(arg_expr(a));
        }
    }

    fn bind_call(&mut self, c: &'a ast::Call<'s>) {
        let CallType::Function(name) = c.identify_call() else {
            return;
        };
        if name == "namespace" {
            for a in &c.args {
                if let CallArg::Kwarg(k, v) = a {
                    self.attrs.entry(k).or_default().push(From::Expr(v));
                }
            }
            return;
        }
        let targets: Vec<&'a ast::Macro<'s>> = if name == "caller" {
            self.callers.clone()
        } else {
            self.macros.get(name).copied().into_iter().collect()
        };
        for m in targets {
            let mut position = 0;
            for a in &c.args {
                match a {
                    CallArg::Pos(v) => {
                        if let Some(param) = m.args.get(position) {
                            self.bind(param, From::Expr(v));
                        }
                        position += 1;
                    }
                    CallArg::Kwarg(k, v) => {
                        if let Some(param) = m
                            .args
                            .iter()
                            .find(|p| matches!(p, Expr::Var(x) if x.id == *k))
                        {
                            self.bind(param, From::Expr(v));
                        }
                    }
                    CallArg::PosSplat(_) | CallArg::KwargSplat(_) => {
                        for param in &m.args {
                            self.bind(param, From::Opaque);
                        }
                    }
                }
            }
        }
    }
}

/// Visits every statement of a tree (bodies of blocks included), iteratively.
fn for_each_child<'a, 's>(root: &'a Stmt<'s>, f: &mut impl FnMut(&'a Stmt<'s>)) {
    let mut stack = vec![root];
    while let Some(s) = stack.pop() {
        f(s);
        match s {
            Stmt::Template(t) => stack.extend(&t.children),
            Stmt::ForLoop(l) => stack.extend(l.body.iter().chain(&l.else_body)),
            Stmt::IfCond(i) => stack.extend(i.true_body.iter().chain(&i.false_body)),
            Stmt::WithBlock(w) => stack.extend(&w.body),
            Stmt::SetBlock(b) => stack.extend(&b.body),
            Stmt::AutoEscape(a) => stack.extend(&a.body),
            Stmt::FilterBlock(b) => stack.extend(&b.body),
            Stmt::Block(b) => stack.extend(&b.body),
            Stmt::Macro(m) => stack.extend(&m.body),
            Stmt::CallBlock(c) => stack.extend(&c.macro_decl.body),
            _ => {}
        }
    }
}

fn push_children<'a, 's>(e: &'a Expr<'s>, stack: &mut Vec<&'a Expr<'s>>) {
    match e {
        Expr::Var(_) | Expr::Const(_) => {}
        Expr::Slice(s) => {
            stack.push(&s.expr);
            stack.extend([&s.start, &s.stop, &s.step].into_iter().flatten());
        }
        Expr::UnaryOp(u) => stack.push(&u.expr),
        Expr::BinOp(b) => stack.extend([&b.left, &b.right]),
        Expr::Compare(c) => {
            stack.push(&c.expr);
            stack.extend(c.ops.iter().map(|o| &o.expr));
        }
        Expr::IfExpr(i) => {
            stack.extend([&i.test_expr, &i.true_expr]);
            stack.extend(&i.false_expr);
        }
        Expr::Filter(f) => {
            stack.extend(&f.expr);
            stack.extend(f.args.iter().map(arg_expr));
        }
        Expr::Test(t) => {
            stack.push(&t.expr);
            stack.extend(t.args.iter().map(arg_expr));
        }
        Expr::GetAttr(g) => stack.push(&g.expr),
        Expr::GetItem(g) => stack.extend([&g.expr, &g.subscript_expr]),
        Expr::Call(c) => {
            stack.push(&c.expr);
            stack.extend(c.args.iter().map(arg_expr));
        }
        Expr::List(l) => stack.extend(&l.items),
        Expr::Tuple(t) => stack.extend(&t.items),
        Expr::Map(m) => stack.extend(m.keys.iter().chain(&m.values)),
    }
}

/// The names of an unpacking target, which the parser writes as a list (or a tuple).
fn unpacked<'a, 's>(target: &'a Expr<'s>) -> Option<&'a [Expr<'s>]> {
    match target {
        Expr::List(l) => Some(&l.items),
        Expr::Tuple(t) => Some(&t.items),
        _ => None,
    }
}

fn arg_expr<'a, 's>(a: &'a CallArg<'s>) -> &'a Expr<'s> {
    match a {
        CallArg::Pos(e) | CallArg::Kwarg(_, e) | CallArg::PosSplat(e) | CallArg::KwargSplat(e) => e,
    }
}

fn stmt_offset(s: &Stmt<'_>) -> u32 {
    let span = match s {
        Stmt::Template(x) => x.span(),
        Stmt::EmitExpr(x) => x.span(),
        Stmt::EmitRaw(x) => x.span(),
        Stmt::ForLoop(x) => x.span(),
        Stmt::IfCond(x) => x.span(),
        Stmt::WithBlock(x) => x.span(),
        Stmt::Set(x) => x.span(),
        Stmt::SetBlock(x) => x.span(),
        Stmt::AutoEscape(x) => x.span(),
        Stmt::FilterBlock(x) => x.span(),
        Stmt::Block(x) => x.span(),
        Stmt::Import(x) => x.span(),
        Stmt::FromImport(x) => x.span(),
        Stmt::Extends(x) => x.span(),
        Stmt::Include(x) => x.span(),
        Stmt::Macro(x) => x.span(),
        Stmt::CallBlock(x) => x.span(),
        Stmt::Continue(x) => x.span(),
        Stmt::Break(x) => x.span(),
        Stmt::Do(x) => x.span(),
    };
    span.start_offset
}
