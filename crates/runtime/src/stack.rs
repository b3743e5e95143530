//! Mirrors Go src/runtime/stack.go (go1.27).
//!
//! Every goroutine runs on a stack of its own, and this file hands those stacks out and
//! takes them back. Go starts each goroutine on a tiny stack and, when a function
//! prologue finds the stack too small, copies the whole stack into one twice the size
//! and fixes up every pointer into it. gort cannot do that: Rust code has no
//! stack-check prologues and no pointer maps, so a stack can neither grow nor move. A
//! gort stack therefore has a fixed size chosen when the goroutine is created
//! ([`DEFAULT_STACK_SIZE`] unless the builder asks for more), and running off its end
//! is caught by an inaccessible guard page just below it, which turns the overflow into
//! a `SIGSEGV` that `signal_unix.rs` reports as a fatal "stack overflow" error.
//!
//! Layout. Stacks are cut from large `MAP_NORESERVE` reservations ("chunks"), one run of
//! chunks per stack size. A chunk is an array of equal slots; each slot is one guard
//! page followed by the usable stack, which grows down towards the guard:
//!
//! ```text
//!  chunk base                                                        chunk base + len
//!  | guard | usable stack 0 | guard | usable stack 1 | ... | guard | usable stack n-1 |
//!          ^lo            hi^
//! ```
//!
//! Reserving address space costs nothing until a page is touched, so 100 000 goroutines
//! on 256 KiB stacks (about 25 GiB of address space) cost only the pages they really
//! use, and about thirty mappings (chunks grow from 64 MiB to 1 GiB). Chunks are marked
//! `MADV_NOHUGEPAGE`: stacks are touched sparsely from the top, and a transparent huge
//! page would turn one touched page into 2 MiB of RSS.
//!
//! Guard pages. On Linux 6.13 and later a guard is installed with
//! `madvise(MADV_GUARD_INSTALL)`, which marks the page table entries and leaves the
//! mapping whole. Older kernels get `mprotect(PROT_NONE)`, which splits the mapping into
//! separate VMAs around every guard: two more VMAs per stack slot ever handed out (the
//! high-water mark of live stacks, since guards stay when a stack is freed), so under
//! the default `vm.max_map_count` of 65530 a process tops out at about 32 000 stacks,
//! after which [`stackalloc`] fails with `ENOMEM`. The choice is probed once per process
//! ([`guard_kind`]). Guards are installed lazily, when a slot is first handed out, so an
//! unused slot costs no VMA even under `mprotect`. A P's [`StackCache`] takes fresh
//! slots [`STACK_CACHE_BATCH`] at a time; where `process_madvise` works on the calling
//! process ([`batch_advice`]: Linux 6.14 and later) one call installs the guards of the
//! whole batch and another faults in the top page of each of its stacks
//! (`MADV_POPULATE_WRITE`), the page a new goroutine writes first, so a burst of new
//! goroutines costs two syscalls per batch instead of a syscall and a page fault per
//! goroutine. Such a batch takes [`FRESH_BATCH`] (64) fresh slots even if the cache
//! asked for fewer, and the rest wait, pages touched, in the pool's warm list. The
//! price: a program that starts even one goroutine holds the top pages of a whole
//! batch (64 pages, 256 KiB) until the scavenger finds them unused.
//!
//! Reuse. A stack given back with [`stackfree`] waits in a process-wide pool for the
//! next stack of its size, warm (its touched pages kept) and with its guard in place;
//! the newest is handed out first. How many stay warm follows demand, as Go's
//! background scavenger does for its heap: once a second sysmon runs
//! [`scavenge_if_due`], which releases, per size, as many of the oldest warm stacks as
//! the warm list never dipped below during the last period (its low-water mark), so
//! only stacks that stayed unused for a whole period lose their pages. A program that
//! starts a burst of goroutines more often than once a second reuses its stacks
//! without a page fault, a TLB shoot-down or a syscall each; one that stops gives the
//! memory back within two periods, so idle stacks hold at most the peak demand of the
//! last period or two. [`free_os_memory`] (Go's `debug.FreeOSMemory`) releases every
//! warm stack at once; so does dropping a runtime, whose sysmon may have been the
//! process's last scavenger. Pages are released in one call per run of neighbouring slots,
//! with `MADV_FREE`: the kernel takes the pages back only when it needs memory, and a
//! stack reused before that is written without a page fault (`MADV_DONTNEED` cost
//! one fault per goroutine per burst). The price is that the process's RSS falls only
//! under memory pressure (the pages show as `LazyFree` in `/proc/PID/smaps`); on a
//! kernel without `MADV_FREE` (before 4.5) gort falls back to `MADV_DONTNEED`. In
//! front of the pool each P
//! keeps a [`StackCache`] of up to [`STACK_CACHE_MAX`] stacks per size, not released,
//! like Go's per-P `mcache.stackcache`. Reservations are never unmapped: stack memory is
//! reused, never given back to the address space, so a stale address into a freed stack
//! reads old contents or zeros rather than faulting.
//!
//! The signal handler must tell a stack overflow from any other fault without locks or
//! allocation; for that, every chunk is also published in a fixed-size table of atomics
//! ([`guard_page_stack_size`]).

use std::ffi::c_void;
use std::io;
use std::os::fd::AsRawFd;
use std::ptr;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicUsize, Ordering};

use parking_lot::Mutex;
use rustix::mm::{self, Advice, MapFlags, MprotectFlags, ProtFlags};

/// The usable size of a goroutine stack when the builder does not ask for another.
pub(crate) const DEFAULT_STACK_SIZE: usize = 256 * 1024;

/// The smallest usable stack [`round_stack_size`] hands out. Go's `stackMin` is 2 KiB
/// because Go stacks grow; a fixed gort stack must hold a whole call chain, signal
/// frames on the goroutine's stack excluded (those go to the alternate signal stack).
#[doc(alias = "stackMin")]
pub(crate) const MIN_STACK_SIZE: usize = 16 * 1024;

/// How many stacks of one size a [`StackCache`] keeps before it gives stacks back to the
/// process-wide pool. 32 default-sized stacks are 8 MiB of resident memory per P at most.
#[doc(alias = "_StackCacheSize")]
const STACK_CACHE_MAX: usize = 32;

/// How often the scavenger ([`scavenge_if_due`], driven by sysmon) looks at
/// the warm lists, in nanoseconds. A stack has to sit unused in the pool for
/// a whole period before its pages go back to the kernel, so a program that
/// bursts more often than this keeps its stacks warm, and one that stops
/// bursting gives the memory back within two periods.
pub(crate) const SCAVENGE_PERIOD_NS: i64 = 1_000_000_000;

/// Bytes in the first chunk reserved for a stack size. Each further chunk for the same
/// size doubles, up to `CHUNK_BYTES_MIN << CHUNK_GROWTH_MAX_SHIFT` (1 GiB), so a program
/// with few goroutines reserves little and one with a million needs few mappings.
const CHUNK_BYTES_MIN: usize = 64 << 20;

/// See [`CHUNK_BYTES_MIN`].
const CHUNK_GROWTH_MAX_SHIFT: u32 = 4;

/// A chunk holds at least this many slots, so that very large stacks do not get one
/// mapping each. If the kernel refuses the address space (`ENOMEM`: a low
/// `RLIMIT_AS`, or `vm.overcommit_memory = 2`, which ignores `MAP_NORESERVE`), the
/// request is halved down to a single slot before [`stackalloc`] gives up.
const CHUNK_MIN_SLOTS: usize = 16;

/// Capacity of the reservation table that the signal handler scans. With chunks of up
/// to 1 GiB this is terabytes of stacks; running out makes [`stackalloc`] fail.
const MAX_RESERVATIONS: usize = 4096;

/// How many stacks a [`StackCache`] takes from the pool when it runs dry, and gives
/// back when it overflows (Go's `_StackCacheSize / 2`): one pool lock, and for fresh
/// slots one `process_madvise` for all their guards and one for their first pages,
/// per this many goroutines started.
const STACK_CACHE_BATCH: usize = STACK_CACHE_MAX / 2;

/// How many fresh slots [`stackalloc_batch`] prepares at once where the guards and
/// first pages can be batched ([`batch_advice`]), even when asked for fewer: the
/// rest wait in the pool's warm list. So a burst costs two `process_madvise` calls
/// per 64 goroutines, and a small program holds up to 64 top pages (256 KiB) it
/// may not use, until the scavenger releases them.
const FRESH_BATCH: usize = 64;

