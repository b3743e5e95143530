//! Mirrors Go src/runtime/signal_unix.go (go1.27).
//!
//! Go's signal_unix.go owns every signal: it installs handlers for all of them,
//! turns faults in Go code into panics, and forwards the rest to whatever handler was
//! there before Go's. gort needs much less. Its one signal job is stack overflow: a
//! goroutine that runs off the bottom of its fixed-size stack touches the guard page
//! below it (see `stack.rs`) and the kernel raises `SIGSEGV`. Our handler recognises
//! the guard page from the faulting address, prints
//! `fatal error: stack overflow in goroutine N (...)` and aborts the process, as Go
//! dies with `fatal error: stack overflow`. Every other `SIGSEGV` or `SIGBUS` is
//! passed on, unchanged, to the handler installed before ours (Go's `sigfwd`),
//! normally the Rust standard library's, which reports overflows of ordinary thread
//! stacks and otherwise lets the fault kill the process.
//!
//! A handler for a stack overflow cannot run on the stack that overflowed, so each
//! thread that runs goroutines needs an alternate signal stack: [`minit_signal_stack`]
//! (Go's `minitSignalStack`) makes sure it has one. Without it the kernel cannot deliver
//! the signal and kills the process with a bare `SIGSEGV`, no message.
//!
//! Everything the handler touches is async-signal-safe: atomics and `OnceLock::get`
//! (lock-free), the reservation table of `stack.rs`, `write(2)` to fd 2 from a buffer on
//! the stack, `sigaction(2)`, `raise(3)` and `abort(3)`.

use std::ffi::c_void;
use std::io;
use std::marker::PhantomData;
use std::mem;
use std::os::fd::BorrowedFd;
use std::ptr;
use std::sync::{Once, OnceLock};

use libc::{c_int, siginfo_t};
use rustix::mm::{self, MapFlags, ProtFlags};

use crate::stack;

/// The signals a guard-page fault can arrive as. `SIGSEGV` is what the kernel sends for
/// both guard mechanisms; `SIGBUS` is handled too so that our chaining covers both
/// signals the Rust standard library hooks. Indexes [`FWD_SIG`].
const OVERFLOW_SIGNALS: [c_int; 2] = [libc::SIGSEGV, libc::SIGBUS];

/// The disposition each of [`OVERFLOW_SIGNALS`] had before ours, same index. Each is set
/// once, before our handler is installed for that signal, and read by the handler with
/// `OnceLock::get`, a lock-free Acquire load that pairs with the Release in `set`.
#[doc(alias = "fwdSig")]
static FWD_SIG: [OnceLock<libc::sigaction>; 2] = [const { OnceLock::new() }; 2];

/// Names the goroutine running on the faulting thread; set once, before any handler is
/// installed.
static CURRENT_GOID: OnceLock<fn() -> Option<u64>> = OnceLock::new();

/// Makes [`install_overflow_handler`] run once per process.
static INSTALL: Once = Once::new();

/// Usable size of the alternate signal stacks we map: room for the handler's few frames
/// (it only formats a short message) plus the kernel's signal frame, a few KiB with
/// AVX-512 and about 11 KiB with AMX state. Raised to four times the kernel's
/// `AT_MINSIGSTKSZ` if that is larger.
const SIGNAL_STACK_SIZE: usize = 64 * 1024;

