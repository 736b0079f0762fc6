#![no_main]
//! Fuzz target `baseline`: see `keyreach::fuzzing::baseline`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyreach::fuzzing::baseline(data));
