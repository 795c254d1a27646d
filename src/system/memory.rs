//! Keeping a long-running process's memory small on glibc. No safe crate covers these two
//! glibc calls, so they are the only `unsafe` of this module.

/// Memory freed must go back to the system: glibc otherwise raises its mmap threshold
/// after the first large free (a PIN check allocates 7 MiB) and keeps such blocks in
/// per-thread arenas for good. Call before the process starts other threads.
pub fn keep_small() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator tunables; it is called before any other thread
    // of this process allocates.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Gives free heap memory back to the system.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap memory to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}
