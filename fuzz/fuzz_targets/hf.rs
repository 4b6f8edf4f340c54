//! Git LFS pointers and Hugging Face JSON files: any input returns (facts and findings, or a malformed error), never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scelle::inspect::Report;
use scelle::inspect::source::Source;

fuzz_target!(|data: &[u8]| {
    let source = Source::bytes(data);
    let _ = { let _ = scelle::inspect::hf::inspect_lfs_pointer(source, &mut Report::default()); let path = scelle::manifest::RelPath::new("config.json").unwrap_or_else(|_| unreachable!()); scelle::inspect::hf::inspect_json(&path, source, &mut Report::default()) };
});