/// `PIDFD_SELF_THREAD` from Linux 6.14 `include/uapi/linux/pidfd.h`: a pidfd
/// argument meaning the calling thread, without opening one.
const PIDFD_SELF_THREAD: libc::c_int = -10000;

/// `MADV_POPULATE_WRITE` (Linux 5.14): fault the range in, writable, now.
const MADV_POPULATE_WRITE: libc::c_int = 23;

/// `MADV_GUARD_INSTALL` from Linux 6.13 `include/uapi/asm-generic/mman-common.h`
/// (the libc crate does not define it yet).
const MADV_GUARD_INSTALL: libc::c_int = 102;

// ANCHOR: stack
/// A goroutine stack: usable memory `[lo, hi)`, the guard page sits just below `lo`.
///
/// A `Stack` is the only handle on its memory: it is not `Clone`, and it goes back with
/// [`stackfree`] or [`StackCache::put`]. Dropping it instead leaks the slot (the memory
/// stays reserved and is never reused), which is safe but wasteful. Code that turns
/// `lo`/`hi` into pointers (to run a goroutine on the stack) must be done with them
/// before the `Stack` is given back, because giving it back discards its contents.
#[doc(alias = "stack")]
#[derive(Debug)]
pub(crate) struct Stack {
    /// Lowest usable address; the guard page is `[lo - page, lo)`.
    lo: usize,
    /// One past the highest usable byte; page aligned.
    hi: usize,
}
// ANCHOR_END: stack

impl Stack {
    /// The lowest usable address; the guard page ends here.
    pub(crate) fn lo(&self) -> usize {
        self.lo
    }

    /// One past the highest usable byte: the initial stack pointer. Page aligned, so
    /// also 16-byte aligned as the x86-64 and AArch64 ABIs want.
    pub(crate) fn hi(&self) -> usize {
        self.hi
    }

    /// The usable size in bytes, `hi - lo`.
    pub(crate) fn size(&self) -> usize {
        self.hi - self.lo
    }
}

/// Rounds a requested size up to a whole number of pages, at least [`MIN_STACK_SIZE`].
///
/// A request so large that rounding would overflow comes back as the largest page
/// multiple, which [`stackalloc`] then fails to reserve.
pub(crate) fn round_stack_size(size: usize) -> usize {
    let page = page_size();
    size.max(MIN_STACK_SIZE)
        .checked_next_multiple_of(page)
        .unwrap_or(usize::MAX & !(page - 1))
}

// ANCHOR: stackalloc
/// Takes a stack of exactly `size` bytes (already rounded) from the process-wide pool for
/// that size, reserving a new chunk when the pool is empty.
///
/// Fails with `InvalidInput` if `size` is not what [`round_stack_size`] returns, and with
/// the kernel's error (normally `ENOMEM`) if the address space or, under the `mprotect`
/// fallback, `vm.max_map_count` is exhausted.
pub(crate) fn stackalloc(size: usize) -> io::Result<Stack> {
    let page = page_size();
    if size < MIN_STACK_SIZE || !size.is_multiple_of(page) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("runtime: stackalloc of {size} bytes, not a size round_stack_size returns"),
        ));
    }
    let Some(slot) = size.checked_add(page) else {
        return Err(io::Error::from(io::ErrorKind::OutOfMemory));
    };

    let mut pools = STACK_POOL.lock();
    let i = pools.class_index(size);
    // Warm stacks first: their touched pages are still there, so the new
    // goroutine takes no page faults.
    if let Some(lo) = pools.classes[i].pop_dirty() {
        return Ok(Stack { lo, hi: lo + size });
    }
    if let Some(lo) = pools.classes[i].free.pop() {
        return Ok(Stack { lo, hi: lo + size });
    }
    if pools.classes[i].fresh == pools.classes[i].fresh_end {
        pools.reserve_chunk(i, slot, page)?;
    }
    let pool = &mut pools.classes[i];
    // First use of this slot: put its guard in place before handing it out. The bump
    // pointer moves only once that worked, so a failed guard leaves no unguarded slot
    // behind.
    let base = pool.fresh;
    // SAFETY: `base` is the guard page of a slot in a chunk we reserved; the slot has
    // never been handed out, and no `Stack` ever covers a guard page, so nothing uses
    // that page.
    unsafe { install_guard_page(base) }?;
    pool.fresh += slot;
    Ok(Stack {
        lo: base + page,
        hi: base + slot,
    })
}
// ANCHOR_END: stackalloc

// ANCHOR: stackfree
/// Gives a stack back to the process-wide pool, warm: its pages stay until the
/// scavenger ([`scavenge_if_due`]) finds it unused for a whole period, or
/// [`free_os_memory`] asks for everything back.
pub(crate) fn stackfree(s: Stack) {
    debug_assert!(
        reservation_of(s.lo() - 1).is_some_and(|r| {
            r.slot == s.size() + r.guard && (s.lo() - r.guard - r.base).is_multiple_of(r.slot)
        }),
        "runtime: stackfree of a stack that stackalloc did not return: {s:?}",
    );
    let size = s.size();
    let mut pools = STACK_POOL.lock();
    let i = pools.class_index(size);
    pools.classes[i].dirty.push(s.lo());
}
// ANCHOR_END: stackfree

/// [`stackfree`] for many stacks of one size, under one lock; the last one given
/// is the first handed out again.
fn stackfree_batch(stacks: impl Iterator<Item = Stack>) {
    let mut stacks = stacks.peekable();
    let Some(size) = stacks.peek().map(Stack::size) else {
        return;
    };
    let mut pools = STACK_POOL.lock();
    let i = pools.class_index(size);
    let dirty = &mut pools.classes[i].dirty;
    for s in stacks {
        debug_assert_eq!(s.size(), size, "runtime: stackfree_batch of mixed sizes");
        dirty.push(s.lo());
    }
}

// ANCHOR: stackalloc_batch
/// Appends between 1 and `n` stacks of `size` (already rounded) to `out`, under one
/// pool lock: warm ones first (the last one in `out` is the warmest), then released
/// ones, and if the pool has fewer than one, fresh slots of the newest chunk (a new
/// chunk if it is used up). Fresh slots get their guards in one `process_madvise`
/// call and the top page of each stack (the one a new goroutine writes first) faulted
/// in with another, where the kernel can ([`batch_advice`]); then at least
/// [`FRESH_BATCH`] are prepared and those beyond `n` go to the warm list. Elsewhere
/// one `madvise` or `mprotect` per guard. Fails as [`stackalloc`] does, having
/// appended nothing.
fn stackalloc_batch(size: usize, n: usize, out: &mut Vec<Stack>) -> io::Result<()> {
    let page = page_size();
    if size < MIN_STACK_SIZE || !size.is_multiple_of(page) || n == 0 {
        // Let stackalloc report the bad size.
        out.push(stackalloc(size)?);
        return Ok(());
    }
    let Some(slot) = size.checked_add(page) else {
        return Err(io::Error::from(io::ErrorKind::OutOfMemory));
    };
    let fresh = {
        let mut pools = STACK_POOL.lock();
        let i = pools.class_index(size);
        let pool = &mut pools.classes[i];
        let start = out.len();
        let from_dirty = pool.dirty.len().min(n);
        let from_free = pool.free.len().min(n - from_dirty);
        // Released ones below warm ones, and the newest warm one last, so that
        // the warmest are popped first.
        let free_from = pool.free.len() - from_free;
        out.extend(
            pool.free
                .drain(free_from..)
                .map(|lo| Stack { lo, hi: lo + size }),
        );
        for _ in 0..from_dirty {
            let lo = pool.pop_dirty().expect("counted above");
            out.push(Stack { lo, hi: lo + size });
        }
        out[start + from_free..].reverse();
        if out.len() > start {
            return Ok(());
        }
        if pool.fresh == pool.fresh_end {
            pools.reserve_chunk(i, slot, page)?;
        }
        let pool = &mut pools.classes[i];
        // More than asked for where batching works: the syscalls, and the kernel's
        // per-call work (draining its LRU batches), are paid per batch; the extra
        // stacks go to the warm list below.
        let want = if batch_advice() {
            n.max(FRESH_BATCH)
        } else {
            n
        };
        let k = ((pool.fresh_end - pool.fresh) / slot).min(want);
        let bases: Vec<usize> = (0..k).map(|j| pool.fresh + j * slot).collect();
        // First use of these slots: guards in place before they are handed out; the
        // bump pointer moves past the slots whose guard is in place only.
        //
        // SAFETY: every base is the guard page of a never handed out slot of a chunk
        // we reserved; no `Stack` covers a guard page, so nothing uses those pages.
        let (guarded, err) = unsafe { install_guard_pages(&bases) };
        pool.fresh += guarded * slot;
        if let (0, Some(e)) = (guarded, err) {
            return Err(e);
        }
        bases[..guarded]
            .iter()
            .map(|&b| Stack {
                lo: b + page,
                hi: b + slot,
            })
            .collect::<Vec<Stack>>()
    };
    // Outside the lock: faulting pages in is the slow part.
    prefault_tops(&fresh);
    let mut fresh = fresh.into_iter();
    out.extend(fresh.by_ref().take(n));
    // The rest wait in the warm list (pages touched), to the first taker; the
    // scavenger releases them if nobody needs them for a period.
    stackfree_batch(fresh);
    Ok(())
}
// ANCHOR_END: stackalloc_batch

