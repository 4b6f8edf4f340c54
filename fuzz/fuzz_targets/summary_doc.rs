//! Public summaries shipped in a release (`public_summary.uri`): the publisher writes them, an
//! auditor's scan reads them, so any text gives a record (names, dates, size bands) without
//! panicking, against a declaration naming a few datasets, a crawler and base models.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scelle::manifest::summary_doc;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let declared = serde_json::json!({
            "model": {"base_models": [{"name": "org/base"}, {"name": "org/base-8b"}]},
            "datasets": [
                {"id": "wiki", "name": "French Wikipedia", "source_type": "public_dataset",
                 "source_url": "https://dumps.wikimedia.org/frwiki/"},
                {"id": "crawl", "source_type": "crawled_by_provider", "crawl": {"crawler_name": "Bot"}},
                {"id": "syn", "source_type": "synthetic", "synthetic": {"generator_models": [{"name": "org/base"}]}}
            ]
        });
        let _ = summary_doc::facts("docs/summary.md", text, &declared);
    }
});
