#![no_main]
//! Fuzz target `config`: see `keyreach::fuzzing::config`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyreach::fuzzing::config(data));