/// When the scavenger last ran ([`nanotime`](crate::time::nanotime)), 0
/// before its first run. Relaxed: only the compare-exchange in
/// [`scavenge_if_due`] acts on it, to let one caller per period through (a
/// stale read costs one failed exchange); what it elects to do is under the
/// pool lock.
static LAST_SCAVENGE: AtomicI64 = AtomicI64::new(0);

// ANCHOR: scavenge
/// Go's background scavenger, for stacks: called by every runtime's sysmon on
/// each tick, with the time; at most once per [`SCAVENGE_PERIOD_NS`] (across
/// all runtimes of the process, as the pool is process-wide) it releases the
/// warm stacks that nobody needed during the last period (see [`scavenge`]).
pub(crate) fn scavenge_if_due(now: i64) {
    let last = LAST_SCAVENGE.load(Ordering::Relaxed);
    if last != 0 && now - last < SCAVENGE_PERIOD_NS {
        return;
    }
    if LAST_SCAVENGE
        .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
        .is_ok()
        && last != 0
    {
        scavenge(false);
    }
}

/// Releases the pages of warm free stacks and moves them to the free lists:
/// all of them if `all`, else, per size, as many of the oldest as the warm
/// list never dipped below since the previous call (its low-water mark):
/// stacks that stayed unused for the whole period. So the pool keeps what
/// the last period's peak demand took, and an idle program gets its memory
/// back within two periods.
fn scavenge(all: bool) {
    let batches: Vec<(usize, Vec<usize>)> = {
        let mut pools = STACK_POOL.lock();
        pools
            .classes
            .iter_mut()
            .filter_map(|pool| {
                let batch = pool.take_unused(all);
                (!batch.is_empty()).then_some((pool.size, batch))
            })
            .collect()
    };
    for (size, batch) in batches {
        let batch = release_pages(batch, size);
        let mut pools = STACK_POOL.lock();
        let i = pools.class_index(size);
        pools.classes[i].free.extend(batch);
    }
}
// ANCHOR_END: scavenge

/// Gives the pages of every free stack in the process-wide pool back to the
/// kernel now, as Go's `runtime/debug.FreeOSMemory` does for its heap. The
/// stacks of running goroutines and the few kept in each P's stack cache
/// are not touched. Mostly for tests that measure the resident set: without
/// it, the pages of stacks freed less than a scavenger period or two ago
/// still count (see the module doc).
#[doc(alias = "FreeOSMemory")]
pub fn free_os_memory() {
    scavenge(true);
}

/// Gives the pages of free stacks (given by `lo`, all of `size` usable bytes)
/// back to the kernel with `MADV_FREE` (reclaimed when the kernel needs the
/// memory; a write before that keeps the page without a fault), or
/// `MADV_DONTNEED` where `MADV_FREE` is refused; one call per run of
/// neighbouring slots: fewer calls means fewer TLB shoot-downs, which dominate
/// the cost when other threads of the process run meanwhile. A run's range
/// covers the guard pages between its stacks; guard markers (and the mprotect
/// fallback's PROT_NONE pages) survive both, which the tests check.
fn release_pages(mut los: Vec<usize>, size: usize) -> Vec<usize> {
    los.sort_unstable();
    let slot = size + page_size();
    let mut i = 0;
    while i < los.len() {
        let start = los[i];
        let mut end = start + size;
        let mut j = i + 1;
        while j < los.len() && los[j] == end + page_size() {
            end = los[j] + size;
            j += 1;
        }
        debug_assert_eq!(end - start, (j - i) * slot - page_size());
        // SAFETY: `[start, end)` lies inside one chunk we mapped and never unmap:
        // the usable pages of the stacks `los[i..j]`, which were passed to
        // `stackfree` by value (nobody holds them; references into them could
        // only come from unsafe code, done with them by `Stack`'s contract), and
        // the guard pages between them, which hold no memory. MADV_FREE on
        // private anonymous memory lets the kernel swap the pages for zero pages
        // whenever it likes; MADV_DONTNEED does it at once. Either way the stack
        // stays usable, and its next owner writes before it reads.
        let released = unsafe { madvise_release(start, end - start) };
        if let Err(e) = released {
            // Only possible for locked memory (mlockall); the stacks stay usable.
            tracing::warn!(error = %e, start, end, "runtime: could not release free stacks' pages");
        }
        i = j;
    }
    los
}

// ANCHOR: stackcache
/// A per-P cache of stacks (Go's `p.mcache` stack cache). Owned by one P; no locking
/// inside.
///
/// Cached stacks keep their pages, so a goroutine that starts on one does not fault its
/// stack in again; the price is up to [`STACK_CACHE_MAX`] stacks of resident memory per
/// size per P.
#[doc(alias = "stackcache")]
#[derive(Debug, Default)]
pub(crate) struct StackCache {
    /// One entry per stack size this P has used: `(size, stacks of that size)`.
    /// Programs use few sizes, so a linear scan beats a map.
    classes: Vec<(usize, Vec<Stack>)>,
}

impl StackCache {
    /// An empty cache.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Pops a cached stack of `size` (the one put last) if it has one, else refills
    /// with [`STACK_CACHE_BATCH`] stacks from the pool ([`stackalloc_batch`], Go's
    /// `stackcacherefill`) and pops one of those.
    ///
    /// Also starts loading the top of the stack the next call will hand out: a
    /// goroutine's first frame is written there (`gostartcall`), and in a burst of
    /// spawns that is one cache and TLB miss per goroutine, on a page nobody has
    /// touched since the stack was last freed; begun now, it overlaps with the rest
    /// of this spawn.
    pub(crate) fn get(&mut self, size: usize) -> io::Result<Stack> {
        let stacks = self.class(size);
        let s = match stacks.pop() {
            Some(s) => s,
            None => {
                stackalloc_batch(size, STACK_CACHE_BATCH, stacks)?;
                stacks
                    .pop()
                    .expect("stackalloc_batch hands out at least one stack")
            }
        };
        if let Some(next) = stacks.last() {
            prefetch_write(next.hi() - 64);
            prefetch_write(next.hi() - 128);
        }
        Ok(s)
    }

    /// Keeps the stack; if the cache then holds more than [`STACK_CACHE_MAX`] stacks
    /// of that size, the oldest [`STACK_CACHE_BATCH`] go back to the pool's warm list
    /// under one lock (Go's `stackcacherelease`).
    pub(crate) fn put(&mut self, s: Stack) {
        let stacks = self.class(s.size());
        stacks.push(s);
        if stacks.len() > STACK_CACHE_MAX {
            stackfree_batch(stacks.drain(..STACK_CACHE_BATCH));
        }
    }

    /// The cached stacks of `size`, an empty list made on first use.
    fn class(&mut self, size: usize) -> &mut Vec<Stack> {
        let i = match self.classes.iter().position(|(sz, _)| *sz == size) {
            Some(i) => i,
            None => {
                self.classes.push((size, Vec::new()));
                self.classes.len() - 1
            }
        };
        &mut self.classes[i].1
    }
}
// ANCHOR_END: stackcache

impl Drop for StackCache {
    #[doc(alias = "stackcache_clear")]
    fn drop(&mut self) {
        for (_, stacks) in self.classes.drain(..) {
            stacks.into_iter().for_each(stackfree);
        }
    }
}

/// Asks the CPU to start loading the cache line at `addr`, to be written (no effect
/// where there is no such instruction). A hint: it never faults, whatever `addr` is.
#[inline(always)]
fn prefetch_write(addr: usize) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch only hints the cache: it never faults and has no
    // architectural effect, whether or not `addr` is mapped. SSE is baseline on
    // x86-64 (`_MM_HINT_ET0` needs PREFETCHW, which is not, so T0 it is).
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(addr as *const i8)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = addr;
}

