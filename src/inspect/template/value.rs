//! What the analysis knows about the value of an expression without rendering anything: the
//! strings it can be (a name spelled in pieces, `'__cla' ~ 'ss__'`, is one of them), a known
//! integer (for `range` bounds), the items of a literal list, and whether the template built it
//! with string operations. Known strings are a lower bound: a value can be something else too
//! unless it is `exact`, and a name is dangerous as soon as it is one of the known strings.

use std::collections::BTreeSet;

use super::literal;

/// Known strings kept per value; a product over this is given up (and reported as hidden).
pub(super) const MAX_STRINGS: usize = 64;
/// Known strings longer than this are dropped: attribute names are short.
const MAX_LEN: usize = 256;

/// An abstract value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Abs {
    /// Strings the value can be.
    pub strings: BTreeSet<String>,
    /// A known integer.
    pub int: Option<i64>,
    /// The items of a list, tuple or dict (its keys) the template spells out.
    pub items: Option<Vec<Abs>>,
    /// A dict's values, in the order of its keys (`items`).
    pub values: Option<Vec<Abs>>,
    /// Nothing but the above is possible.
    pub exact: bool,
    /// Made by string operations (concatenation, formatting, filters that build text).
    pub built: bool,
    /// A string product was given up because it had too many combinations.
    pub overflow: bool,
}

impl Abs {
    /// Data from the renderer's context (messages, tools): nothing known, nothing built.
    pub(super) fn data() -> Abs {
        Abs::default()
    }

    /// Data, or unknown text the template made when `built`.
    pub(super) fn derived(built: bool) -> Abs {
        Abs {
            built,
            ..Abs::default()
        }
    }

    /// Unknown text the template made.
    pub(super) fn built() -> Abs {
        Abs {
            built: true,
            ..Abs::default()
        }
    }

    pub(super) fn text(s: String) -> Abs {
        let mut a = Abs {
            exact: true,
            ..Abs::default()
        };
        a.add(s);
        a
    }

    pub(super) fn int(n: i64) -> Abs {
        Abs {
            int: Some(n),
            exact: true,
            ..Abs::default()
        }
    }

    pub(super) fn list(items: Vec<Abs>) -> Abs {
        Abs {
            built: items.iter().any(|i| i.built),
            items: Some(items),
            exact: true,
            ..Abs::default()
        }
    }

    fn add(&mut self, s: String) {
        if s.len() > MAX_LEN || self.strings.len() >= MAX_STRINGS {
            self.exact = false;
        } else {
            self.strings.insert(s);
        }
    }

    /// Marks the value as made by the template's string operations.
    pub(super) fn made(mut self) -> Abs {
        self.built = true;
        self
    }

    /// Either value.
    pub(super) fn union(mut self, other: Abs) -> Abs {
        let exact = self.exact
            && other.exact
            && self.items.is_none()
            && other.items.is_none()
            && (self.int == other.int || (self.strings.is_empty() && other.strings.is_empty()));
        for s in other.strings {
            self.add(s);
        }
        if self.int != other.int {
            self.int = None;
        }
        // Lists stay indexable: entry by entry, either one's.
        self.items = zip_union(self.items.take(), other.items);
        self.values = zip_union(self.values.take(), other.values);
        Abs {
            exact: exact && self.exact,
            built: self.built || other.built,
            overflow: self.overflow || other.overflow,
            ..self
        }
    }

    /// The value's possible renderings as text (`~`, `|string`), exact or not.
    pub(super) fn texts(&self) -> (BTreeSet<String>, bool) {
        let mut out = self.strings.clone();
        if let Some(n) = self.int {
            out.insert(n.to_string());
        }
        (out, self.exact && self.items.is_none())
    }

    /// Whether the value is known to be text.
    pub(super) fn is_text(&self) -> bool {
        !self.strings.is_empty() && self.int.is_none() && self.items.is_none()
    }

    /// The items a `for` loop over the value gives.
    pub(super) fn elements(&self) -> Abs {
        if let Some(items) = &self.items {
            let mut out = items
                .iter()
                .cloned()
                .reduce(Abs::union)
                .unwrap_or_else(|| Abs::list(Vec::new()))
                .with_built(self.built);
            out.exact &= self.exact;
            return out;
        }
        let mut out = Abs {
            built: self.built,
            overflow: self.overflow,
            ..Abs::default()
        };
        for s in &self.strings {
            for c in s.chars() {
                out.add(c.to_string());
            }
        }
        out.exact = self.exact && self.int.is_none() && !self.strings.is_empty();
        out
    }

    /// The names a loop unpacking its items (`for k, v in x`) gives: anything inside an item.
    pub(super) fn nested_elements(&self) -> Abs {
        match &self.items {
            Some(items) => items
                .iter()
                .map(Abs::elements)
                .reduce(Abs::union)
                .unwrap_or_default()
                .with_built(self.built),
            None => self.elements().elements(),
        }
    }

