//! zip checkpoints: the zip reader, then every pickle member: any input returns (facts and findings, or a malformed error), never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scelle::inspect::Report;
use scelle::inspect::source::Source;

fuzz_target!(|data: &[u8]| {
    let source = Source::bytes(data);
    let _ = scelle::inspect::torch::inspect_zip(source, true, &mut Report::default());
});