/// Installs (once per process; later calls are no-ops) the `SIGSEGV` and `SIGBUS`
/// handler, with `SA_ONSTACK|SA_SIGINFO`, remembering the handlers that were there
/// before. `current_goid` is called from inside the handler to name the goroutine that
/// faulted (it reads a thread-local; returns `None` on a thread that is not running a
/// goroutine), so it must be async-signal-safe: no locks, no allocation, no lazily
/// initialised thread-local with a destructor.
///
/// The previous handler is read and then ours is installed, in two `sigaction` calls
/// (as Go's `initsig` does): a handler that someone else installs in between is
/// replaced without being forwarded to.
#[doc(alias = "initsig")]
pub(crate) fn install_overflow_handler(current_goid: fn() -> Option<u64>) {
    INSTALL.call_once(|| {
        let _ = CURRENT_GOID.set(current_goid);
        for (fwd, &sig) in FWD_SIG.iter().zip(&OVERFLOW_SIGNALS) {
            let mut old = empty_sigaction();
            // SAFETY: a null new action only queries; `old` is a valid out-pointer.
            if unsafe { libc::sigaction(sig, ptr::null(), &mut old) } != 0 {
                let e = io::Error::last_os_error();
                tracing::warn!(sig, error = %e, "runtime: cannot read the signal's handler; not hooking it");
                continue;
            }
            // Stored before our handler can run, so the handler always finds it.
            let _ = fwd.set(old);

            let mut sa = empty_sigaction();
            let handler: extern "C" fn(c_int, *mut siginfo_t, *mut c_void) = sighandler;
            sa.sa_sigaction = handler as libc::sighandler_t;
            // SA_ONSTACK: an overflowing stack has no room for the signal frame.
            sa.sa_flags = libc::SA_ONSTACK | libc::SA_SIGINFO;
            // Block every signal while the handler runs, like Go's `setsig`.
            // SAFETY: `sa.sa_mask` is a valid sigset_t to fill.
            unsafe { libc::sigfillset(&mut sa.sa_mask) };
            // SAFETY: `sighandler` has the SA_SIGINFO signature and is async-signal-
            // safe; everything it reads (FWD_SIG, CURRENT_GOID) is already set.
            if unsafe { libc::sigaction(sig, &sa, ptr::null_mut()) } != 0 {
                let e = io::Error::last_os_error();
                tracing::warn!(sig, error = %e, "runtime: cannot install the stack overflow handler");
            }
        }
    });
}

/// A `sigaction` with no handler, no flags and an empty mask.
fn empty_sigaction() -> libc::sigaction {
    // SAFETY: `libc::sigaction` is a plain C struct; all zeroes is SIG_DFL, no flags,
    // an empty mask and no restorer (`None`).
    unsafe { mem::zeroed() }
}

// ANCHOR: sighandler
/// The handler for [`OVERFLOW_SIGNALS`]: reports a fault in a gort guard page as a stack
/// overflow and dies, and forwards anything else.
#[doc(alias = "sigtrampgo")]
extern "C" fn sighandler(sig: c_int, info: *mut siginfo_t, ctx: *mut c_void) {
    if !info.is_null() {
        // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler. `si_addr`
        // is only meaningful for faults (si_code > 0); for signals sent by a process
        // the union holds a pid, so it is not looked at then.
        let (code, addr) = unsafe { ((*info).si_code, (*info).si_addr() as usize) };
        if code > 0
            && let Some(size) = stack::guard_page_stack_size(addr)
        {
            fatal_stack_overflow(size);
        }
    }
    sigfwd(sig, info, ctx);
}

/// Prints the overflow message to fd 2 and aborts. Async-signal-safe.
fn fatal_stack_overflow(size: usize) -> ! {
    let goid = CURRENT_GOID.get().and_then(|f| f());
    write_stderr(overflow_message(goid, size).as_bytes());
    // SAFETY: abort(3) is async-signal-safe and takes no arguments; it unblocks and
    // raises SIGABRT, so the process dies with that signal.
    unsafe { libc::abort() }
}
// ANCHOR_END: sighandler

/// The one-line report of a stack overflow, formatted without allocating.
fn overflow_message(goid: Option<u64>, size: usize) -> MsgBuf {
    let mut m = MsgBuf::new();
    m.push(b"fatal error: stack overflow in goroutine ");
    match goid {
        Some(id) => m.push_u64(id),
        None => m.push(b"?"),
    }
    m.push(b" (stack size ");
    m.push_u64((size / 1024) as u64);
    m.push(b" KiB; raise it with Builder::stack_size)\n");
    m
}

