//! Mirrors Go src/sync/rwmutex.go (go1.27): sync.RWMutex, as the data-owning [`RwLock`].
//!
//! Go's reader/writer lock is a [`RawMutex`] that writers take among
//! themselves, two semaphores, and two counters:
//!
//! * `reader_count`: readers holding or waiting for the lock. A writer
//!   announces itself by subtracting [`RWMUTEX_MAX_READERS`], so the count goes
//!   negative and every reader arriving after that sees it and sleeps on
//!   `reader_sem`: a waiting writer blocks new readers (writer preference, so
//!   a stream of readers cannot starve a writer).
//! * `reader_wait`: readers that were inside when the writer announced
//!   itself and have not yet left. The writer sleeps on `writer_sem` until the
//!   last of them, leaving, brings it to zero and wakes it.
//!
//! When the writer unlocks it adds `RWMUTEX_MAX_READERS` back; the result is
//! the number of readers that queued meanwhile, and it releases `reader_sem`
//! that many times before letting the next writer in.
//!
//! Waiting parks the goroutine; a plain OS thread outside the runtime blocks.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

use crate::proc::fatal;
use crate::sema::{semacquire_mutex, semrelease};
use crate::sync_mutex::RawMutex;

/// The most readers the lock admits at once (Go's `rwmutexMaxReaders`).
const RWMUTEX_MAX_READERS: i32 = 1 << 30;

/// The lock without its data (Go's `RWMutex`).
struct RawRwMutex {
    /// Held by the writer that owns or is acquiring the lock (Go's `w`).
    w: RawMutex,
    /// The writer sleeps here until the readers it waits for have left.
    writer_sem: AtomicU32,
    /// Readers sleep here until the writer unlocks.
    reader_sem: AtomicU32,
    /// Readers in or waiting; minus `RWMUTEX_MAX_READERS` while a writer is
    /// in or waiting. See each operation for its ordering.
    reader_count: AtomicI32,
    /// Readers the waiting writer still waits for.
    reader_wait: AtomicI32,
}

impl RawRwMutex {
    const fn new() -> RawRwMutex {
        RawRwMutex {
            w: RawMutex::new(),
            writer_sem: AtomicU32::new(0),
            reader_sem: AtomicU32::new(0),
            reader_count: AtomicI32::new(0),
            reader_wait: AtomicI32::new(0),
        }
    }

    /// Go's `RLock`.
    fn rlock(&self) {
        // Acquire: pairs with the Release of the last writer's unlock (its
        // add back of MAX_READERS), so its writes are visible to us.
        if self.reader_count.fetch_add(1, Ordering::Acquire) + 1 < 0 {
            // A writer is in or waiting: wait until it unlocks. The semaphore
            // orders its critical section before us.
            semacquire_mutex(&self.reader_sem, false);
        }
    }

    /// Go's `TryRLock`.
    fn try_rlock(&self) -> bool {
        // Relaxed: a guess, validated by the CAS.
        let mut c = self.reader_count.load(Ordering::Relaxed);
        loop {
            if c < 0 {
                return false;
            }
            // Acquire: as in `rlock`.
            match self.reader_count.compare_exchange_weak(
                c,
                c + 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(cur) => c = cur,
            }
        }
    }

    /// Go's `RUnlock`.
    fn runlock(&self) {
        // Release: our reads happen-before the writer that waits for us
        // (it acquires this count, or `reader_wait` below).
        let r = self.reader_count.fetch_sub(1, Ordering::Release) - 1;
        if r < 0 {
            self.runlock_slow(r);
        }
    }

    /// Go's `rUnlockSlow`: a writer waits; if we are the last reader it
    /// waits for, wake it.
    #[cold]
    fn runlock_slow(&self, r: i32) {
        if r + 1 == 0 || r + 1 == -RWMUTEX_MAX_READERS {
            fatal("sync: RUnlock of unlocked RWMutex");
        }
        // AcqRel: the departing readers' decrements form one release
        // sequence that the last one acquires before waking the writer.
        if self.reader_wait.fetch_sub(1, Ordering::AcqRel) - 1 == 0 {
            semrelease(&self.writer_sem);
        }
    }

    /// Go's `Lock`.
    fn lock(&self) {
        // First keep other writers out.
        self.w.lock();
        // Then announce ourselves to readers. AcqRel: acquires the release
        // of every reader that has already left; releases nothing new but
        // keeps the RMW chain whole.
        // The old count is the number of readers inside.
        let r = self
            .reader_count
            .fetch_add(-RWMUTEX_MAX_READERS, Ordering::AcqRel);
        // Wait for the readers that are still inside. AcqRel: pairs with
        // their decrements of `reader_wait` (some may come first, taking it
        // below zero, in which case our add brings it to zero and we go on).
        if r != 0 && self.reader_wait.fetch_add(r, Ordering::AcqRel) + r != 0 {
            semacquire_mutex(&self.writer_sem, false);
        }
    }

    /// Go's `TryLock`.
    fn try_lock(&self) -> bool {
        if !self.w.try_lock() {
            return false;
        }
        // Acquire: as in `lock`.
        if self
            .reader_count
            .compare_exchange(
                0,
                -RWMUTEX_MAX_READERS,
                Ordering::Acquire,
                Ordering::Relaxed,
            )
            .is_err()
        {
            self.w.unlock();
            return false;
        }
        true
    }

