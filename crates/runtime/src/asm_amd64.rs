//! Mirrors Go src/runtime/asm_amd64.s (go1.27): gogo, gosave and mcall, the context switch.
//!
//! Go switches goroutines with three assembly routines: `gosave` records where a
//! goroutine stands, `gogo` resumes a recorded goroutine, and `mcall` moves from a
//! goroutine onto its M's scheduler stack (g0) to call a function there. Go can get
//! away with saving almost nothing, because its compiler treats every register as
//! clobbered across those calls. gort's goroutines are ordinary Rust code compiled
//! for the System V ABI, so a switch must preserve what that ABI says a callee
//! preserves:
//!
//! * the callee-saved integer registers `rbx`, `rbp`, `r12`–`r15`, and `rsp`;
//! * the control bits of `MXCSR` (SSE rounding and exception masks) and the x87
//!   control word, which the ABI also lists as callee-saved.
//!
//! All three of Go's routines collapse into one primitive, [`swapcontext`]: it
//! pushes the registers above onto the current stack, stores the stack pointer in
//! `from`, loads the one in `to` and pops the same layout back. Used from g0 it is
//! `gogo` (execute a goroutine); used from a goroutine it is `mcall` (the scheduler
//! resumes and performs the action the goroutine left in its M). A fresh goroutine
//! gets a hand-made frame from [`gostartcall`], shaped exactly as if it had called
//! `swapcontext` itself, whose return address is the [`gogo_start`] trampoline.
//!
//! Caller-saved registers need no saving: the compiler already assumes a call to
//! `swapcontext` clobbers them. Other architectures are refused at compile time.

#[cfg(not(target_arch = "x86_64"))]
compile_error!(
    "gort's context switch is written for x86_64 (System V) only; aarch64 is planned \
     (save x19-x29, sp, lr and d8-d15 with FPCR, as in Go's asm_arm64.s). See README, Limitations."
);

use core::arch::naked_asm;

// ANCHOR: gobuf
/// A goroutine's saved execution context (Go's `gobuf`).
///
/// Only the stack pointer is stored: everything else a switch must keep sits in
/// the 64-byte frame that `swapcontext` pushed just below it.
#[derive(Debug, Default)]
#[repr(C)]
pub(crate) struct Gobuf {
    /// Stack pointer of the suspended context; 0 while that context is running.
    pub(crate) sp: usize,
}
// ANCHOR_END: gobuf

/// MXCSR at process start per the ABI: all exceptions masked, round to nearest.
const MXCSR_DEFAULT: u32 = 0x1F80;
/// x87 control word at process start: all exceptions masked, 64-bit precision.
const FPUCW_DEFAULT: u16 = 0x037F;

/// Size of the frame `swapcontext` leaves on a suspended stack:
/// 8 bytes of MXCSR + x87 CW, six callee-saved registers, the return address.
const SWITCH_FRAME: usize = 8 + 6 * 8 + 8;

// ANCHOR: gogo
/// Saves the running context into `from` and resumes the one saved in `to`.
///
/// Returns when some other context switches back into `from`. The compiler
/// cannot see the switch, so the runtime's own thread-local accessors stay
/// opaque (see `stubs.rs`); a goroutine always comes back on its own thread
/// (pinning, proc.rs), and g0 never leaves its thread.
///
/// # Safety
///
/// `from` must be valid for a write, and `to` must hold a context that was saved
/// by `swapcontext` or prepared by [`gostartcall`], is not running, and whose
/// stack is still mapped. Nothing else may resume `to` concurrently.
#[unsafe(naked)]
pub(crate) unsafe extern "C" fn swapcontext(from: *mut Gobuf, to: *const Gobuf) {
    // rdi = from, rsi = to. On entry rsp ≡ 8 (mod 16); after six pushes and
    // the 8-byte control-word slot it is 16-byte aligned again, which keeps
    // `gostartcall`'s hand-made frame and this one identical.
    naked_asm!(
        "push rbp",
        "push rbx",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "sub rsp, 8",
        "stmxcsr [rsp]",
        "fnstcw [rsp + 4]",
        "mov [rdi], rsp",
        "mov rsp, [rsi]",
        "ldmxcsr [rsp]",
        "fldcw [rsp + 4]",
        "add rsp, 8",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret",
    )
}
// ANCHOR_END: gogo

