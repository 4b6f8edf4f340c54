//! String literals and format strings as Jinja2 reads them, not as this parser does: Jinja2
//! decodes a literal with Python's `unicode_escape` codec, so `'\N{LOW LINE}'` and `'\U0000005f'`
//! are `_` there while minijinja keeps them as written. A name spelled that way would pass for
//! harmless text, so constants are decoded again from their source here. `str.format` fields
//! (`'{0.__class__}'`) are read too: Python's formatter looks attributes up by itself.

use std::fmt::Write as _;

/// A literal's value as Jinja2 reads it, and whether escapes spelled name characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Decoded {
    pub value: String,
    /// An escape stood for a letter, a digit, `_` or `.` (what obfuscation spells that way).
    pub spelled: bool,
}

/// Decodes the source of a string constant: one or more quoted literals, separated by
/// whitespace, which Jinja2 joins. `None` when the source is not such a sequence.
pub(super) fn decode(source: &str) -> Option<Decoded> {
    let mut out = Decoded {
        value: String::new(),
        spelled: false,
    };
    let mut rest = source.trim_start();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let quote = rest.chars().next()?;
        if quote != '\'' && quote != '"' {
            return None;
        }
        let body = &rest[1..];
        let end = closing(body, quote)?;
        unescape(&body[..end], &mut out);
        rest = body[end + 1..].trim_start();
    }
    Some(out)
}

/// The byte index of the quote closing a literal whose body starts `body`.
fn closing(body: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, c) if c == quote => return Some(i),
            _ => {}
        }
    }
    None
}

/// Python's `unicode_escape` decoding of a literal's body, appended to `out`.
fn unescape(body: &str, out: &mut Decoded) {
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.value.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            out.value.push('\\');
            break;
        };
        let decoded = match e {
            '\n' => continue,
            '\\' | '\'' | '"' => Some(e),
            'a' => Some('\x07'),
            'b' => Some('\x08'),
            'f' => Some('\x0c'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\x0b'),
            '0'..='7' => {
                let mut n = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            n = n * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                Some(spelled(char::from_u32(n), out))
            }
            'x' => Some(spelled(hex(&mut chars, 2), out)),
            'u' => Some(spelled(hex(&mut chars, 4), out)),
            'U' => Some(spelled(hex(&mut chars, 8), out)),
            'N' => {
                out.spelled = true;
                let mut name = String::new();
                if chars.peek() == Some(&'{') {
                    chars.next();
                    for d in chars.by_ref() {
                        if d == '}' {
                            break;
                        }
                        name.push(d);
                    }
                }
                Some(named(&name).unwrap_or('\u{fffd}'))
            }
            other => {
                out.value.push('\\');
                Some(other)
            }
        };
        if let Some(d) = decoded {
            out.value.push(d);
        }
    }
}

/// Notes an escape that stood for a name character.
fn spelled(c: Option<char>, out: &mut Decoded) -> char {
    if c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
        out.spelled = true;
    }
    c.unwrap_or('\u{fffd}')
}

fn hex(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, digits: usize) -> Option<char> {
    let mut n: u32 = 0;
    for _ in 0..digits {
        let d = chars.peek()?.to_digit(16)?;
        chars.next();
        n = n.checked_mul(16)?.checked_add(d)?;
    }
    char::from_u32(n)
}

const DIGITS: [&str; 10] = [
    "ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE",
];

/// The characters `\N{...}` can name that matter for names: letters, digits, `_`, `.`.
fn named(name: &str) -> Option<char> {
    let name = name.trim().to_ascii_uppercase();
    let letter = |prefix: &str| {
        name.strip_prefix(prefix)
            .filter(|l| l.len() == 1)
            .and_then(|l| l.chars().next())
            .filter(char::is_ascii_uppercase)
    };
    if let Some(c) = letter("LATIN SMALL LETTER ") {
        return Some(c.to_ascii_lowercase());
    }
    if let Some(c) = letter("LATIN CAPITAL LETTER ") {
        return Some(c);
    }
    if let Some(d) = name.strip_prefix("DIGIT ")
        && let Some(i) = DIGITS.iter().position(|n| *n == d)
    {
        return char::from_digit(u32::try_from(i).ok()?, 10);
    }
    Some(match name.as_str() {
        "LOW LINE" => '_',
        "FULL STOP" => '.',
        "SPACE" => ' ',
        "HYPHEN-MINUS" => '-',
        _ => return None,
    })
}

/// What one `str.format` replacement field reads: the argument, then attributes and keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Field {
    pub arg: String,
    /// `.name` lookups and `[key]` lookups, in order.
    pub lookups: Vec<String>,
    /// A conversion (`!r`) or a format spec (`:>8`) follows.
    pub styled: bool,
}