    /// Every string anywhere inside the value (list items, dict keys and values), as text it
    /// may be.
    pub(super) fn flattened(&self) -> Abs {
        let mut out = Abs::derived(self.built);
        for s in &self.strings {
            out.add(s.clone());
        }
        for inner in self.items.iter().chain(&self.values).flatten() {
            let inner = inner.flattened();
            out.built |= inner.built;
            out.overflow |= inner.overflow;
            for s in inner.strings {
                out.add(s);
            }
        }
        out
    }

    /// A dict literal: its keys as items, and its values.
    pub(super) fn dict(keys: Vec<Abs>, values: Vec<Abs>) -> Abs {
        let mut d = Abs::list(keys);
        d.built |= values.iter().any(|v| v.built);
        d.values = Some(values);
        d
    }

    /// `d[key]`, `d.key`, `d.get(key)` on a dict literal: the values of the keys it can be.
    pub(super) fn lookup(&self, key: &Abs) -> Option<Abs> {
        let (keys, values) = (self.items.as_ref()?, self.values.as_ref()?);
        let wanted = key.texts().0;
        let picked: Vec<Abs> = keys
            .iter()
            .zip(values)
            .filter(|(k, _)| key.strings.is_empty() || k.strings.iter().any(|s| wanted.contains(s)))
            .map(|(_, v)| v.clone())
            .collect();
        let exact = key.exact && !key.strings.is_empty();
        picked.into_iter().reduce(Abs::union).map(|mut v| {
            v.exact &= exact;
            v
        })
    }

    /// `|items`, `.items()`: the `[key, value]` pairs of a dict literal.
    pub(super) fn pairs(&self) -> Option<Abs> {
        let (keys, values) = (self.items.as_ref()?, self.values.as_ref()?);
        Some(Abs::list(
            keys.iter()
                .zip(values)
                .map(|(k, v)| Abs::list(vec![k.clone(), v.clone()]))
                .collect(),
        ))
    }

    fn with_built(mut self, built: bool) -> Abs {
        self.built |= built;
        self
    }

    /// Applies `f` to every known string; the result is built text.
    pub(super) fn map(&self, f: impl Fn(&str) -> Option<String>) -> Abs {
        if self.strings.is_empty() && self.int.is_none() {
            // Data stays data (`messages|reverse`); unknown built text stays built.
            return Abs {
                built: self.built,
                overflow: self.overflow,
                ..Abs::default()
            };
        }
        let (texts, exact) = self.texts();
        let mut out = Abs {
            exact,
            built: true,
            overflow: self.overflow,
            ..Abs::default()
        };
        for t in texts {
            match f(&t) {
                Some(s) => out.add(s),
                None => out.exact = false,
            }
        }
        out
    }
}

/// Two lists entry by entry (a list longer than the other keeps its extra entries); a value
/// that is not a known list adds nothing (the union is then not exact).
fn zip_union(a: Option<Vec<Abs>>, b: Option<Vec<Abs>>) -> Option<Vec<Abs>> {
    let (a, b) = match (a, b) {
        (Some(a), Some(b)) => (a, b),
        (a, b) => return a.or(b),
    };
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    let mut short = short.into_iter();
    Some(
        long.into_iter()
            .map(|x| match short.next() {
                Some(y) => x.union(y),
                None => x,
            })
            .collect(),
    )
}

/// `a ~ b`: every pairing of their texts.
pub(super) fn concat(a: &Abs, b: &Abs) -> Abs {
    let (left, left_exact) = a.texts();
    let (right, right_exact) = b.texts();
    let mut out = Abs {
        exact: left_exact && right_exact,
        built: true,
        overflow: a.overflow || b.overflow,
        ..Abs::default()
    };
    if left.len().saturating_mul(right.len()) > MAX_STRINGS {
        out.exact = false;
        out.overflow = true;
        return out;
    }
    for l in &left {
        for r in &right {
            out.add(format!("{l}{r}"));
        }
    }
    out
}

/// Joins the items of a list (or the characters of a string) with `sep`.
pub(super) fn join(value: &Abs, sep: &Abs) -> Abs {
    let Some(items) = &value.items else {
        // Joining a string's characters with nothing gives the string back.
        return if sep.texts().0.iter().all(String::is_empty) {
            value.clone().made()
        } else {
            Abs::built()
        };
    };
    let mut acc = Abs::text(String::new());
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            acc = concat(&acc, sep);
        }
        acc = concat(&acc, item);
    }
    acc.exact &= value.exact;
    acc.made()
}

