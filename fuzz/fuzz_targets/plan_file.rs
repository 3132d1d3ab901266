//! Any bytes as a saved plan: rejected with an error or accepted, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tableform::plan::file::PlanFile;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = PlanFile::parse(data) {
        // An accepted file renders in every format.
        let _ = tableform::plan::render::text(&file, false);
        let _ = tableform::plan::render::markdown(&file);
        let _ = tableform::plan::render::sql_script(&file.plan);
    }
});
