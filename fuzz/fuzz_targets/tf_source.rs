#![no_main]
//! Fuzz target `tf_source`: see `keyreach::fuzzing::tf_source`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyreach::fuzzing::tf_source(data));