/// Python `%` formatting with a value or a tuple of values.
pub(super) fn percent(format: &Abs, args: &Abs) -> Abs {
    let list = match &args.items {
        Some(items) => items.clone(),
        None => vec![args.clone()],
    };
    let (formats, exact) = format.texts();
    let mut out = Abs {
        exact: exact && args.exact,
        built: true,
        ..Abs::default()
    };
    let choices: Vec<(BTreeSet<String>, bool)> = list.iter().map(Abs::texts).collect();
    let combos = choices
        .iter()
        .try_fold(formats.len(), |n, (c, _)| n.checked_mul(c.len()))
        .unwrap_or(usize::MAX);
    if combos > MAX_STRINGS {
        out.exact = false;
        out.overflow = true;
        return out;
    }
    for f in &formats {
        for picked in combinations(&choices) {
            match literal::percent(f, &picked) {
                Some(s) => out.add(s),
                None => out.exact = false,
            }
        }
    }
    out.exact &= choices.iter().all(|(_, e)| *e);
    out
}

/// Every pick of one string per choice.
pub(super) fn combinations(choices: &[(BTreeSet<String>, bool)]) -> Vec<Vec<String>> {
    choices.iter().fold(vec![Vec::new()], |acc, (set, _)| {
        acc.iter()
            .flat_map(|prefix| {
                set.iter().map(move |s| {
                    let mut p = prefix.clone();
                    p.push(s.clone());
                    p
                })
            })
            .collect()
    })
}

/// What a filter or function scelle does not model may return: any string of its input, as
/// text built at render time when the input held any.
pub(super) fn echo(input: &Abs) -> Abs {
    let mut out = input.flattened();
    out.built |= !out.strings.is_empty();
    out.exact = false;
    out
}

/// `|string`: text stays text and data stays data; the text of anything else (an object:
/// `lipsum|string` holds `_`) is a classic way to get characters without writing them.
pub(super) fn stringify(input: Abs) -> Abs {
    let data = input.strings.is_empty()
        && !input.exact
        && input.items.is_none()
        && input.int.is_none()
        && !input.built;
    if input.is_text() || data {
        input
    } else if let (Some(n), true) = (input.int, input.exact) {
        Abs::text(n.to_string())
    } else {
        Abs::built()
    }
}

/// `|first` or `|last` of a literal list (a dict's keys) or of text.
pub(super) fn end_of(input: &Abs, first: bool) -> Abs {
    match &input.items {
        Some(items) => {
            let pick = if first { items.first() } else { items.last() };
            pick.cloned().unwrap_or_default().made()
        }
        None if input.is_text() => input.map(|s| {
            let c = if first {
                s.chars().next()
            } else {
                s.chars().next_back()
            };
            Some(c.map(String::from).unwrap_or_default())
        }),
        None => Abs::derived(input.built),
    }
}

/// `|list`: a literal list as it is, text as its characters.
pub(super) fn to_list(input: Abs) -> Abs {
    if input.items.is_some() {
        input.made()
    } else if input.is_text() && input.exact && input.strings.len() == 1 {
        let chars = input
            .strings
            .iter()
            .flat_map(|s| s.chars().map(|c| Abs::text(c.to_string())))
            .collect();
        Abs::list(chars).made()
    } else {
        Abs::derived(input.built || input.is_text())
    }
}

/// `base[index]` for a literal list or string and a known index.
pub(super) fn item(base: &Abs, index: &Abs) -> Abs {
    if let Some(value) = base.lookup(index) {
        return value;
    }
    let Some(i) = index.int else {
        let mut out = Abs::data();
        out.built = base.built;
        return out;
    };
    if let Some(items) = &base.items {
        let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
        let at = if i < 0 { i + len } else { i };
        return usize::try_from(at)
            .ok()
            .and_then(|at| items.get(at))
            .cloned()
            .unwrap_or_default()
            .made();
    }
    if base.is_text() {
        return base.map(|s| {
            let chars: Vec<char> = s.chars().collect();
            let len = i64::try_from(chars.len()).unwrap_or(i64::MAX);
            let at = if i < 0 { i + len } else { i };
            usize::try_from(at)
                .ok()
                .and_then(|at| chars.get(at))
                .map(char::to_string)
        });
    }
    let mut out = Abs::data();
    out.built = base.built;
    out
}

/// `text * n`, when one side is text or a list and the other a known count.
pub(super) fn repeat(text: &Abs, count: &Abs) -> Option<Abs> {
    let n = usize::try_from(count.int?).unwrap_or(0);
    if let Some(items) = &text.items {
        if n > 64 {
            return Some(Abs::built());
        }
        return Some(
            Abs::list(
                items
                    .iter()
                    .cycle()
                    .take(items.len() * n)
                    .cloned()
                    .collect(),
            )
            .made(),
        );
    }
    if !text.is_text() {
        return None;
    }
    Some(text.map(|s| (s.len().saturating_mul(n) <= 256).then(|| s.repeat(n))))
}

