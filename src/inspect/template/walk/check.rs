//! The second pass: every attribute access, item key, attribute-taking filter, `str.format`
//! string, `range` call and template load, judged with what folding says the names can be.

use minijinja::machinery::ast::{self, BinOpKind, CallArg, CallType, Expr, Stmt};

use super::{GLOBALS, HUGE, Walker, arg_expr, is_escape_name, stmt_offset};
use crate::inspect::template::literal;
use crate::inspect::template::value::Abs;
use crate::inspect::template::{ESCAPE_WORDS, Level};

impl<'a, 's> Walker<'a, 's> {
    pub(super) fn check_stmts(&mut self, body: &'a [Stmt<'s>]) {
        for s in body {
            self.check_stmt(s);
        }
    }

    pub(super) fn check_stmt(&mut self, s: &'a Stmt<'s>) {
        if !self.enter(stmt_offset(s)) {
            return;
        }
        match s {
            Stmt::Template(t) => self.check_stmts(&t.children),
            Stmt::EmitExpr(e) => self.check_expr(&e.expr, false),
            Stmt::EmitRaw(_) | Stmt::Continue(_) | Stmt::Break(_) => {}
            Stmt::ForLoop(f) => {
                self.check_expr(&f.target, false);
                self.check_expr(&f.iter, false);
                if let Some(filter) = &f.filter_expr {
                    self.check_expr(filter, false);
                }
                self.check_stmts(&f.body);
                self.check_stmts(&f.else_body);
            }
            Stmt::IfCond(i) => {
                self.check_expr(&i.expr, false);
                self.check_stmts(&i.true_body);
                self.check_stmts(&i.false_body);
            }
            Stmt::WithBlock(w) => {
                for (target, expr) in &w.assignments {
                    self.check_expr(target, false);
                    self.check_expr(expr, false);
                }
                self.check_stmts(&w.body);
            }
            Stmt::Set(set) => {
                self.check_expr(&set.target, false);
                self.check_expr(&set.expr, false);
            }
            Stmt::SetBlock(set) => {
                self.check_expr(&set.target, false);
                if let Some(filter) = &set.filter {
                    self.check_expr(filter, false);
                }
                self.check_stmts(&set.body);
            }
            Stmt::AutoEscape(a) => {
                self.check_expr(&a.enabled, false);
                self.check_stmts(&a.body);
            }
            Stmt::FilterBlock(f) => {
                self.check_expr(&f.filter, false);
                self.check_stmts(&f.body);
            }
            Stmt::Block(b) => self.check_stmts(&b.body),
            Stmt::Macro(m) => {
                for d in &m.defaults {
                    self.check_expr(d, false);
                }
                self.check_stmts(&m.body);
            }
            Stmt::CallBlock(c) => {
                self.check_call(&c.call, c.call.span().start_offset);
                self.check_stmts(&c.macro_decl.body);
            }
            Stmt::Do(d) => self.check_call(&d.call, d.call.span().start_offset),
            Stmt::Import(i) => {
                self.loads("`{% import %}`", s);
                self.check_expr(&i.expr, false);
            }
            Stmt::FromImport(i) => {
                self.loads("`{% from ... import %}`", s);
                self.check_expr(&i.expr, false);
            }
            Stmt::Extends(e) => {
                self.loads("`{% extends %}`", s);
                self.check_expr(&e.name, false);
            }
            Stmt::Include(i) => {
                self.loads("`{% include %}`", s);
                self.check_expr(&i.name, false);
            }
        }
        self.depth -= 1;
    }

    pub(super) fn loads(&mut self, tag: &str, s: &Stmt<'s>) {
        self.concern(
            Level::Suspicious,
            format!("{tag}, which loads another template (renderers of chat templates have none to give, so rendering fails or reads something outside the release)"),
            stmt_offset(s),
        );
    }

    pub(super) fn check_expr(&mut self, e: &'a Expr<'s>, callee: bool) {
        let at = e.span().start_offset;
        if !self.enter(at) {
            return;
        }
        match e {
            Expr::Var(v) => self.check_var(v.id, at, callee),
            Expr::Const(c) => {
                let span = c.span();
                let spelled = self
                    .source
                    .get(span.start_offset as usize..span.end_offset as usize)
                    .and_then(literal::decode)
                    .is_some_and(|d| d.spelled);
                if spelled {
                    self.concern(
                        Level::Suspicious,
                        "a string spelling name characters with escapes (`\\x5f`, `\\N{...}`)"
                            .into(),
                        at,
                    );
                }
            }
            Expr::GetAttr(g) => {
                let name_at = g
                    .span()
                    .end_offset
                    .saturating_sub(u32::try_from(g.name.len()).unwrap_or(0));
                if is_escape_name(g.name) {
                    self.concern(Level::Escape, format!("`.{}`", g.name), name_at);
                } else if matches!(&g.expr, Expr::Var(v) if GLOBALS.contains(&v.id) && !self.names.contains_key(v.id))
                {
                    self.concern(
                        Level::Suspicious,
                        format!("`.{}` on Jinja's own global, not on data", g.name),
                        name_at,
                    );
                }
                // A method call's receiver is not a value handed around.
                self.check_expr(&g.expr, callee);
            }
            Expr::GetItem(g) => {
                let key = self.fold(&g.subscript_expr);
                self.check_name(
                    &key,
                    g.subscript_expr.span().start_offset,
                    "an item key",
                    false,
                );
                self.check_expr(&g.expr, false);
                self.check_expr(&g.subscript_expr, false);
            }
            Expr::Filter(f) => {
                self.check_filter(f, at);
                if let Some(input) = &f.expr {
                    self.check_expr(input, false);
                }
                for a in &f.args {
                    self.check_expr(arg_expr(a), false);
                }
            }
            Expr::Call(c) => self.check_call(c, at),
            Expr::BinOp(b) => {
                if matches!(b.op, BinOpKind::Mul) {
                    let (l, r) = (self.fold(&b.left), self.fold(&b.right));
                    if let Some(n) = l.int.or(r.int).filter(|n| *n > HUGE)
                        && (l.is_text() || r.is_text() || l.items.is_some() || r.items.is_some())
                    {
                        self.concern(
                            Level::Suspicious,
                            format!("text or a list repeated {n} times"),
                            at,
                        );
                    }
                }
                self.check_expr(&b.left, false);
                self.check_expr(&b.right, false);
            }
            other => self.check_children(other),
        }
        self.depth -= 1;
    }

    /// Walks the operands of an expression that reads nothing by itself.
    fn check_children(&mut self, e: &'a Expr<'s>) {
        match e {
            Expr::Slice(s) => {
                self.check_expr(&s.expr, false);
                for part in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                    self.check_expr(part, false);
                }
            }
            Expr::UnaryOp(u) => self.check_expr(&u.expr, false),
            Expr::Compare(c) => {
                self.check_expr(&c.expr, false);
                for op in &c.ops {
                    self.check_expr(&op.expr, false);
                }
            }
            Expr::IfExpr(i) => {
                self.check_expr(&i.test_expr, false);
                self.check_expr(&i.true_expr, false);
                if let Some(f) = &i.false_expr {
                    self.check_expr(f, false);
                }
            }
            Expr::Test(t) => {
                self.check_expr(&t.expr, false);
                for a in &t.args {
                    self.check_expr(arg_expr(a), false);
                }
            }
            Expr::List(l) => {
                for i in &l.items {
                    self.check_expr(i, false);
                }
            }
            Expr::Tuple(t) => {
                for i in &t.items {
                    self.check_expr(i, false);
                }
            }
            Expr::Map(m) => {
                for (k, v) in m.keys.iter().zip(&m.values) {
                    self.check_expr(k, false);
                    self.check_expr(v, false);
                }
            }
            Expr::Var(_)
            | Expr::Const(_)
            | Expr::GetAttr(_)
            | Expr::GetItem(_)
            | Expr::Filter(_)
            | Expr::Call(_)
            | Expr::BinOp(_) => {}
        }
    }

    pub(super) fn check_var(&mut self, id: &str, at: u32, callee: bool) {
        if id == "self" {
            self.concern(
                Level::Suspicious,
                "`self`, the template's reference to itself (its private context leads to Python internals)".into(),
                at,
            );
        } else if is_escape_name(id) {
            self.concern(
                Level::Suspicious,
                format!("the name `{id}`, a Python internal no chat renderer provides"),
                at,
            );
        } else if !callee && GLOBALS.contains(&id) && !self.names.contains_key(id) {
            self.concern(
                Level::Suspicious,
                format!("Jinja's global `{id}` handled as a value instead of called"),
                at,
            );
        }
    }

    /// An attribute name or item key: dangerous when it can be an escape name, suspicious when
    /// the template builds it and it cannot be followed.
    pub(super) fn check_name(&mut self, name: &Abs, at: u32, what: &str, path: bool) {
        let escapes: Vec<String> = name
            .strings
            .iter()
            .flat_map(|s| {
                if path {
                    s.split('.').map(str::to_owned).collect::<Vec<_>>()
                } else {
                    vec![s.clone()]
                }
            })
            .filter(|s| is_escape_name(s))
            .collect();
        // The name most worth showing: a known escape word when one is possible.
        let shown = escapes
            .iter()
            .find(|s| ESCAPE_WORDS.contains(&s.as_str()))
            .or_else(|| escapes.first());
        if let Some(first) = shown {
            self.concern(Level::Escape, format!("{what} that can be `{first}`"), at);
        } else if name.overflow {
            self.concern(
                Level::Suspicious,
                format!("{what} built in too many steps or spellings to follow"),
                at,
            );
        } else if name.built && !name.exact {
            self.concern(
                Level::Suspicious,
                format!("{what} built at render time"),
                at,
            );
        }
    }

    pub(super) fn check_filter(&mut self, f: &'a ast::Filter<'s>, at: u32) {
        let positional: Vec<&'a Expr<'s>> = f
            .args
            .iter()
            .filter_map(|a| match a {
                CallArg::Pos(e) => Some(e),
                _ => None,
            })
            .collect();
        let keyword = |name: &str| {
            f.args.iter().find_map(|a| match a {
                CallArg::Kwarg(k, e) if *k == name => Some(e),
                _ => None,
            })
        };
        let (named, path): (Option<&'a Expr<'s>>, bool) = match f.name {
            "attr" => (positional.first().copied(), false),
            "map" => match positional.first().map(|e| self.fold(e)) {
                Some(filter) => {
                    if !filter.exact {
                        self.concern(
                            Level::Suspicious,
                            "`map` with a filter chosen at render time".into(),
                            at,
                        );
                    }
                    // `map('attr', name)`, however `'attr'` is spelled.
                    let attr = filter.strings.contains("attr") || !filter.exact;
                    (positional.get(1).copied().filter(|_| attr), false)
                }
                None => (keyword("attribute"), true),
            },
            "selectattr" | "rejectattr" => (positional.first().copied(), true),
            "groupby" => (
                positional.first().copied().or_else(|| keyword("attribute")),
                true,
            ),
            "sort" | "unique" | "sum" | "min" | "max" | "join" => (keyword("attribute"), true),
            _ => (None, false),
        };
        let Some(named) = named else { return };
        let name = self.fold(named);
        let what = format!("the attribute `{}` reads", f.name);
        if !name.exact && !name.built && !name.overflow && name.strings.is_empty() {
            // A runtime-chosen attribute name: not built here, but nothing says what it is.
            self.concern(
                Level::Suspicious,
                format!("{what}, chosen at render time"),
                at,
            );
        }
        self.check_name(&name, at, &what, path);
    }

    pub(super) fn check_call(&mut self, c: &'a ast::Call<'s>, at: u32) {
        match c.identify_call() {
            CallType::Function("range") => {
                let args: Vec<Option<i64>> = c
                    .args
                    .iter()
                    .map(|a| match a {
                        CallArg::Pos(e) => self.fold(e).int,
                        _ => None,
                    })
                    .collect();
                let len = match args.as_slice() {
                    [Some(end)] => Some(*end),
                    [Some(first), Some(end)] => Some(end.saturating_sub(*first)),
                    [Some(first), Some(end), Some(stride)] if *stride != 0 => {
                        Some(end.saturating_sub(*first) / stride)
                    }
                    _ => None,
                };
                if let Some(n) = len.filter(|n| *n > HUGE) {
                    self.concern(Level::Suspicious, format!("`range` over {n} items"), at);
                }
            }
            CallType::Method(receiver, "format" | "format_map") => {
                let format = self.fold(receiver);
                for s in format.strings.clone() {
                    for field in literal::format_fields(&s).unwrap_or_default() {
                        if let Some(bad) = field.lookups.iter().find(|l| is_escape_name(l)) {
                            self.concern(
                                Level::Escape,
                                format!("a `str.format` field reading `{bad}`"),
                                at,
                            );
                        } else if !field.lookups.is_empty() {
                            self.concern(
                                Level::Suspicious,
                                "a `str.format` field that looks attributes up".into(),
                                at,
                            );
                        }
                    }
                }
                if format.built && !format.exact {
                    self.concern(
                        Level::Suspicious,
                        "`str.format` with a format string built at render time".into(),
                        at,
                    );
                }
            }
            _ => {}
        }
        self.check_expr(&c.expr, true);
        for a in &c.args {
            self.check_expr(arg_expr(a), false);
        }
    }
}
