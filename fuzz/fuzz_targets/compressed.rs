//! compressed files (gzip, zlib, bzip2, xz, lzma, lz4): signature sniffing, the decoders and the pickle walk over what they produce: any input returns (facts and findings, or a malformed error), never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scelle::inspect::Report;
use scelle::inspect::source::Source;

fuzz_target!(|data: &[u8]| {
    let source = Source::bytes(data);
    let head = &data[..data.len().min(512)];
    let _ = scelle::inspect::compressed::inspect("x.pkl.gz", head, source, &mut Report::default());
});
