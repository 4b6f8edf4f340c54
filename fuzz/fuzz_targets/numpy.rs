//! .npy headers (and object-array pickles) and .npz archives: any input returns (facts and findings, or a malformed error), never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scelle::inspect::Report;
use scelle::inspect::source::Source;

fuzz_target!(|data: &[u8]| {
    let source = Source::bytes(data);
    let _ = { let _ = scelle::inspect::numpy::inspect_npy(source, &mut Report::default()); scelle::inspect::numpy::inspect_npz(source, &mut Report::default()) };
});
