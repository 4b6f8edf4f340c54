use super::*;

fn concerns(text: &str) -> Vec<(Level, String)> {
    match analyse(text) {
        Analysis::Checked(c) => c.into_iter().map(|c| (c.level, c.what)).collect(),
        other => panic!("not checked: {other:?}"),
    }
}

fn escapes(text: &str) -> Vec<String> {
    concerns(text)
        .into_iter()
        .filter(|(l, _)| *l == Level::Escape)
        .map(|(_, w)| w)
        .collect()
}

#[test]
fn names_built_in_pieces_are_followed_to_what_they_spell() {
    for (template, name) in [
        ("{{ x['__cla' ~ 'ss__'] }}", "__class__"),
        ("{{ x['__cla' + 'ss__'] }}", "__class__"),
        (
            "{% set a = '__cla' %}{% set b = 'ss__' %}{{ x[a ~ b] }}",
            "__class__",
        ),
        ("{{ x[('__', 'class', '__')|join] }}", "__class__"),
        ("{{ x['%s%s%s'|format('__', 'mro', '__')] }}", "__mro__"),
        ("{{ x['{}{}'.format('__glo', 'bals__')] }}", "__globals__"),
        ("{{ x['__SUBCLASSES__'|lower] }}", "__subclasses__"),
        ("{{ x['__ssalc__'|reverse] }}", "__class__"),
        ("{{ x['__ssalc__'[::-1]] }}", "__class__"),
        ("{{ x['..class..'|replace('.', '_')] }}", "__class__"),
        ("{{ x['_' * 2 ~ 'base' ~ '_' * 2] }}", "__base__"),
        ("{{ x['%c%cinit%c%c' % (95, 95, 95, 95)] }}", "__init__"),
        ("{{ x[dict(__builtins__=1)|first] }}", "__builtins__"),
        ("{{ x|attr('__cl' ~ 'ass__') }}", "__class__"),
        ("{{ [x]|map(attribute='a.__dict__')|list }}", "__dict__"),
        ("{{ [x]|map('attr', '__self__')|list }}", "__self__"),
        ("{{ x|selectattr('gi_frame')|list }}", "gi_frame"),
        ("{{ x|sort(attribute='f_back') }}", "f_back"),
        (
            "{% for k in ['__init__'] %}{{ x[k] }}{% endfor %}",
            "__init__",
        ),
        (
            "{% set ns = namespace(k='__func__') %}{{ x[ns.k] }}",
            "__func__",
        ),
        (
            "{% macro m(k) %}{{ x[k] }}{% endmacro %}{{ m('__code__') }}",
            "__code__",
        ),
        (
            "{% macro m() %}__closure__{% endmacro %}{{ x[m()] }}",
            "__closure__",
        ),
        ("{% set k %}__reduce__{% endset %}{{ x[k] }}", "__reduce__"),
        ("{{ x[true and '__call__'] }}", "__call__"),
        ("{{ x['__a__' if y else 'b'] }}", "__a__"),
        (
            "{{ x['\\N{LOW LINE}\\N{LOW LINE}doc\\N{LOW LINE}_'] }}",
            "__doc__",
        ),
        (
            "{% for k, v in {'a': '__init__'}|items %}{{ x[v] }}{% endfor %}",
            "__init__",
        ),
        (
            "{% for k, v in {'__init__': 1}.items() %}{{ x[k] }}{% endfor %}",
            "__init__",
        ),
        (
            "{% for (a, b), c in [(('__init__', 1), 2)] %}{{ x[a] }}{% endfor %}",
            "__init__",
        ),
        (
            "{% set d = {'a': '__init__'} %}{{ x[d['a']] }}{{ x[d.a] }}",
            "__init__",
        ),
        (
            "{% set d = {'a': '__init__'} %}{{ x[d.get('a')] }}",
            "__init__",
        ),
        (
            "{% set d = {'a': '__init__'} %}{{ x[d.values()|first] }}",
            "__init__",
        ),
        (
            "{% set f = 'at' ~ 'tr' %}{{ [x]|map(f, '__init__')|list }}",
            "__init__",
        ),
        ("{{ x[strftime_now('__init__')] }}", "__init__"),
        ("{{ x['__init__'|striptags] }}", "__init__"),
        ("{{ x[['zz', '__init__']|sort|first] }}", "__init__"),
        (
            "{% set p = [['__init__', 1], ['a', 2]] %}{% for q in p %}{{ x[q[0]] }}{% endfor %}",
            "__init__",
        ),
    ] {
        let found = escapes(template);
        assert!(
            found.iter().any(|w| w.contains(&format!("`{name}`"))),
            "{template}: {found:?}"
        );
    }
}

#[test]
fn attribute_names_that_escape_are_errors_wherever_they_are_read() {
    for (template, what) in [
        ("{{ x.__class__ }}", "`.__class__`"),
        ("{{ x . __class__ }}", "`.__class__`"),
        ("{{ x.mro() }}", "`.mro`"),
        (
            "{{ self._TemplateReference__context }}",
            "`._TemplateReference__context`",
        ),
        (
            "{{ '{0.__class__}'.format(x) }}",
            "a `str.format` field reading `__class__`",
        ),
        ("{% set x.__class__ = 1 %}", "`.__class__`"),
    ] {
        assert!(
            escapes(template).iter().any(|w| w == what),
            "{template}: {:?}",
            concerns(template)
        );
    }
}

