//! The fuzz targets on the stable toolchain: every seed (fixtures under `testdata/`, the seeds
//! in `fuzz/seeds/`, the regression inputs in `testdata/fuzz/<target>/`) is replayed through
//! its target, then mutated with a fixed-seed generator. Any panic, on any thread, fails the
//! test and leaves the input in `target/fuzz-failures/` to replay with
//! `cargo +nightly fuzz run <target> <file>` (see `docs/reliability.md`).
//!
//! `KEYREACH_FUZZ_SECONDS` sets the time spent mutating, shared by the targets (CI gives 30);
//! unset, each target gets a fixed small number of mutations so `cargo test` stays quick and
//! reproducible. `KEYREACH_FUZZ_SEED` changes the generator's seed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static PANICKED: AtomicBool = AtomicBool::new(false);

/// A small xorshift generator: same seed, same inputs, on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::try_from(self.next() % n as u64).unwrap_or(0)
        }
    }
}

/// Bytes and snippets that matter to the readers' grammars.
const TOKENS: &[&[u8]] = &[
    b"[",
    b"]",
    b"{",
    b"}",
    b"\"",
    b"'",
    b":",
    b",",
    b"\n",
    b"- ",
    b"*",
    b"?",
    b"${",
    b"\\",
    b"!Ref ",
    b"!GetAtt ",
    b"!Sub ",
    b"&a ",
    b"*a",
    b"<<: ",
    b"|\n",
    b"\"Fn::If\"",
    b"null",
    b"\"Statement\"",
    b"\"Principal\"",
    b"\"Condition\"",
    b"\"*\"",
    b"arn:aws:iam::*:role/*",
    b"kms:*",
    b"for_each = ",
    b"count = ",
    b"var.",
    b"local.",
    b"module.",
    b"${var.x}",
    b"jsonencode(",
    b"\xff",
    b"\xc3\xa9",
    b"0",
    b"-1",
    b"1e999",
    b"18446744073709551616",
];

fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(8) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                v.splice(at..at, t.iter().copied());
            }
            2 if !v.is_empty() => {
                let end = (at + 1 + rng.below(64)).min(v.len());
                v.drain(at.min(end)..end);
            }
            3 if !v.is_empty() => {
                let start = rng.below(v.len());
                let end = (start + 1 + rng.below(256)).min(v.len());
                let piece = v[start..end].to_vec();
                v.splice(at..at, piece);
            }
            4 if !other.is_empty() => {
                let start = rng.below(other.len());
                let end = (start + 1 + rng.below(512)).min(other.len());
                v.splice(at..at, other[start..end].iter().copied());
            }
            5 => {
                let t = TOKENS[rng.below(6)];
                let times = 1 + rng.below(300);
                let run: Vec<u8> = t.iter().copied().cycle().take(t.len() * times).collect();
                v.splice(at..at, run);
            }
            6 => v.truncate(at),
            _ => {
                let b = u8::try_from(rng.below(256)).unwrap_or(0);
                v.insert(at, b);
            }
        }
    }
    v.truncate(64 * 1024);
    v
}

fn failure_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures")
}

/// Runs `input` through `target`; the path of the saved input when it panicked.
fn run_one(name: &str, target: fn(&[u8]), input: &[u8]) -> Option<PathBuf> {
    PANICKED.store(false, Ordering::SeqCst);
    let unwound = std::panic::catch_unwind(|| target(input)).is_err();
    if !unwound && !PANICKED.load(Ordering::SeqCst) {
        return None;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in input {
        h = (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
    }
    let dir = failure_dir();
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{name}-{h:016x}"));
    let _ = std::fs::write(&path, input);
    Some(path)
}

fn seeds(name: &str) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for dir in ["testdata", "examples", "fuzz/seeds"] {
        all.extend(keyreach::fuzzing::seeds(name, &root.join(dir), 64 * 1024));
    }
    all
}

/// Records every panic, on any thread (a reader may catch a worker's panic and carry on).
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICKED.store(true, Ordering::SeqCst);
            previous(info);
        }));
    });
}

/// The harness itself can fail: a panic on a thread the target joins and ignores is caught.
#[test]
fn a_panic_on_another_thread_is_reported() {
    install_panic_hook();
    fn hidden_panic(data: &[u8]) {
        if data.first() == Some(&b'!') {
            let _ = std::thread::spawn(|| panic!("deliberate")).join();
        }
    }
    let _guard = SERIAL.lock();
    assert!(run_one("selftest", hidden_panic, b"fine").is_none());
    let saved = run_one("selftest", hidden_panic, b"!boom").expect("caught");
    assert_eq!(std::fs::read(&saved).expect("saved"), b"!boom");
    let _ = std::fs::remove_file(saved);
}

/// The panic flag is process-wide: the tests of this file take turns.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn fuzz_targets_never_panic() {
    install_panic_hook();
    let _guard = SERIAL.lock();
    let budget: Option<Duration> = std::env::var("KEYREACH_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .map(Duration::from_secs_f64);
    let seed: u64 = std::env::var("KEYREACH_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_cafe_f00d_beef);
    let targets = keyreach::fuzzing::TARGETS;
    let per_target = budget.map(|b| b / u32::try_from(targets.len()).unwrap_or(1));
    let mut failures = Vec::new();
    for (name, target) in targets {
        let corpus = seeds(name);
        assert!(!corpus.is_empty(), "no seeds for the {name} target");
        let mut execs = 0usize;
        for input in &corpus {
            execs += 1;
            failures.extend(run_one(name, *target, input));
        }
        let mut rng = Rng(seed ^ (name.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let start = Instant::now();
        let mut mutations = 0usize;
        loop {
            match per_target {
                Some(t) if start.elapsed() >= t => break,
                None if mutations >= 60 => break,
                _ => {}
            }
            let a = &corpus[rng.below(corpus.len())];
            let b = &corpus[rng.below(corpus.len())];
            let input = mutate(&mut rng, a, b);
            mutations += 1;
            execs += 1;
            failures.extend(run_one(name, *target, &input));
        }
        println!(
            "fuzz target {name}: {} seeds, {execs} inputs in {:.1} s",
            corpus.len(),
            start.elapsed().as_secs_f64()
        );
    }
    assert!(
        failures.is_empty(),
        "inputs that made a reader panic (saved for replay): {failures:#?}"
    );
}
