//! Chat templates: any text is analysed (checked, unparsable, or refused by a bound), never a panic or a stack overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scelle::inspect::Report;
use scelle::inspect::template::{self, Anchor};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    template::record("`t`", &text, Anchor::File, &mut Report::default());
});
