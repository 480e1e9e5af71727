//! The allocator of the `tracklane` binary (mimalloc), and the one setting
//! tracklane changes in it. This is the only crate allowed an `unsafe` block:
//! the setting is a C call.
//!
//! mimalloc hands pages that stayed free for a second back to the operating
//! system. A hub that serves for days should do that. A batch command
//! (`simulate`, `replay`, `bench`) frees and reuses the same memory in bursts
//! a few hundred milliseconds apart, and every page handed back is faulted in
//! and zeroed again at the next burst: on a 100 000-shipment replay that was
//! about a tenth of the time. [`keep_freed_memory`] turns it off for them.

/// The allocator: `#[global_allocator] static A: Allocator = Allocator;`.
pub type Allocator = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay`: the place of the purge delay in its
/// option table (`mi_option_t` in `mimalloc.h`, version 3), which the Rust
/// bindings do not name.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps freed memory for reuse for the rest of the process instead of
/// handing it back to the operating system: the process stays at its peak
/// size. For batch commands only; call it before starting other threads.
pub fn keep_freed_memory() {
    // A negative purge delay means "never purge".
    const NEVER: std::os::raw::c_long = -1;
    // SAFETY: `mi_option_set` takes an option number and a value by value and
    // stores them in mimalloc's option table; `PURGE_DELAY` is a valid option
    // number of the linked mimalloc (the test reads its default back). Called before other threads
    // exist, nothing reads the table concurrently.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, NEVER);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purge_delay() -> std::os::raw::c_long {
        // SAFETY: reading an option takes and returns plain values.
        #[allow(unsafe_code)]
        unsafe {
            libmimalloc_sys::mi_option_get(PURGE_DELAY)
        }
    }

    #[test]
    fn the_purge_delay_is_the_option_turned() {
        // Option 15 is the purge delay: its default is mimalloc 3's second.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(purge_delay(), 1000);
        }
        keep_freed_memory();
        assert_eq!(purge_delay(), -1);
    }
}
