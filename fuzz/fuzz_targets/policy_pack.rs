//! Policy packs given with `--policy FILE`: the loader parses YAML, compiles every CEL expression
//! and checks it against the declaration schema, all of which must fail cleanly on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scelle::policy::{builtin, pack};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(loaded) = pack::load(text, "pack.yaml", "pack.yaml") {
            let _ = builtin::catalogue_markdown(std::slice::from_ref(&loaded));
        }
    }
});
