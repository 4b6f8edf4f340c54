//! Folding: what the value of an expression can be, without rendering anything. Names are
//! followed to every assignment, macro calls to their bodies, and string operations (`~`, `+`,
//! `%`, `|format`, `|join`, `|replace`, `|reverse`, slices, `str.format`...) are applied to the
//! strings known so far, so a name spelled in pieces is seen whole.

use minijinja::machinery::ast::{self, BinOpKind, CallArg, CallType, Expr, Stmt, UnaryOpKind};
use minijinja::value::ValueKind;

use super::{From, MAX_FOLD_DEPTH, ROUNDS, SPECIAL_TOKENS, Walker, arg_expr};
use crate::inspect::template::literal;
use crate::inspect::template::value::{
    self, Abs, capitalize, echo, end_of, item, python_slice, repeat, replace, str_format,
    stringify, title, to_list, transform,
};

impl<'a, 's> Walker<'a, 's> {
    pub(super) fn fold(&mut self, e: &'a Expr<'s>) -> Abs {
        let key: *const Expr<'s> = e;
        if let Some(known) = self.folded.get(&key) {
            return known.clone();
        }
        if self.steps == 0 {
            self.exhausted.get_or_insert(e.span().start_offset as usize);
        }
        if self.fold_depth >= MAX_FOLD_DEPTH || self.steps == 0 {
            let mut given_up = Abs::built();
            given_up.overflow = true;
            return given_up;
        }
        self.steps -= 1;
        self.fold_depth += 1;
        let value = self.fold_new(e);
        self.fold_depth -= 1;
        // Inside a name's resolution a value may rest on an assumption still being refined.
        if self.resolving.is_empty() {
            self.folded.insert(key, value.clone());
        }
        value
    }

    pub(super) fn fold_new(&mut self, e: &'a Expr<'s>) -> Abs {
        match e {
            Expr::Var(v) if SPECIAL_TOKENS.contains(&v.id) && !self.names.contains_key(v.id) => {
                // The release's tokenizer config sets these: text the template did not spell.
                Abs::built()
            }
            Expr::Var(v) => self.resolve(false, v.id),
            Expr::Const(c) => self.constant(c),
            Expr::List(l) => Abs::list(l.items.iter().map(|i| self.fold(i)).collect()),
            Expr::Tuple(t) => Abs::list(t.items.iter().map(|i| self.fold(i)).collect()),
            Expr::Map(m) => {
                let keys = m.keys.iter().map(|k| self.fold(k)).collect();
                let values = m.values.iter().map(|v| self.fold(v)).collect();
                Abs::dict(keys, values)
            }
            Expr::IfExpr(i) => {
                let yes = self.fold(&i.true_expr);
                let no = match &i.false_expr {
                    Some(f) => self.fold(f),
                    None => Abs::text(String::new()),
                };
                yes.union(no)
            }
            Expr::UnaryOp(u) => match u.op {
                UnaryOpKind::Neg => match self.fold(&u.expr).int {
                    Some(n) => Abs::int(n.saturating_neg()),
                    None => Abs::data(),
                },
                UnaryOpKind::Not => Abs::data(),
            },
            Expr::BinOp(b) => self.binop(b),
            Expr::Slice(s) => self.slice(s),
            Expr::GetAttr(g) => {
                let base = self.fold(&g.expr);
                if let Some(value) = base.lookup(&Abs::text(g.name.to_owned())) {
                    return value;
                }
                let mut out = Abs::data();
                out.built = base.built;
                if self.attrs.contains_key(g.name) {
                    out = out.union(self.resolve(true, g.name));
                }
                out
            }
            Expr::GetItem(g) => {
                let base = self.fold(&g.expr);
                let index = self.fold(&g.subscript_expr);
                item(&base, &index)
            }
            Expr::Filter(f) => self.filter(f),
            Expr::Call(c) => self.call(c),
            Expr::Compare(_) | Expr::Test(_) => Abs::data(),
        }
    }

    /// A string constant as Jinja2 reads it (see `literal`), or a number.
    pub(super) fn constant(&self, c: &ast::Spanned<ast::Const>) -> Abs {
        match c.value.kind() {
            ValueKind::String => {
                let span = c.span();
                let decoded = self
                    .source
                    .get(span.start_offset as usize..span.end_offset as usize)
                    .and_then(literal::decode);
                match decoded {
                    Some(d) => Abs::text(d.value),
                    None => Abs::text(c.value.as_str().unwrap_or_default().to_owned()),
                }
            }
            ValueKind::Number => c.value.as_i64().map_or_else(Abs::data, Abs::int),
            ValueKind::Bool => Abs::text(if c.value.is_true() { "True" } else { "False" }.into()),
            ValueKind::None => Abs::text("None".into()),
            _ => Abs::data(),
        }
    }