#[test]
fn ordinary_constructs_are_not_flagged() {
    for template in [
        "{{ messages[0]['content'] }}",
        "{% for m in messages %}{{ m[key] }}{{ m.content|trim }}{% endfor %}",
        "{% set ns = namespace(i=0) %}{% for m in messages %}{% set ns.i = ns.i + 1 %}{{ messages[ns.i] }}{% endfor %}",
        "{{ messages[loop.index0 - 1] }}{{ tools|tojson(indent=4) }}",
        "{% for k, v in tool.parameters.properties|items %}{{ props[k] }}{% endfor %}",
        "{{ messages|selectattr('role', 'equalto', 'user')|list }}",
        "{{ 'Today: {}'.format(date) }}{{ '%s items'|format(n) }}",
        "{% for i in range(messages|length) %}{{ i }}{% endfor %}{% for i in range(3) %}{% endfor %}",
        "{{ x['_meta'] }}{{ cycler('a', 'b').next() }}{{ namespace(a=1).a }}",
        "{{ raise_exception('bad') }}{{ content.split('</think>')[-1].lstrip('\\n') }}",
    ] {
        assert_eq!(concerns(template), [], "{template}");
    }
}

#[test]
fn keys_read_from_the_special_tokens_the_release_sets_are_suspicious() {
    assert_eq!(
        concerns("{{ messages[0][bos_token] }}"),
        [(
            Level::Suspicious,
            "an item key built at render time".to_owned()
        )]
    );
    // As text they are what they always are.
    assert_eq!(
        concerns("{{ bos_token ~ messages[0].content ~ eos_token }}"),
        []
    );
}

#[test]
fn a_name_defined_through_itself_is_followed_a_few_rounds() {
    let built = "{% set ns = namespace(k='') %}{% for p in ['__cla', 'ss__'] %}{% set ns.k = ns.k ~ p %}{% endfor %}{{ x[ns.k] }}";
    assert!(
        escapes(built).iter().any(|w| w.contains("`__class__`")),
        "{:?}",
        concerns(built)
    );
}

#[test]
fn generation_tags_are_read_as_transformers_reads_them() {
    let text =
        "{% for m in messages %}{%- generation -%}{{ m.content }}{% endgeneration %}{% endfor %}";
    assert_eq!(concerns(text), []);
    let blanked = blank_generation_tags(text);
    assert_eq!(blanked.len(), text.len(), "offsets are kept");
    assert!(!blanked.contains("generation"));
    // An opening and a closing delimiter that overlap are no tag.
    assert_eq!(blank_generation_tags("{%}} x"), "{%}} x");
}

#[test]
fn bounds_stop_the_analysis_with_a_finding() {
    let big = "a".repeat(MAX_TEMPLATE + 1);
    assert_eq!(
        analyse(&big),
        Analysis::TooLarge {
            bytes: MAX_TEMPLATE + 1
        }
    );
    let long_tag = format!("{{{{ x{} }}}}", ".a".repeat(MAX_TAG_TOKENS));
    assert!(matches!(
        analyse(&long_tag),
        Analysis::TooComplex { offset: 0, .. }
    ));
    let deep = format!("{{{{ x{} }}}}", ".a".repeat(450));
    assert!(
        matches!(&analyse(&deep), Analysis::TooComplex { why, .. } if why.contains("levels deep")),
        "{:?}",
        analyse(&deep)
    );
    // Parsing itself refuses too much nesting; that is a position, not a crash.
    let parens = format!("{{{{ {}1{} }}}}", "(".repeat(200), ")".repeat(200));
    assert!(matches!(analyse(&parens), Analysis::Unparsable { .. }));
}

#[test]
fn record_names_the_position_of_each_construct() {
    let mut report = Report::default();
    record(
        "`t`",
        "{{ a }}\n  {{ x['__cla' ~ 'ss__'] }}",
        Anchor::File,
        &mut report,
    );
    assert_eq!(report.notes.len(), 1);
    assert_eq!(
        report.notes[0].message,
        "`t` escapes Jinja's sandbox: an item key that can be `__class__` (line 2, column 8); a renderer without the sandbox runs code when it formats a chat (CVE-2024-34359)"
    );
    assert_eq!(report.notes[0].offset, Some(15));
    let mut report = Report::default();
    record("`t`", "ok\n{% for %}", Anchor::At(40), &mut report);
    assert_eq!(report.notes[0].rule, rules::MALFORMED);
    assert!(
        report.notes[0]
            .message
            .starts_with("`t` does not parse as Jinja at line 2, column"),
        "{}",
        report.notes[0].message
    );
    assert_eq!(report.notes[0].offset, Some(40));
    assert_eq!(position("é\nab", 4), (2, 2));
}