/// The replacement fields of a `str.format` string, or `None` when braces do not balance.
pub(super) fn format_fields(s: &str) -> Option<Vec<Field>> {
    let mut fields = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
            }
            '{' => {
                let mut inner = String::new();
                let mut depth = 1;
                for d in chars.by_ref() {
                    match d {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    inner.push(d);
                }
                if depth != 0 {
                    return None;
                }
                fields.push(field(&inner));
            }
            '}' => return None,
            _ => {}
        }
    }
    Some(fields)
}

fn field(inner: &str) -> Field {
    let end = inner.find(['!', ':']).unwrap_or(inner.len());
    let name = &inner[..end];
    let split = name.find(['.', '[']).unwrap_or(name.len());
    let mut lookups = Vec::new();
    let mut rest = &name[split..];
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let stop = r.find(['.', '[']).unwrap_or(r.len());
            lookups.push(r[..stop].to_owned());
            rest = &r[stop..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let stop = r.find(']').unwrap_or(r.len());
            lookups.push(r[..stop].to_owned());
            rest = r.get(stop + 1..).unwrap_or("");
        } else {
            break;
        }
    }
    Field {
        arg: name[..split].to_owned(),
        lookups,
        styled: end < inner.len(),
    }
}

/// Python's `%` formatting for the conversions that plain text uses (`%s`, `%d`, `%c`, `%%`);
/// `None` for anything else (widths, mappings, `%r`), which the caller treats as unknown.
pub(super) fn percent(format: &str, args: &[String]) -> Option<String> {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '%' => out.push('%'),
            's' | 'd' | 'i' => out.push_str(args.next()?),
            'c' => {
                let a = args.next()?;
                match a.parse::<u32>() {
                    Ok(n) => out.push(char::from_u32(n)?),
                    Err(_) if a.chars().count() == 1 => out.push_str(a),
                    Err(_) => return None,
                }
            }
            _ => return None,
        }
    }
    args.next().is_none().then_some(out)
}

/// `str.format` substitution for plain fields (`{}`, `{0}`, `{name}`); `None` for lookups,
/// conversions and specs.
pub(super) fn substitute(
    format: &str,
    args: &[String],
    kwargs: &[(String, String)],
) -> Option<String> {
    let mut out = String::new();
    let mut next = 0usize;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut name = String::new();
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                    name.push(d);
                }
                let value = if name.is_empty() {
                    next += 1;
                    args.get(next - 1)?
                } else if let Ok(i) = name.parse::<usize>() {
                    args.get(i)?
                } else if name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    &kwargs.iter().find(|(k, _)| *k == name)?.1
                } else {
                    return None;
                };
                let _ = write!(out, "{value}");
            }
            '}' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> (String, bool) {
        let r = decode(s).unwrap();
        (r.value, r.spelled)
    }

    #[test]
    fn literals_decode_as_python_unicode_escape_does() {
        assert_eq!(d("'plain'"), ("plain".into(), false));
        assert_eq!(d(r"'a\nb'"), ("a\nb".into(), false));
        assert_eq!(d(r"'\x5f\x5fclass\x5f\x5f'"), ("__class__".into(), true));
        assert_eq!(d(r#""\u005f\U0000005fx""#), ("__x".into(), true));
        assert_eq!(
            d(r"'\N{LOW LINE}\N{low line}init\N{LOW LINE}_'"),
            ("__init__".into(), true)
        );
        assert_eq!(d(r"'\137\137'"), ("__".into(), true));
        assert_eq!(
            d(r"'\N{LATIN SMALL LETTER C}\N{DIGIT SEVEN}'"),
            ("c7".into(), true)
        );
        assert_eq!(d("'it\\'s' \"ok\""), ("it'sok".into(), false));
        assert_eq!(d(r"'\q'"), (r"\q".into(), false));
        assert_eq!(decode("x"), None);
        assert_eq!(decode("'unclosed"), None);
    }

    #[test]
    fn format_fields_name_their_lookups() {
        let f = format_fields("{0.__class__.__mro__[1]} and {{literal}} {name!r:>4}").unwrap();
        assert_eq!(f[0].arg, "0");
        assert_eq!(f[0].lookups, ["__class__", "__mro__", "1"]);
        assert!(f[1].styled);
        assert_eq!(format_fields("{"), None);
        assert_eq!(
            substitute("{}{}", &["__cla".into(), "ss__".into()], &[]).unwrap(),
            "__class__"
        );
        assert_eq!(
            substitute("{a}", &[], &[("a".into(), "x".into())]).unwrap(),
            "x"
        );
        assert_eq!(
            percent("%s%s", &["__cla".into(), "ss__".into()]).unwrap(),
            "__class__"
        );
        assert_eq!(percent("%c%c", &["95".into(), "95".into()]).unwrap(), "__");
        assert_eq!(percent("%5s", &["x".into()]), None);
    }
}
