//! Keras archives and HDF5 byte scans: any input returns (facts and findings, or a malformed error), never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scelle::inspect::Report;
use scelle::inspect::source::Source;

fuzz_target!(|data: &[u8]| {
    let source = Source::bytes(data);
    let _ = { let _ = scelle::inspect::keras::inspect_keras(source, &mut Report::default()); scelle::inspect::keras::inspect_h5(source, &mut Report::default()) };
});
