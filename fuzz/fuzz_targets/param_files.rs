#![no_main]
//! Fuzz target `param_files`: see `keyreach::fuzzing::param_files`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyreach::fuzzing::param_files(data));
