#![no_main]
//! Fuzz target `cfn_template`: see `keyreach::fuzzing::cfn_template`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyreach::fuzzing::cfn_template(data));