/// Writes all of `buf` to fd 2 with raw `write(2)`: no `std::io` lock, no allocation.
/// Gives up quietly on errors other than `EINTR`: there is nowhere to report them.
fn write_stderr(mut buf: &[u8]) {
    // SAFETY: fd 2 is only borrowed for these writes. If it is closed, write fails with
    // EBADF and we give up; if it was reused for another file, the message lands there,
    // as any eprintln! would.
    let fd = unsafe { BorrowedFd::borrow_raw(2) };
    while !buf.is_empty() {
        match rustix::io::write(fd, buf) {
            Ok(0) => return,
            Ok(n) => buf = &buf[n..],
            Err(rustix::io::Errno::INTR) => {}
            Err(_) => return,
        }
    }
}

/// Passes a signal we do not handle to the handler that was installed before ours.
///
/// A real handler is called directly, with the arguments we got (Go's `sigfwd`); its own
/// `sa_mask` and `SA_NODEFER` are not applied, but `SA_RESETHAND` is. If there was none
/// (`SIG_DFL`, or `SIG_IGN`, which the kernel overrides for faults), see
/// [`die_from_signal`]. A signal sent by a process while `SIG_IGN` was in force is
/// ignored, as it would have been without us.
#[doc(alias = "sigfwdgo")]
fn sigfwd(sig: c_int, info: *mut siginfo_t, ctx: *mut c_void) {
    let fwd = OVERFLOW_SIGNALS
        .iter()
        .position(|&s| s == sig)
        .and_then(|i| FWD_SIG[i].get());
    let (handler, flags) = fwd.map_or((libc::SIG_DFL, 0), |a| (a.sa_sigaction, a.sa_flags));
    // SAFETY: `info`, when not null, is the kernel's siginfo for this signal.
    let from_user = info.is_null() || unsafe { (*info).si_code } <= 0;
    match handler {
        libc::SIG_IGN if from_user => {}
        libc::SIG_DFL | libc::SIG_IGN => die_from_signal(sig, from_user),
        f => {
            if flags & libc::SA_RESETHAND != 0 {
                set_default(sig);
            }
            if flags & libc::SA_SIGINFO != 0 {
                // SAFETY: a handler installed with SA_SIGINFO has this signature.
                let f = unsafe {
                    mem::transmute::<usize, extern "C" fn(c_int, *mut siginfo_t, *mut c_void)>(f)
                };
                f(sig, info, ctx);
            } else {
                // SAFETY: a handler installed without SA_SIGINFO has this signature.
                let f = unsafe { mem::transmute::<usize, extern "C" fn(c_int)>(f) };
                f(sig);
            }
        }
    }
}

/// Lets the signal take its default action, killing the process as it would have
/// without us. For a fault, restoring `SIG_DFL` and returning is enough: the faulting
/// instruction runs again and faults again. A signal sent by a process would not come
/// back, so it is raised again; it stays blocked until this handler returns.
#[doc(alias = "dieFromSignal")]
fn die_from_signal(sig: c_int, from_user: bool) {
    set_default(sig);
    if from_user {
        // SAFETY: raise(3) is async-signal-safe and takes a plain signal number.
        unsafe { libc::raise(sig) };
    }
}

/// Sets `sig`'s disposition to `SIG_DFL`. Async-signal-safe.
fn set_default(sig: c_int) {
    let sa = empty_sigaction();
    // SAFETY: `sa` is a valid SIG_DFL action; sigaction(2) is async-signal-safe.
    unsafe { libc::sigaction(sig, &sa, ptr::null_mut()) };
}

/// A thread's alternate signal stack, as set up by [`minit_signal_stack`]. If we mapped
/// and installed it, dropping this disables it and unmaps it; otherwise dropping does
/// nothing. `sigaltstack` is per thread, so this must be dropped on the thread that made
/// it: it is neither `Send` nor `Sync`.
#[derive(Debug)]
pub(crate) struct AltStack {
    /// `(base, len)` of the mapping we installed (guard page included), or `None`.
    mapping: Option<(usize, usize)>,
    /// The `ss_sp` we installed, to recognise our stack at drop.
    sp: usize,
    _per_thread: PhantomData<*const ()>,
}

