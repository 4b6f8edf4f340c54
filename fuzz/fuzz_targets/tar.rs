//! tar archives (legacy torch checkpoints, dataset shards): the header walk, then every pickle member and the legacy record layouts: any input returns (facts and findings, or a malformed error), never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scelle::inspect::Report;
use scelle::inspect::source::Source;

fuzz_target!(|data: &[u8]| {
    let source = Source::bytes(data);
    let _ = scelle::inspect::tar::inspect(source, &mut Report::default());
});