    /// Go's `Unlock`.
    fn unlock(&self) {
        // Tell readers there is no writer any more. Release: our writes
        // happen-before every reader that arrives from now on (they acquire
        // this count) and those we wake below (through the semaphore).
        let r = self
            .reader_count
            .fetch_add(RWMUTEX_MAX_READERS, Ordering::Release)
            + RWMUTEX_MAX_READERS;
        if r >= RWMUTEX_MAX_READERS {
            fatal("sync: Unlock of unlocked RWMutex");
        }
        // Wake the readers that queued behind us.
        for _ in 0..r {
            semrelease(&self.reader_sem);
        }
        // Then let the next writer in.
        self.w.unlock();
    }
}

/// A reader/writer lock that owns its data: Go's `sync.RWMutex`, shaped like
/// `std::sync::RwLock`. Any number of readers, or one writer.
///
/// Writer-preferring as Go's: once a writer waits, readers that arrive after
/// it wait until it has had its turn, so readers cannot starve writers.
/// Consequently a goroutine that already holds a read lock must not take
/// another one while a writer may be waiting (it would deadlock), as in Go.
///
/// Waiting parks the goroutine (its thread runs other goroutines meanwhile);
/// called from a plain OS thread outside the runtime, it blocks the thread.
/// There is no poisoning: a panic releases the lock as its guard is dropped.
///
/// ```
/// use std::sync::Arc;
/// use gort_runtime::sync::RwLock;
///
/// gort_runtime::run(|| {
///     let config = Arc::new(RwLock::new(String::from("v1")));
///     let reader = {
///         let config = config.clone();
///         gort_runtime::spawn(move || config.read().len())
///     };
///     config.write().push_str(".1");
///     assert!(reader.join().unwrap() >= 2);
///     assert_eq!(*config.read(), "v1.1");
/// });
/// ```
#[doc(alias = "RWMutex")]
pub struct RwLock<T: ?Sized> {
    raw: RawRwMutex,
    /// Shared while readers hold `raw`, unique while a writer does.
    data: UnsafeCell<T>,
}

// SAFETY: a writer may move `T` between threads (`Send`).
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: readers on several threads share `&T` (`Sync`), a writer gets
// `&mut T` on any thread (`Send`); the lock serialises the two.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    /// An unlocked lock holding `value`.
    pub const fn new(value: T) -> RwLock<T> {
        RwLock {
            raw: RawRwMutex::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock and returns the data.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Locks for reading, waiting while a writer holds the lock or waits for
    /// it (Go's `RLock`). Parks the goroutine, or blocks the thread outside
    /// the runtime.
    #[doc(alias = "RLock")]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        self.raw.rlock();
        RwLockReadGuard {
            lock: self,
            _not_auto: PhantomData,
        }
    }

    /// Locks for reading if no writer holds or waits for the lock (Go's
    /// `TryRLock`).
    #[doc(alias = "TryRLock")]
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        self.raw.try_rlock().then(|| RwLockReadGuard {
            lock: self,
            _not_auto: PhantomData,
        })
    }

    /// Locks for writing, waiting for other writers and for the readers
    /// inside to leave (Go's `Lock`). Parks the goroutine, or blocks the
    /// thread outside the runtime.
    #[doc(alias = "Lock")]
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.raw.lock();
        RwLockWriteGuard {
            lock: self,
            _not_auto: PhantomData,
        }
    }

    /// Locks for writing if nobody holds the lock (Go's `TryLock`).
    #[doc(alias = "TryLock")]
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        self.raw.try_lock().then(|| RwLockWriteGuard {
            lock: self,
            _not_auto: PhantomData,
        })
    }

    /// The data, through a unique borrow: no locking needed.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> RwLock<T> {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

/// A read lock on an [`RwLock`]; releases it on drop (Go's `RUnlock`).
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    /// Opts out of the auto traits; the impls below state the right bounds.
    _not_auto: PhantomData<*const ()>,
}

// SAFETY: a read guard only gives `&T`; moving or sharing it across threads
// shares `T`, which `T: Sync` allows. Any thread may release the read lock.
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the read lock is held: no writer exists, only readers.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.raw.runlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The write lock on an [`RwLock`]; releases it on drop (Go's `Unlock`).
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    /// Opts out of the auto traits; the impls below state the right bounds.
    _not_auto: PhantomData<*const ()>,
}

// SAFETY: moving the write guard moves the right to `&mut T` to another
// thread, i.e. moves a `T`. Any thread may release the lock.
unsafe impl<T: ?Sized + Send> Send for RwLockWriteGuard<'_, T> {}
// SAFETY: a shared write guard only gives `&T`.
unsafe impl<T: ?Sized + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the write lock is held: this guard is the only access.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes the borrow unique.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.raw.unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_share_writers_exclude() {
        let l = RwLock::new(1);
        let r1 = l.read();
        let r2 = l.try_read().expect("a second reader gets in");
        assert!(l.try_write().is_none());
        drop((r1, r2));
        let mut w = l.try_write().expect("free again");
        assert!(l.try_read().is_none());
        *w += 1;
        drop(w);
        assert_eq!(l.into_inner(), 2);
    }

    #[test]
    fn threads_count_without_loss() {
        let l = std::sync::Arc::new(RwLock::new(0u64));
        let ts: Vec<_> = (0..4)
            .map(|i| {
                let l = l.clone();
                std::thread::spawn(move || {
                    for _ in 0..5_000 {
                        if i % 2 == 0 {
                            *l.write() += 1;
                        } else {
                            assert!(*l.read() <= 10_000);
                        }
                    }
                })
            })
            .collect();
        for t in ts {
            t.join().unwrap();
        }
        assert_eq!(*l.read(), 10_000);
        assert_eq!(l.raw.reader_count.load(Ordering::Relaxed), 0);
    }
}