    /// Every value a name (or, with `attr`, an attribute set by `set ns.attr`) is given.
    pub(super) fn resolve(&mut self, attr: bool, name: &'s str) -> Abs {
        let key = (attr, name);
        if let Some(known) = self.resolved.get(&key) {
            return known.clone();
        }
        if let Some(i) = self.resolving.iter().position(|(k, _, _)| *k == key) {
            // Defined through itself: the value assumed so far, refined by the rounds below.
            self.resolving[i].2 = true;
            self.lowest_assumed = self.lowest_assumed.min(i);
            return self.resolving[i].1.clone();
        }
        let sources = if attr {
            self.attrs.get(name)
        } else {
            self.names.get(name)
        };
        let Some(sources) = sources.cloned() else {
            return Abs::data();
        };
        let me = self.resolving.len();
        self.resolving.push((key, Abs::data(), false));
        let outer_lowest = std::mem::replace(&mut self.lowest_assumed, usize::MAX);
        let mut value = Abs::data();
        for _ in 0..ROUNDS {
            // The name may also be read before any assignment, from the renderer's context.
            value = Abs::data();
            for from in &sources {
                let v = match *from {
                    From::Expr(e) => self.fold(e),
                    From::Items(e) => self.fold(e).elements(),
                    From::Nested(e) => self.fold(e).nested_elements(),
                    From::Deep(e) => self.fold(e).flattened(),
                    From::Output(body) => self.output(body),
                    From::Opaque => Abs::built(),
                };
                value = value.union(v);
            }
            let (_, assumed, used) = &mut self.resolving[me];
            if !*used || *assumed == value {
                break;
            }
            *assumed = value.clone();
            *used = false;
        }
        self.resolving.pop();
        // A value that leaned on an outer name's unfinished assumption is not final.
        let leaned = self.lowest_assumed < me;
        self.lowest_assumed = if leaned {
            outer_lowest.min(self.lowest_assumed)
        } else {
            outer_lowest
        };
        if !leaned {
            self.resolved.insert(key, value.clone());
        }
        value
    }

