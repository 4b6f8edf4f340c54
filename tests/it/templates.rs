//! Chat templates against the real renderer: Jinja2 (the engine transformers and the Python
//! servers render chat templates with). Each committed escape under `fixtures/templates/escape/`
//! must really reach Python internals in Jinja2's plain `Environment` (and be stopped by its
//! sandbox), and scelle must call it `file/code-on-load`; each ordinary template (popular models'
//! templates with tool-calling branches) must render in the sandbox as transformers sets it up,
//! and scelle must report nothing but the note that it is a template.

use std::path::{Path, PathBuf};

use crate::common::{Release, py_json, run};

/// Renders every template of a folder with Jinja2, plain and sandboxed, the way transformers
/// configures its environment (`trim_blocks`, `lstrip_blocks`, loop controls, its
/// `{% generation %}` tag, `raise_exception`, `strftime_now`). Prints, per file, whether each
/// environment's output carries the marker only an escape can produce (the `__name__` of
/// Jinja's own module, read through `cycler.__init__.__globals__` or the like), or the error.
const RENDER: &str = r#"
import json, os, sys, datetime
import jinja2
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

class Generation(Extension):
    tags = {"generation"}
    def parse(self, parser):
        next(parser.stream)
        return parser.parse_statements(["name:endgeneration"], drop_needle=True)

def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)

def setup(env):
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda f: datetime.datetime(2026, 1, 2).strftime(f)
    return env

call = {"id": "abcdefghi", "type": "function",
        "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}
tool = {"type": "function", "function": {"name": "get_weather", "description": "Weather now",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"},
        "unit": {"type": "string", "enum": ["c", "f"]}}, "required": ["city"]}}}
chat = [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi"},
        {"role": "user", "content": "Weather?"}]
with_tools = [{"role": "system", "content": "Be brief."},
              {"role": "user", "content": "Weather in Paris?"},
              {"role": "assistant", "content": "", "tool_calls": [call]},
              {"role": "tool", "content": "18 C", "tool_call_id": "abcdefghi", "name": "get_weather"},
              {"role": "assistant", "content": "It is 18 C."},
              {"role": "user", "content": "Thanks"}]

def render(env, source, messages, tools):
    try:
        out = env.from_string(source).render(messages=messages, tools=tools, bos_token="<s>",
                                             eos_token="</s>", add_generation_prompt=True)
        # The module's name alone, not a class repr such as `<class 'jinja2.utils.Cycler'>`.
        return "escaped" if "jinja2.utils" in out.replace("jinja2.utils.", "") else "rendered"
    except Exception as e:
        return "error: " + type(e).__name__ + ": " + str(e)[:120]

result = {}
folder = sys.argv[1]
for name in sorted(os.listdir(folder)):
    source = open(os.path.join(folder, name), encoding="utf-8").read()
    kw = dict(trim_blocks=True, lstrip_blocks=True, extensions=[Generation, loopcontrols])
    plain = setup(jinja2.Environment(**kw))
    sandbox = setup(ImmutableSandboxedEnvironment(**kw))
    result[name] = {
        "plain": render(plain, source, chat, None),
        "plain_tools": render(plain, source, with_tools, [tool]),
        "sandbox": render(sandbox, source, chat, None),
        "sandbox_tools": render(sandbox, source, with_tools, [tool]),
    }
print(json.dumps(result))
"#;

fn fixtures(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/templates")
        .join(kind)
}

fn names(kind: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(fixtures(kind))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    out.sort();
    out
}

