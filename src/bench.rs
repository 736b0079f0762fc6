//! Measurements shared by the bench binaries (`keyreach-bench*`): peak memory and the CPU
//! time of the calling thread, read from Linux `/proc`; `None` elsewhere.

use std::time::Duration;

/// Peak resident set size (`VmHWM` of `/proc/self/status`), in KiB.
#[must_use]
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU time of the calling thread (`/proc/thread-self/schedstat`): wall time overstates the
/// work on a loaded machine.
#[must_use]
pub fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}