/// How this process makes guard pages inaccessible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GuardKind {
    /// `madvise(MADV_GUARD_INSTALL)` (Linux 6.13+): no extra VMA per stack.
    Madvise,
    /// `mprotect(PROT_NONE)`: two extra VMAs per stack; about 32k stacks under the
    /// default `vm.max_map_count`.
    Mprotect,
}

/// The process's guard mechanism, as a [`GuardKind`] code. Moves once from `UNPROBED` to
/// one of the others and never changes again, so every guard in the process is of one
/// kind.
static GUARD_KIND: AtomicU8 = AtomicU8::new(GUARD_UNPROBED);
const GUARD_UNPROBED: u8 = 0;
const GUARD_MADVISE: u8 = 1;
const GUARD_MPROTECT: u8 = 2;

// ANCHOR: guard_kind
/// Which guard mechanism this process uses: probed once (first call) by trying
/// `MADV_GUARD_INSTALL` on a scratch mapping; `EINVAL` (kernel < 6.13) => `Mprotect`.
pub(crate) fn guard_kind() -> GuardKind {
    // Relaxed suffices: the byte is the whole message (it publishes no other memory),
    // and the single UNPROBED -> kind transition below is a compare-exchange, so every
    // thread ends up with the same value.
    let code = match GUARD_KIND.load(Ordering::Relaxed) {
        GUARD_UNPROBED => {
            let (kind, why) = probe_guard_kind();
            if let Some(why) = why {
                tracing::debug!(reason = %why, "runtime: MADV_GUARD_INSTALL unusable, stack guards use mprotect");
            }
            let code = match kind {
                GuardKind::Madvise => GUARD_MADVISE,
                GuardKind::Mprotect => GUARD_MPROTECT,
            };
            match GUARD_KIND.compare_exchange(
                GUARD_UNPROBED,
                code,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => code,
                Err(won) => won,
            }
        }
        code => code,
    };
    match code {
        GUARD_MADVISE => GuardKind::Madvise,
        _ => GuardKind::Mprotect,
    }
}

/// Tries `MADV_GUARD_INSTALL` on a scratch mapping and checks that the page really became
/// inaccessible (a sandbox could accept an unknown advice and do nothing). Returns the
/// kind to use and, for `Mprotect`, why.
fn probe_guard_kind() -> (GuardKind, Option<io::Error>) {
    let page = page_size();
    // SAFETY: a fresh anonymous mapping at an address of the kernel's choosing aliases
    // nothing.
    let scratch = match unsafe {
        mm::mmap_anonymous(
            ptr::null_mut(),
            2 * page,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::PRIVATE,
        )
    } {
        Ok(p) => p,
        Err(e) => return (GuardKind::Mprotect, Some(e.into())),
    };
    // SAFETY: the first page of the scratch mapping above, which nothing uses.
    let result = match unsafe { madvise_guard_install(scratch as usize, page) } {
        Err(e) => (GuardKind::Mprotect, Some(e)),
        Ok(()) => match is_readable(scratch as usize) {
            Ok(false) => (GuardKind::Madvise, None),
            Ok(true) => (
                GuardKind::Mprotect,
                Some(io::Error::other(
                    "MADV_GUARD_INSTALL succeeded but the page stayed readable",
                )),
            ),
            // Cannot check (no memfd in this sandbox): trust the kernel's answer.
            Err(_) => (GuardKind::Madvise, None),
        },
    };
    // SAFETY: `scratch` is the mapping made above, of that length, and nothing refers
    // to it any more.
    if let Err(e) = unsafe { mm::munmap(scratch, 2 * page) } {
        tracing::warn!(error = %e, "runtime: could not unmap the guard probe page");
    }
    result
}
// ANCHOR_END: guard_kind

/// Tells whether the byte at `addr` can be read, without touching it from user space:
/// a `write(2)` from it into a memfd fails with `EFAULT` if the kernel cannot read it.
fn is_readable(addr: usize) -> io::Result<bool> {
    let fd = rustix::fs::memfd_create("gort-guard-probe", rustix::fs::MemfdFlags::CLOEXEC)?;
    // libc rather than rustix: rustix's write takes a `&[u8]`, and a reference to
    // memory that may be inaccessible is not allowed to exist.
    //
    // SAFETY: the kernel only reads one byte at `addr` and reports EFAULT if it cannot;
    // no Rust reference to that byte is made. `fd` is open for the call.
    let n = unsafe { libc::write(fd.as_raw_fd(), addr as *const c_void, 1) };
    match n {
        1 => Ok(true),
        _ => {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EFAULT) {
                Ok(false)
            } else {
                Err(e)
            }
        }
    }
}

// ANCHOR: install_guard_page
/// Makes the page at `addr` inaccessible with this process's [`guard_kind`]: any access
/// to it then raises `SIGSEGV`. Also used for the alternate signal stack's guard.
///
/// # Safety
///
/// `addr` must be page aligned, and the page `[addr, addr + page)` must belong to a
/// private anonymous mapping owned by the caller whose contents nothing uses (no
/// reference to it exists and no code reads or writes it afterwards).
pub(crate) unsafe fn install_guard_page(addr: usize) -> io::Result<()> {
    let page = page_size();
    match guard_kind() {
        // SAFETY: forwarded from our caller.
        GuardKind::Madvise => unsafe { madvise_guard_install(addr, page) },
        GuardKind::Mprotect => {
            // SAFETY: the caller owns the page and nothing uses it, so making it
            // inaccessible invalidates no reference.
            let r = unsafe { mm::mprotect(addr as *mut c_void, page, MprotectFlags::empty()) };
            r.map_err(|e| {
                io::Error::new(
                    io::Error::from(e).kind(),
                    format!(
                        "runtime: cannot install a stack guard page with mprotect ({e}); \
                         each guard costs two VMAs, see vm.max_map_count"
                    ),
                )
            })
        }
    }
}

/// Whether `MADV_FREE` was refused once (`EINVAL`: a kernel before 4.5), so
/// [`madvise_release`] uses `MADV_DONTNEED`. Relaxed: a stale `false` costs
/// one more refused call.
static NO_MADV_FREE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Releases the pages of `[addr, addr + len)`: `MADV_FREE`, or `MADV_DONTNEED`
/// where the kernel has no `MADV_FREE`.
///
/// # Safety
///
/// The range must be private anonymous memory whose contents nobody needs.
unsafe fn madvise_release(addr: usize, len: usize) -> io::Result<()> {
    use std::sync::atomic::Ordering::Relaxed;
    if !NO_MADV_FREE.load(Relaxed) {
        // SAFETY: the caller's contract.
        match unsafe { mm::madvise(addr as *mut c_void, len, Advice::LinuxFree) } {
            Err(e) if e == rustix::io::Errno::INVAL => NO_MADV_FREE.store(true, Relaxed),
            other => return other.map_err(io::Error::from),
        }
    }
    // SAFETY: the caller's contract.
    unsafe { mm::madvise(addr as *mut c_void, len, Advice::LinuxDontNeed) }.map_err(io::Error::from)
}

/// `madvise(addr, len, MADV_GUARD_INSTALL)`; rustix has no `Advice` for it.
///
/// # Safety
///
/// As for [`install_guard_page`], for every page of `[addr, addr + len)`.
unsafe fn madvise_guard_install(addr: usize, len: usize) -> io::Result<()> {
    loop {
        // SAFETY: our caller owns the range and nothing uses its contents; installing
        // guards only makes those pages fault on access (and discards their contents).
        let r = unsafe { libc::madvise(addr as *mut c_void, len, MADV_GUARD_INSTALL) };
        if r == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        // The kernel may give up with EINTR (or EAGAIN) when it has to retry.
        if !matches!(e.raw_os_error(), Some(libc::EINTR | libc::EAGAIN)) {
            return Err(e);
        }
    }
}
// ANCHOR_END: install_guard_page

/// Whether `process_madvise` can advise many ranges of this process in one call
/// ([`batch_advice`]), as a code: moves once from `BATCH_UNPROBED` to one of the
/// others. Relaxed, as [`GUARD_KIND`]: the byte is the whole message.
static BATCH_ADVICE: AtomicU8 = AtomicU8::new(BATCH_UNPROBED);
const BATCH_UNPROBED: u8 = 0;
const BATCH_YES: u8 = 1;
const BATCH_NO: u8 = 2;

/// Most ranges one `process_madvise` call takes (`UIO_MAXIOV`).
const IOV_MAX: usize = 1024;

