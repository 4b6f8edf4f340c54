//! Per-domain size files a crawl dataset references (`crawl.domain_sizes`): CSV, TSV or JSONL
//! that the publisher writes and `report` reads, so any bytes give domains or one clear error,
//! never a panic, and the ranking of what parses is total.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scelle::crawl_domains;

fuzz_target!(|data: &[u8]| {
    for name in ["domains.csv", "domains.tsv", "domains.jsonl"] {
        if let Ok(domains) = crawl_domains::parse(name, data) {
            let n = domains.len();
            let _ = crawl_domains::top(domains, n / 10 + 1);
        }
    }
});
