//! Reference sections of the docs that are generated from the code (the field reference of
//! `scelle.yaml`, the rule catalogue, the finding codes) sit between two markers in their
//! Markdown file. A test compares each with what the code generates now, so the docs cannot drift;
//! `SCELLE_BLESS=1` rewrites the section instead.

use std::path::Path;

/// Asserts that the section of `file` (relative to the crate) between `<!-- {marker}:begin -->`
/// and `<!-- {marker}:end -->` is `generated`, or rewrites it when `SCELLE_BLESS` is set; `test`
/// names the test that blesses it, for the failure message.
pub(crate) fn assert_section(file: &str, marker: &str, generated: &str, test: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let doc = fs_err::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let (begin, end) = (
        format!("<!-- {marker}:begin -->\n"),
        format!("<!-- {marker}:end -->"),
    );
    let start = doc
        .find(&begin)
        .unwrap_or_else(|| panic!("{file} has no `{begin}`"))
        + begin.len();
    let stop = doc
        .find(&end)
        .unwrap_or_else(|| panic!("{file} has no `{end}`"));
    if std::env::var_os("SCELLE_BLESS").is_some() {
        let updated = format!("{}{generated}{}", &doc[..start], &doc[stop..]);
        fs_err::write(&path, updated).unwrap_or_else(|e| panic!("{e}"));
        return;
    }
    assert!(
        doc[start..stop] == *generated,
        "{file} is out of date: run `SCELLE_BLESS=1 cargo test --lib {test}`"
    );
}
