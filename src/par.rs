//! Work on every core: an ordered map over independent items on a pool of scoped threads.
//!
//! Results come back in the items' order whatever the number of threads, so callers that cut
//! their work into pieces independent of the core count get the same output on any machine.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The environment variable that fixes the number of threads (`1` for one thread); unset,
/// keyreach uses the cores, at most 8. The report is the same whatever the number.
pub const THREADS_ENV: &str = "KEYREACH_THREADS";

/// The number of threads `KEYREACH_THREADS` asks for (at most 64), when it is set to a
/// positive number.
pub(crate) fn forced_threads() -> Option<usize> {
    std::env::var(THREADS_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .map(|n| n.min(64))
}

/// How many threads to use for `items` pieces of work: the cores, at most 8, at most one per
/// item; or exactly what `KEYREACH_THREADS` asks for ([`map`] still starts at most one per
/// item), so that the parallel paths can be forced on small inputs.
pub(crate) fn threads_for(items: usize) -> usize {
    if let Some(n) = forced_threads() {
        return n;
    }
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(8)
        .min(items)
        .max(1)
}

/// Applies `f` to every item on up to `threads` threads, each taking the next item in turn,
/// and returns the results in the items' order. The calling thread works too. Items a worker
/// did not finish (it panicked) are redone on the calling thread.
pub(crate) fn map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    if threads < 2 || items.len() < 2 {
        return items.iter().map(&f).collect();
    }
    let next = AtomicUsize::new(0);
    let worker = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            done.push((i, f(item)));
        }
        done
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads.min(items.len()))
            .map(|_| scope.spawn(worker))
            .collect();
        let mut all = worker();
        for h in handles {
            all.extend(h.join().unwrap_or_default());
        }
        all
    });
    done.sort_by_key(|d| d.0);
    let mut out = Vec::with_capacity(items.len());
    let mut results = done.into_iter().peekable();
    for (i, item) in items.iter().enumerate() {
        match results.next_if(|(j, _)| *j == i) {
            Some((_, r)) => out.push(r),
            None => out.push(f(item)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::map;

    #[test]
    fn results_keep_the_items_order() {
        let items: Vec<u64> = (0..1000).collect();
        for threads in [1, 2, 3, 8] {
            let out = map(&items, threads, |x| x * x);
            assert_eq!(out, items.iter().map(|x| x * x).collect::<Vec<_>>());
        }
        assert!(map(&[] as &[u8], 4, |x| *x).is_empty());
    }
}