pub(super) fn replace(input: &Abs, old: Option<&Abs>, new: Option<&Abs>) -> Abs {
    let single = |a: Option<&Abs>| {
        a.filter(|a| a.exact && a.strings.len() == 1)
            .and_then(|a| a.strings.iter().next().cloned())
    };
    match (single(old), single(new)) {
        (Some(old), Some(new)) if !old.is_empty() => input.map(|s| Some(s.replace(&old, &new))),
        _ => Abs::built(),
    }
}

/// Case and whitespace changes keep data as data and known text as known text.
pub(super) fn transform(input: &Abs, f: impl Fn(&str) -> String) -> Abs {
    let mut out = input.map(|s| Some(f(s)));
    out.built = input.built;
    if input.strings.is_empty() && input.int.is_none() {
        out.exact = input.exact;
    }
    out
}

pub(super) fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| {
            c.to_uppercase()
                .chain(chars.flat_map(char::to_lowercase))
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn title(s: &str) -> String {
    let mut out = String::new();
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = !c.is_alphanumeric();
    }
    out
}

/// `str.format` on known format strings with known arguments.
pub(super) fn str_format(format: &Abs, args: &[Abs], kwargs: &[(String, Abs)]) -> Abs {
    let mut choices: Vec<(std::collections::BTreeSet<String>, bool)> =
        args.iter().map(Abs::texts).collect();
    choices.extend(kwargs.iter().map(|(_, v)| v.texts()));
    let (formats, exact) = format.texts();
    let combos = choices
        .iter()
        .try_fold(formats.len(), |n, (c, _)| n.checked_mul(c.len()))
        .unwrap_or(usize::MAX);
    if combos > MAX_STRINGS {
        let mut out = Abs::built();
        out.overflow = true;
        return out;
    }
    let mut out = Abs::text(String::new());
    out.strings.clear();
    out.exact = exact && choices.iter().all(|(_, e)| *e);
    out.built = true;
    for f in &formats {
        for picked in combinations(&choices) {
            let (positional, named) = picked.split_at(args.len());
            let named: Vec<(String, String)> = kwargs
                .iter()
                .map(|(k, _)| k.clone())
                .zip(named.iter().cloned())
                .collect();
            match literal::substitute(f, positional, &named) {
                Some(s) => out = out.union(Abs::text(s).made()),
                None => out.exact = false,
            }
        }
    }
    out
}

/// The indices a Python slice picks.
pub(super) fn python_slice(
    len: usize,
    first: Option<i64>,
    end: Option<i64>,
    stride: Option<i64>,
) -> Vec<usize> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let stride = stride.unwrap_or(1);
    if stride == 0 {
        return Vec::new();
    }
    let clamp = |v: i64, lo: i64, hi: i64| v.clamp(lo, hi);
    let norm = |v: i64| if v < 0 { v + len } else { v };
    let mut out = Vec::new();
    if stride > 0 {
        let from = clamp(first.map_or(0, norm), 0, len);
        let to = clamp(end.map_or(len, norm), 0, len);
        let mut i = from;
        while i < to && out.len() < 4096 {
            out.push(usize::try_from(i).unwrap_or(0));
            i += stride;
        }
    } else {
        let from = clamp(first.map_or(len - 1, norm), -1, len - 1);
        let to = clamp(end.map_or(-1, norm), -1, len - 1);
        let mut i = from;
        while i > to && out.len() < 4096 {
            out.push(usize::try_from(i).unwrap_or(0));
            i += stride;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concatenation_and_joins_find_the_name_a_template_spells_in_pieces() {
        let name = concat(&Abs::text("__cla".into()), &Abs::text("ss__".into()));
        assert!(name.strings.contains("__class__") && name.exact && name.built);
        let parts = Abs::list(vec![Abs::text("__glo".into()), Abs::text("bals__".into())]);
        assert!(
            join(&parts, &Abs::text(String::new()))
                .strings
                .contains("__globals__")
        );
        let either = Abs::text("a".into()).union(Abs::data());
        let partial = concat(&either, &Abs::text("b".into()));
        assert!(partial.strings.contains("ab") && !partial.exact);
        let fmt = percent(
            &Abs::text("%s%s".into()),
            &Abs::list(vec![Abs::text("__in".into()), Abs::text("it__".into())]),
        );
        assert!(fmt.strings.contains("__init__"));
    }

    #[test]
    fn products_over_the_cap_are_given_up_and_flagged() {
        let many = (0..20).fold(Abs::text("a".into()), |acc, i| {
            acc.union(Abs::text(i.to_string()))
        });
        let product = concat(&many, &many);
        assert!(product.overflow && !product.exact && product.strings.is_empty());
    }
}