    /// The text a block of statements renders, when it is plain text and expressions.
    pub(super) fn output(&mut self, body: &'a [Stmt<'s>]) -> Abs {
        if let [Stmt::EmitRaw(raw)] = body {
            return Abs::text(raw.raw.to_owned());
        }
        let mut acc = Abs::text(String::new());
        for s in body {
            let piece = match s {
                Stmt::EmitRaw(raw) => Abs::text(raw.raw.to_owned()),
                Stmt::EmitExpr(e) => self.fold(&e.expr),
                _ => return Abs::built(),
            };
            acc = value::concat(&acc, &piece);
        }
        acc
    }

    pub(super) fn binop(&mut self, b: &'a ast::BinOp<'s>) -> Abs {
        let left = self.fold(&b.left);
        let right = self.fold(&b.right);
        let ints = left.int.zip(right.int);
        match b.op {
            BinOpKind::Concat => value::concat(&left, &right),
            BinOpKind::Add => {
                if let Some((l, r)) = ints {
                    Abs::int(l.saturating_add(r))
                } else if let (Some(l), Some(r)) = (&left.items, &right.items) {
                    Abs::list(l.iter().chain(r).cloned().collect())
                } else if left.is_text() || right.is_text() || left.built || right.built {
                    value::concat(&left, &right)
                } else {
                    Abs::data()
                }
            }
            BinOpKind::Mul => match ints {
                Some((l, r)) => Abs::int(l.saturating_mul(r)),
                None => repeat(&left, &right)
                    .or_else(|| repeat(&right, &left))
                    .unwrap_or_else(|| {
                        let mut out = Abs::data();
                        out.built = left.built || right.built;
                        out
                    }),
            },
            BinOpKind::Pow => match ints {
                Some((l, r)) if r >= 0 => Abs::int(
                    u32::try_from(r)
                        .ok()
                        .and_then(|r| l.checked_pow(r))
                        .unwrap_or(i64::MAX),
                ),
                _ => Abs::data(),
            },
            BinOpKind::Rem => {
                if left.is_text() || left.built {
                    value::percent(&left, &right)
                } else {
                    match ints {
                        Some((l, r)) if r != 0 => Abs::int(l.rem_euclid(r)),
                        _ => Abs::data(),
                    }
                }
            }
            BinOpKind::Sub => ints.map_or_else(Abs::data, |(l, r)| Abs::int(l.saturating_sub(r))),
            BinOpKind::FloorDiv | BinOpKind::Div => match ints {
                Some((l, r)) if r != 0 => Abs::int(l.div_euclid(r)),
                _ => Abs::data(),
            },
            BinOpKind::ScAnd | BinOpKind::ScOr => left.union(right),
            BinOpKind::Eq
            | BinOpKind::Ne
            | BinOpKind::Lt
            | BinOpKind::Lte
            | BinOpKind::Gt
            | BinOpKind::Gte
            | BinOpKind::In => Abs::data(),
        }
    }

    pub(super) fn slice(&mut self, s: &'a ast::Slice<'s>) -> Abs {
        let base = self.fold(&s.expr);
        let mut bound = |e: &'a Option<Expr<'s>>| -> Option<Option<i64>> {
            match e {
                None => Some(None),
                Some(e) => self.fold(e).int.map(Some),
            }
        };
        if !base.is_text() && base.items.is_none() {
            // A slice of data (`messages[1:]`) is data.
            let mut out = Abs::data();
            out.built = base.built;
            return out;
        }
        let (Some(first), Some(end), Some(stride)) =
            (bound(&s.start), bound(&s.stop), bound(&s.step))
        else {
            return Abs::built();
        };
        if let Some(items) = &base.items {
            let picked = python_slice(items.len(), first, end, stride)
                .into_iter()
                .map(|i| items[i].clone())
                .collect();
            return Abs::list(picked);
        }
        base.map(|text| {
            let chars: Vec<char> = text.chars().collect();
            Some(
                python_slice(chars.len(), first, end, stride)
                    .into_iter()
                    .map(|i| chars[i])
                    .collect(),
            )
        })
    }

    pub(super) fn filter(&mut self, f: &'a ast::Filter<'s>) -> Abs {
        let input = match &f.expr {
            Some(e) => self.fold(e),
            None => Abs::built(),
        };
        let positional: Vec<&'a Expr<'s>> = f
            .args
            .iter()
            .filter_map(|a| match a {
                CallArg::Pos(e) => Some(e),
                _ => None,
            })
            .collect();
        let arg = |w: &mut Self, i: usize| positional.get(i).map(|e| w.fold(e));
        match f.name {
            "join" => {
                if f.args
                    .iter()
                    .any(|a| matches!(a, CallArg::Kwarg("attribute", _)))
                {
                    return Abs::built();
                }
                let sep = arg(self, 0).unwrap_or_else(|| Abs::text(String::new()));
                value::join(&input, &sep)
            }
            "format" => {
                let args = Abs::list(positional.iter().map(|e| self.fold(e)).collect());
                value::percent(&input, &args)
            }
            "replace" => {
                let (old, new) = (arg(self, 0), arg(self, 1));
                replace(&input, old.as_ref(), new.as_ref())
            }
            "reverse" => match &input.items {
                Some(items) => Abs::list(items.iter().rev().cloned().collect()).made(),
                None => input.map(|s| Some(s.chars().rev().collect())),
            },
            "lower" => transform(&input, str::to_lowercase),
            "upper" => transform(&input, str::to_uppercase),
            "capitalize" => transform(&input, capitalize),
            "title" => transform(&input, title),
            "trim" => transform(&input, |s| s.trim().to_owned()),
            "safe" | "e" | "escape" | "forceescape" => input,
            "items" | "dictsort" => input.pairs().unwrap_or_else(|| Abs::derived(input.built)),
            "string" => stringify(input),
            "first" => end_of(&input, true),
            "last" => end_of(&input, false),
            "list" => to_list(input),
            "default" | "d" => match arg(self, 0) {
                Some(fallback) => input.union(fallback),
                None => input,
            },
            "int" => match input
                .strings
                .iter()
                .next()
                .and_then(|s| s.trim().parse().ok())
            {
                Some(n) if input.exact && input.strings.len() == 1 => Abs::int(n),
                _ => Abs::data(),
            },
            "tojson" | "pprint" | "urlencode" | "center" | "indent" | "wordwrap" | "truncate"
            | "filesizeformat" | "wordcount" | "xmlattr" => {
                if input.built || input.is_text() {
                    Abs::built()
                } else {
                    Abs::data()
                }
            }
            "sort" | "unique" | "shuffle" | "batch" | "slice" | "select" | "reject"
            | "selectattr" | "rejectattr" => match &input.items {
                // The same items in an order not followed here: any of them may come first.
                Some(items) if !items.is_empty() => {
                    let any = items.iter().cloned().reduce(Abs::union).unwrap_or_default();
                    let mut out = Abs::list(vec![any]).made();
                    out.exact = false;
                    out
                }
                _ => Abs::derived(input.built),
            },
            // Any other filter may hand its input back, whole or in part.
            _ => echo(&input),
        }
    }

    pub(super) fn call(&mut self, c: &'a ast::Call<'s>) -> Abs {
        match c.identify_call() {
            CallType::Function("dict") => {
                let keys = c
                    .args
                    .iter()
                    .filter_map(|a| match a {
                        CallArg::Kwarg(k, _) => Some(Abs::text((*k).to_owned())),
                        _ => None,
                    })
                    .collect();
                Abs::list(keys).made()
            }
            CallType::Function(name) if self.macros.contains_key(name) => self.macro_output(name),
            CallType::Function("caller") => {
                let bodies: Vec<&'a [Stmt<'s>]> =
                    self.callers.iter().map(|m| m.body.as_slice()).collect();
                bodies
                    .into_iter()
                    .map(|b| self.output(b))
                    .reduce(Abs::union)
                    .unwrap_or_else(Abs::built)
            }
            CallType::Method(receiver, method) => self.method(c, receiver, method),
            CallType::Function("namespace" | "cycler" | "joiner" | "range") => Abs::data(),
            // `strftime_now('__init__')` returns its argument: a function the renderer
            // provides may hand back any string it is given.
            CallType::Function(_) => {
                let args: Vec<Abs> = c.args.iter().map(|a| self.fold(arg_expr(a))).collect();
                echo(&Abs::list(args))
            }
            _ => Abs::data(),
        }
    }

    pub(super) fn macro_output(&mut self, name: &'s str) -> Abs {
        let Some(m) = self.macros.get(name).copied() else {
            return Abs::data();
        };
        // A macro that calls itself renders text nobody follows here.
        if self.fold_depth > MAX_FOLD_DEPTH / 2 {
            return Abs::built();
        }
        self.output(&m.body)
    }

    pub(super) fn method(
        &mut self,
        c: &'a ast::Call<'s>,
        receiver: &'a Expr<'s>,
        method: &str,
    ) -> Abs {
        let recv = self.fold(receiver);
        let args: Vec<Abs> = c
            .args
            .iter()
            .filter_map(|a| match a {
                CallArg::Pos(e) => Some(self.fold(e)),
                _ => None,
            })
            .collect();
        match method {
            "format" => {
                let kwargs: Vec<(String, Abs)> = c
                    .args
                    .iter()
                    .filter_map(|a| match a {
                        CallArg::Kwarg(k, e) => Some(((*k).to_owned(), self.fold(e))),
                        _ => None,
                    })
                    .collect();
                str_format(&recv, &args, &kwargs)
            }
            "join" => value::join(args.first().unwrap_or(&Abs::data()), &recv),
            "items" => recv.pairs().unwrap_or_else(|| Abs::derived(recv.built)),
            "values" => recv
                .values
                .clone()
                .map_or_else(|| Abs::derived(recv.built), Abs::list),
            "keys" => match &recv.values {
                Some(_) => Abs::list(recv.items.clone().unwrap_or_default()),
                None => Abs::derived(recv.built),
            },
            "get" => recv
                .lookup(args.first().unwrap_or(&Abs::data()))
                .unwrap_or_else(|| Abs::derived(recv.built)),
            "replace" => replace(&recv, args.first(), args.get(1)),
            "lower" | "casefold" => transform(&recv, str::to_lowercase),
            "upper" => transform(&recv, str::to_uppercase),
            "strip" if args.is_empty() => transform(&recv, |s| s.trim().to_owned()),
            "lstrip" if args.is_empty() => transform(&recv, |s| s.trim_start().to_owned()),
            "rstrip" if args.is_empty() => transform(&recv, |s| s.trim_end().to_owned()),
            "capitalize" => transform(&recv, capitalize),
            "title" => transform(&recv, title),
            "swapcase" => transform(&recv, |s| {
                s.chars()
                    .map(|c| {
                        if c.is_uppercase() {
                            c.to_lowercase().collect::<String>()
                        } else {
                            c.to_uppercase().collect()
                        }
                    })
                    .collect()
            }),
            "removeprefix" | "removesuffix" => match args.first() {
                Some(a) if a.exact && a.strings.len() == 1 => {
                    let affix = a.strings.iter().next().cloned().unwrap_or_default();
                    let prefix = method == "removeprefix";
                    recv.map(|s| {
                        Some(if prefix {
                            s.strip_prefix(affix.as_str()).unwrap_or(s).to_owned()
                        } else {
                            s.strip_suffix(affix.as_str()).unwrap_or(s).to_owned()
                        })
                    })
                }
                _ => Abs::built(),
            },
            _ => {
                let mut out = Abs::data();
                out.built = recv.built || (recv.is_text() && !args.is_empty());
                out
            }
        }
    }
}