// ANCHOR: batch_advice
/// Whether guards and page faults of fresh slots can be batched: the guards are
/// `MADV_GUARD_INSTALL` ones ([`guard_kind`]), and `process_madvise` on the calling
/// thread (`PIDFD_SELF_THREAD`, Linux 6.14; any advice on one's own process since
/// 6.13) takes `MADV_GUARD_INSTALL` and `MADV_POPULATE_WRITE`. Probed once, on a
/// scratch mapping, checking the effects: a kernel or sandbox that refuses
/// (`EINVAL`, `EBADF`, `ENOSYS`, `EPERM`, ...) or ignores the call gets one
/// `madvise` per guard and a page fault per stack instead.
fn batch_advice() -> bool {
    // Relaxed: see BATCH_ADVICE.
    match BATCH_ADVICE.load(Ordering::Relaxed) {
        BATCH_YES => true,
        BATCH_NO => false,
        _ => {
            let yes = guard_kind() == GuardKind::Madvise && probe_batch_advice();
            let code = if yes { BATCH_YES } else { BATCH_NO };
            // Relaxed: see BATCH_ADVICE; whoever wins, every thread ends with it.
            match BATCH_ADVICE.compare_exchange(
                BATCH_UNPROBED,
                code,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => yes,
                Err(won) => won == BATCH_YES,
            }
        }
    }
}

/// Tries both advices through `process_madvise` on a scratch mapping of two pages:
/// a guard on the first, a populated second.
fn probe_batch_advice() -> bool {
    let page = page_size();
    // SAFETY: a fresh anonymous mapping at an address of the kernel's choosing aliases
    // nothing.
    let Ok(scratch) = (unsafe {
        mm::mmap_anonymous(
            ptr::null_mut(),
            2 * page,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::PRIVATE,
        )
    }) else {
        return false;
    };
    let scratch = scratch as usize;
    // SAFETY: both pages belong to the scratch mapping above, which nothing uses.
    let ok = unsafe {
        process_madvise_self(&[scratch], page, MADV_GUARD_INSTALL).is_ok_and(|n| n == 1)
            && process_madvise_self(&[scratch + page], page, MADV_POPULATE_WRITE)
                .is_ok_and(|n| n == 1)
    } && is_readable(scratch).is_ok_and(|r| !r)
        && resident(scratch + page);
    // SAFETY: the mapping made above, of that length; nothing refers to it any more.
    if let Err(e) = unsafe { mm::munmap(scratch as *mut c_void, 2 * page) } {
        tracing::warn!(error = %e, "runtime: could not unmap the process_madvise probe");
    }
    if !ok {
        tracing::debug!("runtime: process_madvise unusable, one madvise per stack guard");
    }
    ok
}

/// Whether the page at `addr` (page aligned, mapped) is resident, by `mincore(2)`.
fn resident(addr: usize) -> bool {
    let mut v = 0u8;
    // SAFETY: one page of a mapping of ours, and one byte to report it in.
    let r = unsafe { libc::mincore(addr as *mut c_void, page_size(), &mut v) };
    r == 0 && v & 1 != 0
}
// ANCHOR_END: batch_advice

/// `process_madvise(PIDFD_SELF_THREAD, iov, advice, 0)` with one `len`-byte range
/// at each of `addrs` (at most [`IOV_MAX`]); returns how many ranges, from the
/// front, were advised (the kernel stops at the first failure and reports the
/// bytes done before it, or the error if none).
///
/// # Safety
///
/// As `madvise(advice)` on each range: for `MADV_GUARD_INSTALL`, the contract of
/// [`install_guard_page`] for each page.
unsafe fn process_madvise_self(
    addrs: &[usize],
    len: usize,
    advice: libc::c_int,
) -> io::Result<usize> {
    debug_assert!(addrs.len() <= IOV_MAX);
    let iov: Vec<libc::iovec> = addrs
        .iter()
        .map(|&a| libc::iovec {
            iov_base: a as *mut c_void,
            iov_len: len,
        })
        .collect();
    loop {
        // SAFETY: `iov` is a valid array of `iov.len()` iovecs for the call; the
        // kernel only reads it. What the advice does to the ranges is our caller's
        // contract. rustix has no process_madvise, hence the raw syscall.
        let r = unsafe {
            libc::syscall(
                libc::SYS_process_madvise,
                PIDFD_SELF_THREAD,
                iov.as_ptr(),
                iov.len(),
                advice,
                0u32,
            )
        };
        if r >= 0 {
            return Ok(r as usize / len);
        }
        let e = io::Error::last_os_error();
        if !matches!(e.raw_os_error(), Some(libc::EINTR | libc::EAGAIN)) {
            return Err(e);
        }
    }
}

/// Installs a guard page (see [`install_guard_page`]) at each of `bases`, in one
/// `process_madvise` call per [`IOV_MAX`] where [`batch_advice`] allows, else one
/// call each. Returns how many, from the front, are in place, and the error that
/// stopped it before the end.
///
/// # Safety
///
/// The contract of [`install_guard_page`], for each page.
unsafe fn install_guard_pages(bases: &[usize]) -> (usize, Option<io::Error>) {
    // SAFETY: forwarded from our caller.
    unsafe { install_guard_pages_with(bases, batch_advice()) }
}

