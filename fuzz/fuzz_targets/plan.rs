#![no_main]
//! Fuzz target `plan`: see `keyreach::fuzzing::plan`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyreach::fuzzing::plan(data));