impl AltStack {
    fn none() -> Self {
        AltStack {
            mapping: None,
            sp: 0,
            _per_thread: PhantomData,
        }
    }
}

/// Makes sure the calling thread has an alternate signal stack (Go's
/// `minitSignalStack`): if `sigaltstack` reports none, maps one (with a guard page,
/// 64 KiB usable) and installs it; returns a guard that disables and unmaps it on drop
/// (only if we installed it).
///
/// A thread that already has one (every thread the Rust standard library starts does)
/// keeps it. Failures are logged and leave the thread without one: a goroutine stack
/// overflow on it then dies by a bare `SIGSEGV` instead of the message.
#[doc(alias = "minitSignalStack")]
pub(crate) fn minit_signal_stack() -> AltStack {
    match try_minit_signal_stack() {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "runtime: cannot set up an alternate signal stack");
            AltStack::none()
        }
    }
}

fn try_minit_signal_stack() -> io::Result<AltStack> {
    let mut cur = empty_stack_t();
    // SAFETY: a null new stack only queries; `cur` is a valid out-pointer.
    if unsafe { libc::sigaltstack(ptr::null(), &mut cur) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if cur.ss_flags & libc::SS_DISABLE == 0 {
        return Ok(AltStack::none());
    }

    let page = rustix::param::page_size();
    let size = SIGNAL_STACK_SIZE
        .max(4 * rustix::param::linux_minsigstksz())
        .next_multiple_of(page);
    let len = page + size;
    // SAFETY: a fresh anonymous mapping at an address of the kernel's choosing aliases
    // nothing.
    let base = unsafe {
        mm::mmap_anonymous(
            ptr::null_mut(),
            len,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::PRIVATE,
        )
    }? as usize;
    let unmap = || {
        // SAFETY: the mapping made above; the kernel was never told to use it.
        let _ = unsafe { mm::munmap(base as *mut c_void, len) };
    };
    // The guard catches an overflow of the signal stack itself (the kernel then kills
    // the thread's process with SIGSEGV rather than scribble below it).
    //
    // SAFETY: the first page of our fresh mapping; nothing uses it.
    if let Err(e) = unsafe { stack::install_guard_page(base) } {
        unmap();
        return Err(e);
    }
    let ss = libc::stack_t {
        ss_sp: (base + page) as *mut c_void,
        ss_flags: 0,
        ss_size: size,
    };
    // SAFETY: `ss` describes memory we own for as long as it is installed: the returned
    // AltStack disables it before unmapping.
    if unsafe { libc::sigaltstack(&ss, ptr::null_mut()) } != 0 {
        let e = io::Error::last_os_error();
        unmap();
        return Err(e);
    }
    Ok(AltStack {
        mapping: Some((base, len)),
        sp: base + page,
        _per_thread: PhantomData,
    })
}

impl Drop for AltStack {
    #[doc(alias = "unminitSignals")]
    fn drop(&mut self) {
        let Some((base, len)) = self.mapping else {
            return;
        };
        let mut cur = empty_stack_t();
        // SAFETY: a null new stack only queries; `cur` is a valid out-pointer.
        if unsafe { libc::sigaltstack(ptr::null(), &mut cur) } != 0 {
            // Cannot tell whether the kernel still uses it: keep the memory.
            return;
        }
        if cur.ss_sp as usize == self.sp && cur.ss_flags & libc::SS_DISABLE == 0 {
            let off = libc::stack_t {
                ss_sp: ptr::null_mut(),
                ss_flags: libc::SS_DISABLE,
                ss_size: 0,
            };
            // SAFETY: disabling the thread's alternate stack; fails with EPERM if we are
            // running on it, checked below.
            if unsafe { libc::sigaltstack(&off, ptr::null_mut()) } != 0 {
                return; // Still in use: leak it rather than unmap it under the kernel.
            }
        }
        // SAFETY: our mapping, which the kernel no longer uses as a signal stack (it was
        // replaced, or we just disabled it) and nothing else refers to.
        if let Err(e) = unsafe { mm::munmap(base as *mut c_void, len) } {
            tracing::warn!(error = %e, "runtime: cannot unmap an alternate signal stack");
        }
    }
}

/// A `stack_t` to receive `sigaltstack`'s answer.
fn empty_stack_t() -> libc::stack_t {
    libc::stack_t {
        ss_sp: ptr::null_mut(),
        ss_flags: 0,
        ss_size: 0,
    }
}

/// A fixed-capacity byte buffer for formatting inside a signal handler. Text beyond the
/// capacity is dropped.
struct MsgBuf {
    buf: [u8; 192],
    len: usize,
}

impl MsgBuf {
    fn new() -> Self {
        MsgBuf {
            buf: [0; 192],
            len: 0,
        }
    }

    fn push(&mut self, s: &[u8]) {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s[..n]);
        self.len += n;
    }

    fn push_u64(&mut self, mut v: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.push(&digits[i..]);
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

#[cfg(test)]
mod tests {
    //! The handler's real behaviour kills the process, so most tests re-run this test
    //! binary as a child (selected by an environment variable) and examine how it died.

    use super::*;
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Output};

    /// Set in a child to the name of the test whose child half it should run.
    const CHILD_ENV: &str = "GORT_SIGNAL_UNIX_TEST_CHILD";

    /// True in the child process of test `name`.
    fn in_child(name: &str) -> bool {
        std::env::var_os(CHILD_ENV).is_some_and(|v| v == name)
    }

    /// Runs test `name` of this module again in a child process and waits for it.
    fn run_child(name: &str) -> Output {
        let module = module_path!().split_once("::").map_or("", |(_, m)| m);
        let full = format!("{module}::{name}");
        let out = Command::new(std::env::current_exe().unwrap())
            .args([full.as_str(), "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, name)
            .env_remove("RUST_BACKTRACE")
            .output()
            .unwrap();
        eprintln!(
            "child {name}: {:?}\n--- stderr ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// In a child about to crash on purpose: no core file.
    fn no_core_dumps() {
        let mut lim = rustix::process::getrlimit(rustix::process::Resource::Core);
        lim.current = Some(0);
        rustix::process::setrlimit(rustix::process::Resource::Core, lim).unwrap();
    }

    const OVERFLOW_7: &str = "fatal error: stack overflow in goroutine 7 (stack size 256 KiB; \
                              raise it with Builder::stack_size)\n";

    fn goid_7() -> Option<u64> {
        Some(7)
    }

    fn goid_8() -> Option<u64> {
        Some(8)
    }

    /// Child half of the guard-page tests: touch the byte just below a fresh stack.
    fn write_below_stack() -> ! {
        no_core_dumps();
        install_overflow_handler(goid_7);
        install_overflow_handler(goid_8); // A no-op: the first one stays.
        let s = stack::stackalloc(stack::DEFAULT_STACK_SIZE).unwrap();
        eprintln!("child: guard kind {:?}", stack::guard_kind());
        // SAFETY: deliberately not: this hits the guard page, and the handler aborts.
        unsafe { ptr::write_volatile((s.lo() - 1) as *mut u8, 1) };
        unreachable!("write to the guard page did not fault");
    }

    #[test]
    fn guard_page_fault_reports_overflow_and_aborts() {
        const NAME: &str = "guard_page_fault_reports_overflow_and_aborts";
        if in_child(NAME) {
            write_below_stack();
        }
        let out = run_child(NAME);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(OVERFLOW_7), "stderr: {stderr}");
        assert_eq!(out.status.signal(), Some(libc::SIGABRT), "{:?}", out.status);
    }

    #[test]
    fn mprotect_guard_page_fault_reports_overflow_and_aborts() {
        const NAME: &str = "mprotect_guard_page_fault_reports_overflow_and_aborts";
        if in_child(NAME) {
            assert_eq!(
                stack::force_guard_kind(stack::GuardKind::Mprotect),
                stack::GuardKind::Mprotect
            );
            write_below_stack();
        }
        let out = run_child(NAME);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("child: guard kind Mprotect"),
            "stderr: {stderr}"
        );
        assert!(stderr.contains(OVERFLOW_7), "stderr: {stderr}");
        assert_eq!(out.status.signal(), Some(libc::SIGABRT), "{:?}", out.status);
    }

    #[test]
    fn other_fault_is_forwarded_and_kills_with_sigsegv() {
        const NAME: &str = "other_fault_is_forwarded_and_kills_with_sigsegv";
        if in_child(NAME) {
            no_core_dumps();
            install_overflow_handler(goid_7);
            // A stack exists, so the reservation table is not empty.
            let _s = stack::stackalloc(stack::DEFAULT_STACK_SIZE).unwrap();
            let page = rustix::param::page_size();
            // SAFETY: a fresh anonymous mapping aliases nothing.
            let p = unsafe {
                mm::mmap_anonymous(ptr::null_mut(), page, ProtFlags::empty(), MapFlags::PRIVATE)
            }
            .unwrap();
            // SAFETY: deliberately not: the page is PROT_NONE, so this faults.
            unsafe { ptr::write_volatile(p.cast::<u8>(), 1) };
            unreachable!("write to a PROT_NONE page did not fault");
        }
        let out = run_child(NAME);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("stack overflow"), "stderr: {stderr}");
        assert_eq!(out.status.signal(), Some(libc::SIGSEGV), "{:?}", out.status);
    }

    #[test]
    fn std_thread_overflow_still_reported_by_std() {
        const NAME: &str = "std_thread_overflow_still_reported_by_std";
        if in_child(NAME) {
            no_core_dumps();
            install_overflow_handler(goid_7);
            let t = std::thread::Builder::new()
                .name("deep".into())
                .stack_size(128 * 1024)
                .spawn(|| recurse(0))
                .unwrap();
            let _ = t.join();
            unreachable!("thread did not overflow its stack");
        }
        let out = run_child(NAME);
        let stderr = String::from_utf8_lossy(&out.stderr);
        // std's wording, e.g. "thread 'deep' (1234) has overflowed its stack".
        assert!(stderr.contains("thread 'deep'"), "stderr: {stderr}");
        assert!(
            stderr.contains("has overflowed its stack"),
            "stderr: {stderr}"
        );
        assert!(
            !stderr.contains("fatal error: stack overflow in goroutine"),
            "stderr: {stderr}"
        );
        assert_eq!(out.status.signal(), Some(libc::SIGABRT), "{:?}", out.status);
    }

    /// Recurses until the stack runs out, 1 KiB a frame.
    #[allow(unconditional_recursion)]
    #[inline(never)]
    fn recurse(depth: u64) -> u64 {
        let mut frame = [0u8; 1024];
        frame[(depth % 1024) as usize] = depth as u8;
        std::hint::black_box(&mut frame);
        recurse(depth + 1) + u64::from(frame[1])
    }

    /// Entered on a gort stack by `real_overflow_on_a_gort_stack`; never returns.
    #[cfg(target_arch = "x86_64")]
    extern "C" fn overflow_entry() -> ! {
        recurse(0);
        // SAFETY: abort takes no arguments; reaching it means the test failed.
        unsafe { libc::abort() }
    }

    /// Runs real Rust code on a 16 KiB gort stack until it overflows: the handler must
    /// run on the alternate stack set up by `minit_signal_stack`.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn real_overflow_on_a_gort_stack() {
        const NAME: &str = "real_overflow_on_a_gort_stack";
        if in_child(NAME) {
            no_core_dumps();
            install_overflow_handler(|| Some(42));
            // Drop whatever alternate stack std gave this thread so ours is used.
            let off = libc::stack_t {
                ss_sp: ptr::null_mut(),
                ss_flags: libc::SS_DISABLE,
                ss_size: 0,
            };
            // SAFETY: disabling this thread's alternate stack; we are not on it.
            assert_eq!(unsafe { libc::sigaltstack(&off, ptr::null_mut()) }, 0);
            let alt = minit_signal_stack();
            assert!(alt.mapping.is_some(), "no alternate stack installed");
            let s = stack::stackalloc(stack::MIN_STACK_SIZE).unwrap();
            // SAFETY: deliberately runs off the end of `s`: switch the stack pointer
            // to the top of a stack we own (16-byte aligned, as `call` wants) and call a
            // function that recurses into the guard page, where the handler aborts.
            // Nothing returns here.
            unsafe {
                std::arch::asm!(
                    "mov rsp, {top}",
                    "call {entry}",
                    "ud2",
                    top = in(reg) s.hi(),
                    entry = sym overflow_entry,
                    options(noreturn),
                );
            }
        }
        let out = run_child(NAME);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let want = "fatal error: stack overflow in goroutine 42 (stack size 16 KiB; \
                    raise it with Builder::stack_size)\n";
        assert!(stderr.contains(want), "stderr: {stderr}");
        assert_eq!(out.status.signal(), Some(libc::SIGABRT), "{:?}", out.status);
    }

    #[test]
    fn minit_signal_stack_installs_and_removes() {
        // On a thread of our own, since it changes the thread's alternate stack.
        std::thread::spawn(|| {
            let query = || {
                let mut cur = empty_stack_t();
                // SAFETY: query only; `cur` is a valid out-pointer.
                assert_eq!(unsafe { libc::sigaltstack(ptr::null(), &mut cur) }, 0);
                cur
            };
            let std_stack = query();

            // A thread that has one keeps it.
            let kept = minit_signal_stack();
            assert!(kept.mapping.is_none());
            assert_eq!(query().ss_sp, std_stack.ss_sp);
            drop(kept);
            assert_eq!(query().ss_sp, std_stack.ss_sp);

            let off = libc::stack_t {
                ss_sp: ptr::null_mut(),
                ss_flags: libc::SS_DISABLE,
                ss_size: 0,
            };
            // SAFETY: disabling this thread's alternate stack; we are not on it.
            assert_eq!(unsafe { libc::sigaltstack(&off, ptr::null_mut()) }, 0);

            let ours = minit_signal_stack();
            let (base, len) = ours.mapping.expect("no alternate stack installed");
            let cur = query();
            let page = rustix::param::page_size();
            assert_eq!(cur.ss_flags & libc::SS_DISABLE, 0);
            assert_eq!(cur.ss_sp as usize, base + page);
            assert_eq!(cur.ss_size, len - page);
            assert!(cur.ss_size >= SIGNAL_STACK_SIZE);
            assert_eq!(
                stack::guard_page_stack_size(base),
                None,
                "not a goroutine stack"
            );
            drop(ours);
            assert_ne!(
                query().ss_flags & libc::SS_DISABLE,
                0,
                "drop left it installed"
            );

            // Give std its own stack back for the thread's exit.
            if std_stack.ss_flags & libc::SS_DISABLE == 0 {
                // SAFETY: std's mapping, still alive until the thread exits.
                assert_eq!(unsafe { libc::sigaltstack(&std_stack, ptr::null_mut()) }, 0);
            }
        })
        .join()
        .unwrap();
    }

    #[test]
    fn overflow_message_format() {
        let m = overflow_message(Some(7), stack::DEFAULT_STACK_SIZE);
        assert_eq!(m.as_bytes(), OVERFLOW_7.as_bytes());
        let m = overflow_message(None, 16 * 1024);
        assert_eq!(
            m.as_bytes(),
            b"fatal error: stack overflow in goroutine ? (stack size 16 KiB; \
              raise it with Builder::stack_size)\n"
        );
        let m = overflow_message(Some(u64::MAX), usize::MAX);
        let s = std::str::from_utf8(m.as_bytes()).unwrap();
        assert!(s.contains("goroutine 18446744073709551615 "), "{s}");
        assert!(s.ends_with(")\n"), "{s}");
        let mut m = MsgBuf::new();
        m.push_u64(0);
        assert_eq!(m.as_bytes(), b"0");
    }
}