/// [`install_guard_pages`], batched or not as `batch` says (tests try both).
///
/// # Safety
///
/// As for [`install_guard_pages`].
unsafe fn install_guard_pages_with(bases: &[usize], batch: bool) -> (usize, Option<io::Error>) {
    let page = page_size();
    let mut done = 0;
    if batch {
        for part in bases.chunks(IOV_MAX) {
            // SAFETY: forwarded from our caller.
            match unsafe { process_madvise_self(part, page, MADV_GUARD_INSTALL) } {
                Ok(n) => {
                    done += n;
                    if n < part.len() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    }
    // The rest (all of them without batching) one by one, which also finds the
    // error that stopped a batch.
    for &b in &bases[done..] {
        // SAFETY: forwarded from our caller.
        if let Err(e) = unsafe { install_guard_page(b) } {
            return (done, Some(e));
        }
        done += 1;
    }
    (done, None)
}

/// Faults in the top page of each of `stacks`, fresh from the chunk, with one
/// `process_madvise(MADV_POPULATE_WRITE)` per [`IOV_MAX`] stacks where
/// [`batch_advice`] allows (else they fault when first written, as before): one
/// syscall instead of a page fault per goroutine. Advisory: failures are ignored.
fn prefault_tops(stacks: &[Stack]) {
    if stacks.is_empty() || !batch_advice() {
        return;
    }
    let page = page_size();
    let tops: Vec<usize> = stacks.iter().map(|s| s.hi() - page).collect();
    for part in tops.chunks(IOV_MAX) {
        // SAFETY: each range is the top page of a usable stack we own (handed out by
        // the pool to our caller, not yet in use); populating a private anonymous
        // page changes no contents a reader could rely on (it reads as zeros either way).
        let _ = unsafe { process_madvise_self(part, page, MADV_POPULATE_WRITE) };
    }
}

/// Async-signal-safe: if `addr` lies in the guard page of any gort stack, returns
/// `Some(usable stack size of that stack)`; no locks, no allocation.
///
/// Slots of a chunk that have not been handed out yet have no guard installed, but as
/// nothing runs on them no fault can come from there.
pub(crate) fn guard_page_stack_size(addr: usize) -> Option<usize> {
    let r = reservation_of(addr)?;
    ((addr - r.base) % r.slot < r.guard).then_some(r.slot - r.guard)
}

/// One published chunk, as read back from [`RESERVATIONS`].
#[derive(Debug, Clone, Copy)]
struct Chunk {
    base: usize,
    len: usize,
    slot: usize,
    guard: usize,
}

/// One entry of the reservation table. Written once, before the entry is published
/// through [`NRESERVATIONS`], and never again (chunks are never unmapped).
struct Reservation {
    base: AtomicUsize,
    len: AtomicUsize,
    /// Guard plus usable size of each slot.
    slot: AtomicUsize,
    /// Guard size (the page size) at the low end of each slot.
    guard: AtomicUsize,
}

/// Every chunk ever reserved. Entries `[0, NRESERVATIONS)` are valid.
static RESERVATIONS: [Reservation; MAX_RESERVATIONS] = [const {
    Reservation {
        base: AtomicUsize::new(0),
        len: AtomicUsize::new(0),
        slot: AtomicUsize::new(0),
        guard: AtomicUsize::new(0),
    }
}; MAX_RESERVATIONS];

/// Number of published entries of [`RESERVATIONS`]. Only [`publish_chunk`] stores it,
/// with the [`STACK_POOL`] lock held, so there is one writer at a time; the entry is
/// filled before the Release store that makes it visible, which the Acquire load in
/// [`reservation_of`] pairs with.
static NRESERVATIONS: AtomicUsize = AtomicUsize::new(0);

/// Finds the published chunk containing `addr`. Lock-free and allocation-free, for the
/// signal handler.
fn reservation_of(addr: usize) -> Option<Chunk> {
    // Acquire pairs with the Release store in `publish_chunk`: every entry below `n`
    // was completely written before `n` was, so the Relaxed field loads see it.
    let n = NRESERVATIONS.load(Ordering::Acquire).min(MAX_RESERVATIONS);
    RESERVATIONS[..n].iter().find_map(|r| {
        let c = Chunk {
            base: r.base.load(Ordering::Relaxed),
            len: r.len.load(Ordering::Relaxed),
            slot: r.slot.load(Ordering::Relaxed),
            guard: r.guard.load(Ordering::Relaxed),
        };
        (addr.wrapping_sub(c.base) < c.len).then_some(c)
    })
}

/// Appends a chunk to the reservation table. Only [`Pools::reserve_chunk`] calls it, with
/// the [`STACK_POOL`] lock held (its `&mut Pools` is the proof), so there is one writer;
/// it has checked there is room.
fn publish_chunk(_locked: &mut Pools, c: Chunk) {
    // Relaxed: we are the only writer (see NRESERVATIONS).
    let n = NRESERVATIONS.load(Ordering::Relaxed);
    let r = &RESERVATIONS[n];
    r.base.store(c.base, Ordering::Relaxed);
    r.len.store(c.len, Ordering::Relaxed);
    r.slot.store(c.slot, Ordering::Relaxed);
    r.guard.store(c.guard, Ordering::Relaxed);
    // Release: publishes the four stores above to `reservation_of`'s Acquire load.
    NRESERVATIONS.store(n + 1, Ordering::Release);
}

/// The process-wide free stacks, per size, and the chunks they come from.
#[doc(alias = "stackpool")]
static STACK_POOL: Mutex<Pools> = Mutex::new(Pools {
    classes: Vec::new(),
});

/// Everything [`STACK_POOL`] guards.
struct Pools {
    /// One entry per stack size ever allocated; few, so a linear scan.
    classes: Vec<Pool>,
}

/// The stacks of one usable size.
struct Pool {
    /// Usable bytes per stack.
    size: usize,
    /// `lo` of each free stack: guard in place, pages released.
    free: Vec<usize>,
    /// `lo` of each free stack whose pages were not released yet (warm),
    /// oldest first; handed out newest first, before `free` ones. Unbounded:
    /// the scavenger trims it to recent demand.
    dirty: Vec<usize>,
    /// The shortest `dirty` has been since the scavenger last looked: that
    /// many of its oldest stacks were not needed all period.
    low_water: usize,
    /// Base of the next never-used slot in the newest chunk; `fresh == fresh_end`
    /// when that chunk is used up (or there is none yet).
    fresh: usize,
    /// End of the newest chunk.
    fresh_end: usize,
    /// How many chunks this size has reserved; sets the next chunk's size.
    chunks: u32,
}

impl Pool {
    /// Takes the newest warm stack, keeping the low-water mark.
    fn pop_dirty(&mut self) -> Option<usize> {
        let lo = self.dirty.pop()?;
        self.low_water = self.low_water.min(self.dirty.len());
        Some(lo)
    }

    /// Takes out of `dirty` the stacks a scavenge releases (all of them if
    /// `all`, else the low-water mark's worth of the oldest) and starts the
    /// next period's low-water mark.
    fn take_unused(&mut self, all: bool) -> Vec<usize> {
        let n = if all {
            self.dirty.len()
        } else {
            self.low_water.min(self.dirty.len())
        };
        // The oldest are at the front; the newest, likelier in cache, stay.
        let batch: Vec<usize> = self.dirty.drain(..n).collect();
        self.low_water = self.dirty.len();
        batch
    }
}

impl Pools {
    /// Index of the pool for `size` in `classes`, made on first use.
    fn class_index(&mut self, size: usize) -> usize {
        match self.classes.iter().position(|p| p.size == size) {
            Some(i) => i,
            None => {
                self.classes.push(Pool {
                    size,
                    free: Vec::new(),
                    dirty: Vec::new(),
                    low_water: 0,
                    fresh: 0,
                    fresh_end: 0,
                    chunks: 0,
                });
                self.classes.len() - 1
            }
        }
    }

    /// Reserves and publishes a new chunk of `slot`-byte slots (each starting with a
    /// `guard`-byte guard) and makes it the source of fresh slots for `classes[i]`.
    /// Runs under the pool lock, `mmap` included: chunks are rare.
    fn reserve_chunk(&mut self, i: usize, slot: usize, guard: usize) -> io::Result<()> {
        // The table is written only under the STACK_POOL lock, which `&mut self` shows
        // we hold, so this check cannot go stale before `publish_chunk`.
        if NRESERVATIONS.load(Ordering::Relaxed) >= MAX_RESERVATIONS {
            return Err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "runtime: stack reservation table is full",
            ));
        }
        let target = CHUNK_BYTES_MIN << self.classes[i].chunks.min(CHUNK_GROWTH_MAX_SHIFT);
        let mut nslots = (target / slot).max(CHUNK_MIN_SLOTS);
        let (base, len) = loop {
            let mapped = match nslots.checked_mul(slot) {
                // SAFETY: a fresh anonymous mapping at an address of the kernel's
                // choosing aliases nothing.
                Some(len) => unsafe {
                    mm::mmap_anonymous(
                        ptr::null_mut(),
                        len,
                        ProtFlags::READ | ProtFlags::WRITE,
                        MapFlags::PRIVATE | MapFlags::NORESERVE,
                    )
                }
                .map(|p| (p as usize, len)),
                None => Err(rustix::io::Errno::NOMEM),
            };
            match mapped {
                Ok(chunk) => break chunk,
                Err(rustix::io::Errno::NOMEM) if nslots > 1 => nslots /= 2,
                Err(e) => return Err(e.into()),
            }
        };
        // No transparent huge pages (see the module doc). Advisory: failure is ignored.
        //
        // SAFETY: the chunk was just mapped and nothing refers to it yet; the advice
        // changes no contents.
        let _ = unsafe { mm::madvise(base as *mut c_void, len, Advice::LinuxNoHugepage) };
        let c = Chunk {
            base,
            len,
            slot,
            guard,
        };
        publish_chunk(self, c);
        let pool = &mut self.classes[i];
        tracing::debug!(
            stack_size = pool.size,
            slots = nslots,
            len,
            "runtime: reserved a stack chunk"
        );
        pool.fresh = base;
        pool.fresh_end = base + len;
        pool.chunks += 1;
        Ok(())
    }
}

/// The page size, which is also the guard size.
fn page_size() -> usize {
    rustix::param::page_size()
}

/// Forces the guard mechanism before the first stack is allocated, so tests (in a child
/// process) can exercise the `mprotect` fallback on a kernel that has the new one.
#[cfg(test)]
pub(crate) fn force_guard_kind(kind: GuardKind) -> GuardKind {
    let code = match kind {
        GuardKind::Madvise => GUARD_MADVISE,
        GuardKind::Mprotect => GUARD_MPROTECT,
    };
    // Relaxed: see `guard_kind`.
    let _ = GUARD_KIND.compare_exchange(GUARD_UNPROBED, code, Ordering::Relaxed, Ordering::Relaxed);
    guard_kind()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A usable size no other test uses, so that tests running in parallel cannot take
    /// each other's stacks out of the shared pool.
    fn private_size(extra_pages: usize) -> usize {
        round_stack_size(MIN_STACK_SIZE + extra_pages * page_size())
    }

    #[test]
    fn round_stack_size_table() {
        let p = page_size();
        let top = usize::MAX & !(p - 1);
        let table = [
            (0, MIN_STACK_SIZE.next_multiple_of(p)),
            (1, MIN_STACK_SIZE.next_multiple_of(p)),
            (MIN_STACK_SIZE - 1, MIN_STACK_SIZE.next_multiple_of(p)),
            (MIN_STACK_SIZE, MIN_STACK_SIZE.next_multiple_of(p)),
            (64 * 1024 + 1, (64 * 1024 + 1usize).next_multiple_of(p)),
            (DEFAULT_STACK_SIZE - 1, DEFAULT_STACK_SIZE),
            (DEFAULT_STACK_SIZE, DEFAULT_STACK_SIZE),
            (DEFAULT_STACK_SIZE + 1, DEFAULT_STACK_SIZE + p),
            (8 << 20, 8 << 20),
            (top - 1, top),
            (top, top),
            (usize::MAX, top),
        ];
        for (req, want) in table {
            assert_eq!(round_stack_size(req), want, "round_stack_size({req})");
        }
        if p == 4096 {
            assert_eq!(round_stack_size(MIN_STACK_SIZE + 1), MIN_STACK_SIZE + 4096);
            assert_eq!(round_stack_size(100_000), 102_400);
        }
    }

    #[test]
    fn stackalloc_rejects_unrounded_sizes() {
        for bad in [0, MIN_STACK_SIZE - page_size(), DEFAULT_STACK_SIZE + 1] {
            let e = stackalloc(bad).expect_err("unrounded size accepted");
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "size {bad}: {e}");
        }
        let e = stackalloc(usize::MAX & !(page_size() - 1)).expect_err("huge stack reserved");
        assert_eq!(e.kind(), io::ErrorKind::OutOfMemory, "{e}");
    }

    #[test]
    fn stacks_are_aligned_disjoint_and_writable() {
        let p = page_size();
        for size in [MIN_STACK_SIZE, DEFAULT_STACK_SIZE, private_size(3)] {
            let stacks: Vec<Stack> = (0..40).map(|_| stackalloc(size).unwrap()).collect();
            for s in &stacks {
                assert_eq!(s.size(), size);
                assert_eq!(s.lo() % p, 0, "{s:?}");
                assert_eq!(s.hi() % p, 0, "{s:?}");
                assert_eq!(s.hi() % 16, 0, "{s:?}");
                assert_eq!(s.hi() - s.lo(), s.size());
            }
            let mut spans: Vec<(usize, usize)> =
                stacks.iter().map(|s| (s.lo() - p, s.hi())).collect();
            spans.sort_unstable();
            for w in spans.windows(2) {
                assert!(w[0].1 <= w[1].0, "stacks (with guards) overlap: {w:?}");
            }
            for (i, s) in stacks.iter().enumerate() {
                let tag = i as u8 ^ 0x5a;
                for addr in (s.lo()..s.hi()).step_by(p).chain([s.hi() - 1]) {
                    // SAFETY: `addr` is inside the usable range of a stack we own.
                    unsafe { ptr::write_volatile(addr as *mut u8, tag) };
                }
            }
            for (i, s) in stacks.iter().enumerate() {
                let tag = i as u8 ^ 0x5a;
                for addr in (s.lo()..s.hi()).step_by(p).chain([s.hi() - 1]) {
                    // SAFETY: as above; written just before.
                    assert_eq!(unsafe { ptr::read_volatile(addr as *const u8) }, tag);
                }
            }
            stacks.into_iter().for_each(stackfree);
        }
    }

    #[test]
    fn several_chunks_for_one_size() {
        // 4 MiB stacks: a 64 MiB first chunk holds 15, raised to CHUNK_MIN_SLOTS = 16,
        // so 40 stacks span at least two chunks. Nothing is touched: address space only.
        let size = 4 << 20;
        let stacks: Vec<Stack> = (0..40).map(|_| stackalloc(size).unwrap()).collect();
        for s in &stacks {
            assert_eq!(guard_page_stack_size(s.lo() - 1), Some(size));
            assert_eq!(guard_page_stack_size(s.lo()), None);
            assert_eq!(guard_page_stack_size(s.hi() - 1), None);
        }
        let mut los: Vec<usize> = stacks.iter().map(Stack::lo).collect();
        los.sort_unstable();
        los.dedup();
        assert_eq!(los.len(), stacks.len());
        stacks.into_iter().for_each(stackfree);
    }

    #[test]
    fn free_then_alloc_reuses() {
        let size = private_size(5);
        let a = stackalloc(size).unwrap();
        let b = stackalloc(size).unwrap();
        let (a_lo, b_lo) = (a.lo(), b.lo());
        // SAFETY: inside `b`'s usable range.
        unsafe { ptr::write_volatile((b.hi() - 8) as *mut u64, 0xdead_beef) };
        stackfree(a);
        stackfree(b);
        // The pool is LIFO, and a stack freed last comes back warm (its pages
        // stay until the scavenger finds it unused for a whole period).
        let c = stackalloc(size).unwrap();
        let d = stackalloc(size).unwrap();
        assert_eq!((c.lo(), d.lo()), (b_lo, a_lo));
        // SAFETY: inside `c`'s usable range.
        let top = unsafe { ptr::read_volatile((c.hi() - 8) as *const u64) };
        assert_eq!(top, 0xdead_beef);
        stackfree(c);
        stackfree(d);
        // No other test may release the pool meanwhile.
        let _serial = RELEASE_ALL.lock();
        // However many are freed, they stay warm...
        let more: Vec<Stack> = (0..1000).map(|_| stackalloc(size).unwrap()).collect();
        for s in &more {
            // SAFETY: inside the usable range of a stack we own.
            unsafe { ptr::write_volatile((s.hi() - 8) as *mut u64, 0xdead_beef) };
        }
        more.into_iter().for_each(stackfree);
        let (dirty, free) = pool_lists(size);
        assert!(
            dirty >= 1000,
            "only {dirty} of 1000 freed stacks stayed warm"
        );
        // ... until free_os_memory (or the scavenger) releases them: moved to the
        // free list (MADV_FREE'd, so their contents may or may not survive).
        free_os_memory();
        let (dirty_after, free_after) = pool_lists(size);
        assert!(
            free_after >= free + 1000 && dirty_after == 0,
            "free_os_memory: warm {dirty} -> {dirty_after}, released {free} -> {free_after}"
        );
        let released: Vec<Stack> = (0..1000).map(|_| stackalloc(size).unwrap()).collect();
        for s in &released {
            // SAFETY: inside the usable range of a stack we own: still usable.
            unsafe { ptr::write_volatile((s.hi() - 8) as *mut u64, 1) };
        }
        released.into_iter().for_each(stackfree);
    }

    /// Held by the tests that call `free_os_memory` or need warm stacks to
    /// stay warm.
    static RELEASE_ALL: Mutex<()> = Mutex::new(());

    /// `(warm, released)` free stacks of `size` in the pool.
    fn pool_lists(size: usize) -> (usize, usize) {
        let mut pools = STACK_POOL.lock();
        let i = pools.class_index(size);
        (pools.classes[i].dirty.len(), pools.classes[i].free.len())
    }

    #[test]
    fn scavenger_releases_only_what_a_period_left_unused() {
        let size = private_size(9);
        let stacks: Vec<Stack> = (0..100).map(|_| stackalloc(size).unwrap()).collect();
        stacks.into_iter().for_each(stackfree);
        let scavenge_one = || {
            // What `scavenge(false)` does, for this size only (so that tests
            // running in parallel keep their warm stacks), less the madvise.
            let mut pools = STACK_POOL.lock();
            let i = pools.class_index(size);
            let pool = &mut pools.classes[i];
            let batch = pool.take_unused(false);
            let n = batch.len();
            pool.free.extend(batch);
            n
        };
        // The pool was empty during this period: nothing stayed unused.
        assert_eq!(scavenge_one(), 0);
        // A period that needed 30 of the 100: the 70 it never touched go.
        let used: Vec<Stack> = (0..30).map(|_| stackalloc(size).unwrap()).collect();
        used.into_iter().for_each(stackfree);
        assert_eq!(scavenge_one(), 70);
        assert_eq!(pool_lists(size), (30, 70));
        // An idle period: the rest go.
        assert_eq!(scavenge_one(), 30);
        assert_eq!(pool_lists(size), (0, 100));
    }

    #[test]
    fn stack_cache_reuses_and_caps() {
        let size = private_size(7);
        let mut cache = StackCache::new();
        let s = cache.get(size).unwrap();
        let lo = s.lo();
        // SAFETY: inside `s`'s usable range.
        unsafe { ptr::write_volatile((s.hi() - 1) as *mut u8, 7) };
        cache.put(s);
        let s = cache.get(size).unwrap();
        assert_eq!(s.lo(), lo, "cache did not give back its stack");
        // SAFETY: as above. A cached stack keeps its contents (no MADV_DONTNEED).
        assert_eq!(unsafe { ptr::read_volatile((s.hi() - 1) as *const u8) }, 7);
        cache.put(s);

        // The first get refilled the cache with a batch from the pool.
        assert_eq!(cache.classes[0].1.len(), STACK_CACHE_BATCH);

        let extra: Vec<Stack> = (0..STACK_CACHE_MAX + 7)
            .map(|_| stackalloc(size).unwrap())
            .collect();
        let pooled_before = pooled(size);
        let cached_before = cache.classes[0].1.len();
        extra.into_iter().for_each(|s| cache.put(s));
        let cached = cache.classes[0].1.len();
        assert!(cached <= STACK_CACHE_MAX, "{cached} stacks cached");
        let given_back = pooled(size) - pooled_before;
        assert_eq!(
            cached + given_back,
            cached_before + STACK_CACHE_MAX + 7,
            "a stack was lost"
        );
        assert!(
            given_back > 0 && given_back.is_multiple_of(STACK_CACHE_BATCH),
            "overflow of the cache goes to the pool in batches: {given_back}"
        );
        drop(cache);
        assert_eq!(
            pooled(size),
            pooled_before + cached_before + STACK_CACHE_MAX + 7
        );
    }

    #[test]
    fn stack_cache_refill_from_fresh_slots_is_guarded_and_writable() {
        let size = private_size(11);
        let mut cache = StackCache::new();
        let stacks: Vec<Stack> = (0..3 * STACK_CACHE_BATCH + 1)
            .map(|_| cache.get(size).unwrap())
            .collect();
        for s in &stacks {
            assert!(!is_readable(s.lo() - 1).unwrap(), "no guard below {s:?}");
            assert_eq!(guard_page_stack_size(s.lo() - 1), Some(size));
            // SAFETY: both inside the usable range of a stack we own.
            unsafe {
                ptr::write_volatile((s.hi() - 8) as *mut u64, 1);
                ptr::write_volatile(s.lo() as *mut u8, 1);
            }
        }
        if batch_advice() {
            // The stacks still cached came in the last refill, from fresh slots:
            // their top pages were faulted in ahead.
            let c = &cache.classes[0].1;
            assert!(!c.is_empty());
            for s in c {
                assert_eq!(resident_pages(s.hi() - page_size(), s.hi()), 1, "{s:?}");
            }
        }
        stacks.into_iter().for_each(|s| cache.put(s));
    }

    #[test]
    fn guard_pages_installed_in_a_batch_or_one_by_one() {
        let p = page_size();
        for batch in [false, true] {
            if batch && !batch_advice() {
                eprintln!("process_madvise unusable here; batched guards not tried");
                continue;
            }
            // SAFETY: a fresh anonymous mapping aliases nothing.
            let base = unsafe {
                mm::mmap_anonymous(
                    ptr::null_mut(),
                    8 * p,
                    ProtFlags::READ | ProtFlags::WRITE,
                    MapFlags::PRIVATE,
                )
            }
            .unwrap() as usize;
            let bases = [base, base + 2 * p, base + 6 * p];
            // SAFETY: pages of the mapping above, which nothing uses.
            let (n, err) = unsafe { install_guard_pages_with(&bases, batch) };
            assert_eq!((n, err.map(|e| e.to_string())), (3, None), "batch {batch}");
            for i in 0..8 {
                let guard = bases.contains(&(base + i * p));
                assert_eq!(
                    is_readable(base + i * p).unwrap(),
                    !guard,
                    "page {i}, batch {batch}"
                );
            }
            // SAFETY: the mapping above; nothing refers to it any more.
            unsafe { mm::munmap(base as *mut c_void, 8 * p) }.unwrap();
        }
    }

    fn pooled(size: usize) -> usize {
        let (dirty, free) = pool_lists(size);
        dirty + free
    }

    #[test]
    fn guard_page_lookup() {
        let p = page_size();
        let s = stackalloc(DEFAULT_STACK_SIZE).unwrap();
        assert_eq!(guard_page_stack_size(s.lo() - 1), Some(DEFAULT_STACK_SIZE));
        assert_eq!(guard_page_stack_size(s.lo() - p), Some(DEFAULT_STACK_SIZE));
        assert_eq!(guard_page_stack_size(s.lo()), None);
        assert_eq!(guard_page_stack_size(s.hi() - 1), None);
        assert_eq!(guard_page_stack_size(s.lo() + s.size() / 2), None);
        let local = 0u8;
        assert_eq!(guard_page_stack_size(&raw const local as usize), None);
        assert_eq!(guard_page_stack_size(0), None);
        assert_eq!(guard_page_stack_size(usize::MAX), None);
        // The guard is really there, whichever kind installed it.
        assert!(!is_readable(s.lo() - 1).unwrap(), "guard page is readable");
        assert!(!is_readable(s.lo() - p).unwrap(), "guard page is readable");
        assert!(is_readable(s.lo()).unwrap());
        stackfree(s);
    }

    #[test]
    fn guard_kind_on_this_kernel() {
        let (probed, why) = probe_guard_kind();
        let kind = guard_kind();
        assert_eq!(kind, guard_kind(), "guard kind changed");
        if probed == GuardKind::Madvise {
            assert_eq!(kind, GuardKind::Madvise);
        } else {
            // Expected on Linux 6.18; report why rather than fail on an older kernel
            // or in a sandbox.
            eprintln!("guard_kind: MADV_GUARD_INSTALL unusable here: {why:?}; using mprotect");
            assert_eq!(kind, GuardKind::Mprotect);
        }
    }

    /// Resident pages of this process, from `/proc/self/statm`.
    fn rss_bytes() -> usize {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
        let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
        pages * page_size()
    }

    /// How many of the pages in `[lo, hi)` are resident, from `mincore(2)`.
    fn resident_pages(lo: usize, hi: usize) -> usize {
        let mut vec = vec![0u8; (hi - lo) / page_size()];
        // SAFETY: `[lo, hi)` is mapped (a stack of ours) and `vec` has one byte per
        // page of it, as mincore requires.
        let r = unsafe { libc::mincore(lo as *mut c_void, hi - lo, vec.as_mut_ptr()) };
        assert_eq!(r, 0, "mincore: {}", io::Error::last_os_error());
        vec.iter().filter(|&&b| b & 1 != 0).count()
    }

    /// Bytes of this process's memory marked with `MADV_FREE` and not yet
    /// reclaimed (`LazyFree` in `/proc/self/smaps_rollup`).
    fn lazy_free_bytes() -> usize {
        let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap();
        let kib: usize = rollup
            .lines()
            .find_map(|l| l.strip_prefix("LazyFree:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
        kib << 10
    }

    #[test]
    fn stackfree_releases_pages() {
        // 64 stacks of 256 KiB (plus a page, to have a pool of our own) = 16 MiB.
        let size = DEFAULT_STACK_SIZE + page_size();
        let stacks: Vec<Stack> = (0..64).map(|_| stackalloc(size).unwrap()).collect();
        for s in &stacks {
            for addr in (s.lo()..s.hi()).step_by(page_size()) {
                // SAFETY: inside the usable range of a stack we own.
                unsafe { ptr::write_volatile(addr as *mut u8, 1) };
            }
            assert_eq!(resident_pages(s.lo(), s.hi()), s.size() / page_size());
        }
        let spans: Vec<(usize, usize)> = stacks.iter().map(|s| (s.lo(), s.hi())).collect();
        let (rss_before, lazy_before) = (rss_bytes(), lazy_free_bytes());
        stacks.into_iter().for_each(stackfree);
        // Freed stacks stay warm until the scavenger or this releases them.
        let _serial = RELEASE_ALL.lock();
        free_os_memory();
        let (rss_after, lazy_after) = (rss_bytes(), lazy_free_bytes());
        for &(lo, _) in &spans {
            // The batched release spans the guard pages between neighbours:
            // they must still be guards.
            assert!(!is_readable(lo - 1).unwrap(), "guard below {lo:#x} lost");
        }
        // Loose: other tests run in parallel and may fault pages in or
        // release stacks of their own meanwhile.
        if NO_MADV_FREE.load(std::sync::atomic::Ordering::Relaxed) {
            for (lo, hi) in spans {
                assert_eq!(
                    resident_pages(lo, hi),
                    0,
                    "freed stack [{lo:#x}, {hi:#x}) still resident"
                );
            }
            assert!(
                rss_before.saturating_sub(rss_after) >= 8 << 20,
                "RSS fell only from {rss_before} to {rss_after} after freeing 16 MiB of stacks",
            );
        } else {
            assert!(
                lazy_after.saturating_sub(lazy_before) >= 8 << 20,
                "LazyFree rose only from {lazy_before} to {lazy_after} after freeing 16 MiB of stacks",
            );
        }
    }
}
