#![no_main]
//! Fuzz target `policy`: see `keyreach::fuzzing::policy`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyreach::fuzzing::policy(data));