// ANCHOR: gostartcall
/// First instructions of every goroutine: `swapcontext`'s `ret` lands here with
/// the entry function in r13 and its argument in r12 (popped from the frame
/// `gostartcall` built). The entry never returns; `ud2` makes certain of it.
#[unsafe(naked)]
unsafe extern "C" fn gogo_start() {
    naked_asm!(
        // Mark the outermost frame (return address undefined) so unwinders
        // and debuggers stop here instead of walking into garbage.
        ".cfi_startproc",
        ".cfi_undefined rip",
        "xor ebp, ebp",
        "mov rdi, r12",
        "call r13",
        "ud2",
        ".cfi_endproc",
    )
}

/// Prepares `buf` so that switching to it runs `entry(arg)` on the stack whose
/// highest usable address is `stack_hi` (Go's `gostartcall` + `gostartcallfn`).
///
/// # Safety
///
/// `stack_hi` must be 16-byte aligned and the `SWITCH_FRAME + 16` bytes below it
/// must be writable memory owned by the new goroutine.
pub(crate) unsafe fn gostartcall(
    buf: &mut Gobuf,
    stack_hi: usize,
    entry: extern "C" fn(usize) -> !,
    arg: usize,
) {
    debug_assert_eq!(stack_hi % 16, 0, "gostartcall: misaligned stack");
    // Leave one zeroed slot at the very top (a null return address for
    // backtracers), keep `sp + SWITCH_FRAME` 16-byte aligned so that the
    // trampoline's `call` sees the ABI's alignment.
    let sp = stack_hi - 16 - SWITCH_FRAME;
    let frame = sp as *mut u64;
    // SAFETY: the caller guarantees [stack_hi - SWITCH_FRAME - 16, stack_hi) is
    // writable and ours; every offset below stays inside that range.
    unsafe {
        // Slot 0: MXCSR in the low half, x87 control word in the next two bytes.
        frame.write(u64::from(MXCSR_DEFAULT) | (u64::from(FPUCW_DEFAULT) << 32));
        frame.add(1).write(0); // r15
        frame.add(2).write(0); // r14
        frame.add(3).write(entry as *const () as usize as u64); // r13: entry function
        frame.add(4).write(arg as u64); // r12: its argument
        frame.add(5).write(0); // rbx
        frame.add(6).write(0); // rbp: end of the frame-pointer chain
        frame.add(7).write(gogo_start as *const () as usize as u64); // return address
        frame.add(8).write(0);
        frame.add(9).write(0);
    }
    buf.sp = sp;
}
// ANCHOR_END: gostartcall

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        static MAIN: Cell<*mut Gobuf> = const { Cell::new(std::ptr::null_mut()) };
        static CO: Cell<*mut Gobuf> = const { Cell::new(std::ptr::null_mut()) };
    }

    extern "C" fn child(arg: usize) -> ! {
        let counter = arg as *mut u64;
        loop {
            // SAFETY: the test keeps `counter` alive while it switches to us.
            unsafe { *counter += 1 };
            let (main, co) = (MAIN.with(Cell::get), CO.with(Cell::get));
            // SAFETY: both buffers live in the test's frame; `main` was saved
            // by the test's own call to swapcontext.
            unsafe { swapcontext(co, main) };
        }
    }

    #[test]
    fn switch_round_trips_and_keeps_float_state() {
        let mut stack = vec![0u128; 4096]; // 64 KiB, 16-byte aligned
        let hi = stack.as_mut_ptr() as usize + stack.len() * 16;
        let mut counter = 0u64;
        let mut main = Gobuf::default();
        let mut co = Gobuf::default();
        // SAFETY: `stack` is ours, aligned, and outlives every switch below.
        unsafe { gostartcall(&mut co, hi, child, &mut counter as *mut u64 as usize) };
        MAIN.with(|c| c.set(&mut main));
        CO.with(|c| c.set(&mut co));
        let x = std::hint::black_box(1.5f64);
        for i in 1..=1000u64 {
            // SAFETY: `co` was prepared by gostartcall or saved by the child.
            unsafe { swapcontext(&mut main, &co) };
            assert_eq!(counter, i);
        }
        assert_eq!(x * 2.0, 3.0);
    }
}
