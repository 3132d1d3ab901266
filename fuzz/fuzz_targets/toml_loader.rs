//! Any bytes as a schema file: loading must end in a schema or located diagnostics, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tableform::load::{self, LoadError};

fuzz_target!(|data: &[u8]| {
    let files = vec![("fuzz.toml".into(), data.to_vec())];
    match load::load_files(files) {
        Ok(_) => {}
        Err(LoadError::Invalid { diagnostics, sources }) => {
            assert!(!diagnostics.is_empty());
            // Rendering points into the file: it must cope with any span.
            let _ = load::diag::render(&diagnostics, &sources, false);
        }
        Err(_) => {}
    }
});