/// The (rule, severity, message) of each finding `scan` records on `chat_template.jinja` when
/// a release ships `template` under that name.
fn scanned(template: &[u8]) -> Vec<(String, String, String)> {
    let release = Release::new();
    release.file("chat_template.jinja", template);
    release.file("config.json", "{}");
    let out = run(&["scan", release.path().to_str().unwrap()]);
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    let manifest = out.json();
    let record = manifest["predicate"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "chat_template.jinja")
        .unwrap()
        .clone();
    assert_eq!(record["kind"], "tokenizer");
    record["findings"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|f| {
                    (
                        f["rule"].as_str().unwrap().to_owned(),
                        f["severity"].as_str().unwrap().to_owned(),
                        f["message"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_escape_reaches_python_in_jinja2_and_is_code_on_load() {
    let rendered = py_json(RENDER, &[fixtures("escape").to_str().unwrap()]);
    let all = names("escape");
    assert!(all.len() >= 20, "{all:?}");
    for name in &all {
        let r = &rendered[name];
        assert!(
            r["plain"] == "escaped" || r["plain_tools"] == "escaped",
            "{name} does not escape Jinja2: {r}"
        );
        for conversation in ["sandbox", "sandbox_tools"] {
            assert_ne!(
                r[conversation], "escaped",
                "{name}: the sandbox should stop it: {r}"
            );
        }
        let text = std::fs::read(fixtures("escape").join(name)).unwrap();
        let found = scanned(&text);
        let errors: Vec<_> = found
            .iter()
            .filter(|(rule, severity, _)| rule == "file/code-on-load" && severity == "error")
            .collect();
        assert_eq!(errors.len(), 1, "{name}: {found:?}");
        assert!(
            errors[0]
                .2
                .starts_with("`chat_template.jinja` escapes Jinja's sandbox: "),
            "{name}: {}",
            errors[0].2
        );
    }
}

#[test]
fn popular_templates_render_in_the_sandbox_and_get_no_warning() {
    let rendered = py_json(RENDER, &[fixtures("ordinary").to_str().unwrap()]);
    let all = names("ordinary");
    assert!(all.len() >= 6, "{all:?}");
    for name in &all {
        let r = &rendered[name];
        assert_eq!(r["sandbox"], "rendered", "{name}: {r}");
        assert_eq!(r["plain"], "rendered", "{name}: {r}");
        if !name.starts_with("gemma") {
            assert_eq!(r["plain_tools"], "rendered", "{name}: {r}");
        }
        // Gemma 2 refuses a system message, which the tool conversation opens with.
        if !name.starts_with("gemma") {
            assert_eq!(r["sandbox_tools"], "rendered", "{name}: {r}");
        }
        let text = std::fs::read(fixtures("ordinary").join(name)).unwrap();
        let found = scanned(&text);
        assert_eq!(
            found,
            [(
                "file/note".to_owned(),
                "info".to_owned(),
                format!(
                    "`chat_template.jinja` is a Jinja template ({} bytes) that loaders run to format chats",
                    text.len()
                )
            )],
            "{name}"
        );
    }
}

#[test]
fn constructs_that_hide_their_target_are_warnings_not_errors() {
    let rendered = py_json(RENDER, &[fixtures("suspicious").to_str().unwrap()]);
    for (name, words) in [
        (
            "attr-runtime-name.jinja",
            "the attribute `attr` reads, chosen at render time (line 1, column 16)",
        ),
        (
            "built-key.jinja",
            "an item key built at render time (line 1, column 29)",
        ),
        (
            "comment.jinja",
            "`__init__` in text, a comment or a string no code here uses as a name",
        ),
        (
            "escaped-string.jinja",
            "a string spelling name characters with escapes",
        ),
        (
            "global-value.jinja",
            "Jinja's global `cycler` handled as a value instead of called",
        ),
        (
            "include.jinja",
            "`{% include %}`, which loads another template",
        ),
        ("range-huge.jinja", "`range` over 100000000 items"),
        ("self.jinja", "`self`, the template's reference to itself"),
        (
            "special-token-key.jinja",
            "an item key built at render time (line 1, column 16)",
        ),
    ] {
        assert_ne!(rendered[name]["plain"], "escaped", "{name}");
        assert_ne!(rendered[name]["plain_tools"], "escaped", "{name}");
        let text = std::fs::read(fixtures("suspicious").join(name)).unwrap();
        let found = scanned(&text);
        assert_eq!(found.len(), 2, "{name}: {found:?}");
        let (rule, severity, message) = &found[1];
        assert_eq!(
            (rule.as_str(), severity.as_str()),
            ("file/suspicious-template", "warning"),
            "{name}"
        );
        assert!(
            message
                .starts_with("`chat_template.jinja` hides what it reads or strains the renderer: ")
                && message.contains(words),
            "{name}: {message}"
        );
    }
    assert_eq!(names("suspicious").len(), 9, "every fixture is asserted");
}

#[test]
fn a_template_that_does_not_parse_is_malformed_at_its_position() {
    let found = scanned(b"{% for m in messages %}\n{{ m['content'] }\n{% endfor %}");
    assert_eq!(
        found[1],
        (
            "file/malformed".to_owned(),
            "error".to_owned(),
            "`chat_template.jinja` does not parse as Jinja at line 2, column 17: unexpected `}`, expected end of variable block".to_owned()
        ),
        "{found:?}"
    );
}

#[test]
fn templates_in_configs_are_each_analysed() {
    let release = Release::new();
    release.file(
        "tokenizer_config.json",
        r#"{"chat_template": [
            {"name": "default", "template": "{% for m in messages %}{{ m['content'] }}{% endfor %}"},
            {"name": "tool_use", "template": "{{ (lipsum|attr('__glo' ~ 'bals__'))['os'] }}"}]}"#,
    );
    release.file(
        "chat_template.json",
        r#"{"chat_template": "{{ messages[0]['content'] }}{{ ''['\\x5f\\x5fclass\\x5f\\x5f'] }}"}"#,
    );
    let manifest = run(&["scan", release.path().to_str().unwrap()]).json();
    let files = manifest["predicate"]["files"].as_array().unwrap();
    let record = |path: &str| files.iter().find(|f| f["path"] == path).unwrap().clone();
    let errors = |record: &serde_json::Value| -> Vec<String> {
        record["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "file/code-on-load")
            .map(|f| f["message"].as_str().unwrap().to_owned())
            .collect()
    };
    let config = record("tokenizer_config.json");
    assert_eq!(
        errors(&config),
        [
            "chat template `tool_use` escapes Jinja's sandbox: the attribute `attr` reads that can be `__globals__` (line 1, column 12); a renderer without the sandbox runs code when it formats a chat (CVE-2024-34359)"
        ]
    );
    assert_eq!(
        config["facts"]["chat_templates"],
        serde_json::json!(["default", "tool_use"])
    );
    let processor = record("chat_template.json");
    assert_eq!(processor["kind"], "tokenizer");
    assert_eq!(
        errors(&processor),
        [
            "`chat_template` escapes Jinja's sandbox: an item key that can be `__class__` (line 1, column 35); a renderer without the sandbox runs code when it formats a chat (CVE-2024-34359)"
        ]
    );
}
