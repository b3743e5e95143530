//! Mirrors Go src/context/context.go (go1.27): cancellation, deadlines and request-scoped values carried down a call tree.
//!
//! A [`Context`] is a node in a tree rooted at [`background`]. Cancelling a
//! node cancels its whole subtree, never its parent. Each cancellable node
//! (Go's `cancelCtx`) owns a channel that is closed when it is cancelled;
//! [`Context::done`] hands out its receiving end, so a goroutine can wait
//! for cancellation in a `select!` beside its other work. A node with a
//! deadline (Go's `timerCtx`) cancels itself with
//! [`ContextError::DeadlineExceeded`] from a runtime timer.
//!
//! As in Go, a child registers with its nearest cancellable ancestor
//! (`propagateCancel`), so cancellation walks down the tree without a
//! goroutine per node; and the [`CancelFunc`] must be called when the work
//! is done, or the child stays registered until the parent is cancelled.
//! gort does not call it on drop: `let (ctx, _) = with_cancel(..)` would
//! then cancel at once.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::chan::{Receiver, Sender, bounded};

/// Why a context was cancelled (Go's `context.Canceled` and
/// `context.DeadlineExceeded`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextError {
    /// Its [`CancelFunc`] (or an ancestor's) was called: "context canceled".
    Canceled,
    /// Its deadline (or an ancestor's) passed: "context deadline exceeded".
    DeadlineExceeded,
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ContextError::Canceled => "context canceled",
            ContextError::DeadlineExceeded => "context deadline exceeded",
        })
    }
}

impl std::error::Error for ContextError {}

impl From<ContextError> for std::io::Error {
    fn from(e: ContextError) -> std::io::Error {
        // Not `Interrupted` for a cancel: `write_all` and friends retry that.
        let kind = match e {
            ContextError::Canceled => std::io::ErrorKind::Other,
            ContextError::DeadlineExceeded => std::io::ErrorKind::TimedOut,
        };
        std::io::Error::new(kind, e)
    }
}

/// A deadline, a cancellation signal and values, passed down to the calls
/// doing one piece of work (Go's `context.Context`). Cheap to clone: clones
/// are the same node.
///
/// ```
/// use std::time::Duration;
/// use gort_runtime::context::{self, ContextError};
/// gort_runtime::run(|| {
///     let (ctx, cancel) = context::with_cancel(&context::background());
///     let (child, _cancel_child) = context::with_timeout(&ctx, Duration::from_secs(60));
///     let worker = gort_runtime::spawn(move || {
///         child.done().recv(); // parks until cancelled
///         child.err()
///     });
///     cancel.cancel(); // cancels ctx and, through it, child
///     assert_eq!(worker.join().unwrap(), Some(ContextError::Canceled));
/// });
/// ```
#[derive(Clone)]
pub struct Context(Arc<Node>);

struct Node {
    parent: Option<Context>,
    kind: Kind,
}

enum Kind {
    /// Go's `backgroundCtx` and `todoCtx` (the flag says which, for Debug).
    Root { todo: bool },
    /// Go's `cancelCtx`, and `timerCtx` when `deadline` is set.
    Cancel(CancelCtx),
    /// Go's `valueCtx`.
    Value {
        key: Box<dyn Any + Send + Sync>,
        val: Arc<dyn Any + Send + Sync>,
    },
}

struct CancelCtx {
    /// Closed (by `close`) when this node is cancelled.
    done_tx: Sender<()>,
    done_rx: Receiver<()>,
    /// Go's `timerCtx.deadline`: set only when it is earlier than every
    /// ancestor's.
    deadline: Option<Instant>,
    state: Mutex<CancelState>,
}

/// Changed only under `CancelCtx::state`'s lock (Go's `cancelCtx.mu`).
#[derive(Default)]
struct CancelState {
    /// Set once, by the first cancel.
    err: Option<ContextError>,
    /// Registered descendants (Go's `children`), dropped when cancelled.
    children: Vec<Weak<Node>>,
    /// The deadline's timer (Go's `timerCtx.timer`), stopped on cancel.
    timer: Option<crate::time::AfterFunc>,
}

/// Cancels the context it came with (Go's `context.CancelFunc`). Calling
/// it again does nothing. Cloneable, so any goroutine may hold one.
#[derive(Clone)]
pub struct CancelFunc(Context);

impl CancelFunc {
    /// Cancels the context and its descendants with
    /// [`ContextError::Canceled`], unless it was already cancelled, and
    /// unregisters it from its parent.
    pub fn cancel(&self) {
        self.0.cancel(true, ContextError::Canceled);
    }
}

impl fmt::Debug for CancelFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CancelFunc").field(&self.0).finish()
    }
}

/// The root context: never cancelled, no deadline, no values (Go's
/// `context.Background`). Start every tree here.
#[doc(alias = "Background")]
pub fn background() -> Context {
    static BACKGROUND: OnceLock<Context> = OnceLock::new();
    BACKGROUND
        .get_or_init(|| {
            Context(Arc::new(Node {
                parent: None,
                kind: Kind::Root { todo: false },
            }))
        })
        .clone()
}

/// A root context for code not yet given one (Go's `context.TODO`).
#[doc(alias = "TODO")]
pub fn todo() -> Context {
    Context(Arc::new(Node {
        parent: None,
        kind: Kind::Root { todo: true },
    }))
}

/// The channel of a context that is never cancelled: its sender lives in a
/// static, so it is never closed.
fn never() -> Receiver<()> {
    static NEVER: OnceLock<(Sender<()>, Receiver<()>)> = OnceLock::new();
    NEVER.get_or_init(|| bounded(0)).1.clone()
}

/// A child of `parent` that is cancelled when the returned [`CancelFunc`]
/// is called or when `parent` is (Go's `context.WithCancel`).
#[doc(alias = "WithCancel")]
pub fn with_cancel(parent: &Context) -> (Context, CancelFunc) {
    let ctx = new_cancel_ctx(parent, None);
    (ctx.clone(), CancelFunc(ctx))
}

/// A child of `parent` that is also cancelled, with
/// [`ContextError::DeadlineExceeded`], at `deadline` (Go's
/// `context.WithDeadline`). If `parent` has an earlier deadline, that one
/// governs.
///
/// Works in and out of goroutines; outside one, the deadline is kept by a
/// helper thread.
#[doc(alias = "WithDeadline")]
pub fn with_deadline(parent: &Context, deadline: Instant) -> (Context, CancelFunc) {
    if parent.deadline().is_some_and(|cur| cur <= deadline) {
        // The parent gives up first anyway (Go does the same).
        return with_cancel(parent);
    }
    let ctx = new_cancel_ctx(parent, Some(deadline));
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        ctx.cancel(true, ContextError::DeadlineExceeded);
        return (ctx.clone(), CancelFunc(ctx));
    }
    let Kind::Cancel(c) = &ctx.0.kind else {
        unreachable!("new_cancel_ctx makes cancel nodes")
    };
    let mut st = c.state.lock();
    if st.err.is_none() {
        // The timer holds the node weakly: a context dropped by everyone
        // needs no cancelling.
        let weak = Arc::downgrade(&ctx.0);
        let fire = move || {
            if let Some(node) = weak.upgrade() {
                Context(node).cancel(true, ContextError::DeadlineExceeded);
            }
        };
        if crate::goid().is_some() {
            st.timer = Some(crate::time::after_func(left, fire));
        } else {
            std::thread::spawn(move || {
                std::thread::sleep(left);
                fire();
            });
        }
    }
    drop(st);
    (ctx.clone(), CancelFunc(ctx))
}

/// [`with_deadline`] at `timeout` from now (Go's `context.WithTimeout`).
#[doc(alias = "WithTimeout")]
pub fn with_timeout(parent: &Context, timeout: Duration) -> (Context, CancelFunc) {
    with_deadline(parent, Instant::now() + timeout)
}

/// A child of `parent` carrying `val` under `key` (Go's
/// `context.WithValue`). Keys are compared by type and `==`; use a type of
/// your own so that keys of different packages cannot collide.
///
/// ```
/// use gort_runtime::context;
/// #[derive(PartialEq)]
/// struct RequestId;
/// let ctx = context::with_value(&context::background(), RequestId, 42u64);
/// assert_eq!(ctx.value::<_, u64>(&RequestId).as_deref(), Some(&42));
/// assert!(context::background().value::<_, u64>(&RequestId).is_none());
/// ```
#[doc(alias = "WithValue")]
pub fn with_value<K, V>(parent: &Context, key: K, val: V) -> Context
where
    K: Any + PartialEq + Send + Sync,
    V: Any + Send + Sync,
{
    Context(Arc::new(Node {
        parent: Some(parent.clone()),
        kind: Kind::Value {
            key: Box::new(key),
            val: Arc::new(val),
        },
    }))
}

/// A cancel node under `parent`, registered with its nearest cancellable
/// ancestor, or cancelled at once if that ancestor already is (Go's
/// `withCancel` + `propagateCancel`).
fn new_cancel_ctx(parent: &Context, deadline: Option<Instant>) -> Context {
    let (done_tx, done_rx) = bounded(0);
    let ctx = Context(Arc::new(Node {
        parent: Some(parent.clone()),
        kind: Kind::Cancel(CancelCtx {
            done_tx,
            done_rx,
            deadline,
            state: Mutex::new(CancelState::default()),
        }),
    }));
    if let Some(anc) = parent.cancel_ancestor() {
        let Kind::Cancel(a) = &anc.0.kind else {
            unreachable!("cancel_ancestor returns cancel nodes")
        };
        let mut st = a.state.lock();
        match st.err {
            Some(err) => {
                drop(st);
                ctx.cancel(false, err);
            }
            None => {
                // Forget children that are gone, so that a long-lived
                // parent does not grow a list of dead ones.
                st.children.retain(|w| w.strong_count() > 0);
                st.children.push(Arc::downgrade(&ctx.0));
            }
        }
    }
    ctx
}

impl Context {
    /// The nearest cancellable node at or above this one (Go's
    /// `parentCancelCtx`).
    fn cancel_ancestor(&self) -> Option<&Context> {
        let mut c = self;
        loop {
            match &c.0.kind {
                Kind::Cancel(_) => return Some(c),
                Kind::Root { .. } => return None,
                Kind::Value { .. } => c = c.0.parent.as_ref()?,
            }
        }
    }

    /// Cancels this node and its registered descendants with `err` (Go's
    /// `cancelCtx.cancel`); with `remove`, also unregisters it from its
    /// ancestor.
    fn cancel(&self, remove: bool, err: ContextError) {
        let Kind::Cancel(c) = &self.0.kind else {
            return;
        };
        let children = {
            let mut st = c.state.lock();
            if st.err.is_some() {
                return;
            }
            st.err = Some(err);
            if let Some(t) = st.timer.take() {
                t.stop();
            }
            std::mem::take(&mut st.children)
        };
        // Receivers of `done` wake and see the channel closed.
        c.done_tx.close();
        for child in children.iter().filter_map(Weak::upgrade) {
            Context(child).cancel(false, err);
        }
        if remove
            && let Some(anc) = self.0.parent.as_ref().and_then(Context::cancel_ancestor)
            && let Kind::Cancel(a) = &anc.0.kind
        {
            let me = Arc::as_ptr(&self.0);
            a.state.lock().children.retain(|w| w.as_ptr() != me);
        }
    }

    /// When this context will be cancelled by a deadline, if it has one
    /// (Go's `Deadline`).
    #[doc(alias = "Deadline")]
    pub fn deadline(&self) -> Option<Instant> {
        let mut c = self;
        loop {
            if let Kind::Cancel(CancelCtx {
                deadline: Some(d), ..
            }) = &c.0.kind
            {
                return Some(*d);
            }
            c = c.0.parent.as_ref()?;
        }
    }

    /// Whether anything can ever cancel this context (Go's `ctx.Done() !=
    /// nil`): false for [`background`], [`todo()`] and values on them, so
    /// callers can skip watching [`done`](Self::done).
    pub fn cancellable(&self) -> bool {
        self.cancel_ancestor().is_some()
    }

    /// A channel that is closed when this context is cancelled (Go's
    /// `Done`): `recv` returns `None` then. For [`background`] it is never
    /// closed. Use it as a `select!` case.
    #[doc(alias = "Done")]
    pub fn done(&self) -> Receiver<()> {
        match self.cancel_ancestor() {
            Some(Context(node)) => match &node.kind {
                Kind::Cancel(c) => c.done_rx.clone(),
                _ => never(),
            },
            None => never(),
        }
    }

    /// Why this context was cancelled, or `None` while it is not (Go's
    /// `Err`).
    #[doc(alias = "Err")]
    pub fn err(&self) -> Option<ContextError> {
        match &self.cancel_ancestor()?.0.kind {
            Kind::Cancel(c) => c.state.lock().err,
            _ => None,
        }
    }

    /// The value stored under `key` by the nearest [`with_value`] above,
    /// if it is a `V` (Go's `Value`).
    #[doc(alias = "Value")]
    pub fn value<K: Any + PartialEq, V: Any + Send + Sync>(&self, key: &K) -> Option<Arc<V>> {
        let mut c = self;
        loop {
            if let Kind::Value { key: k, val } = &c.0.kind
                && (**k).downcast_ref::<K>() == Some(key)
            {
                return val.clone().downcast::<V>().ok();
            }
            c = c.0.parent.as_ref()?;
        }
    }
}

impl fmt::Debug for Context {
    /// Go's `String` of a context: its construction path.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.kind {
            Kind::Root { todo: false } => f.write_str("context.Background"),
            Kind::Root { todo: true } => f.write_str("context.TODO"),
            Kind::Cancel(c) => {
                let parent = self.0.parent.as_ref().expect("cancel nodes have parents");
                match c.deadline {
                    Some(d) => write!(f, "{parent:?}.WithDeadline({d:?})"),
                    None => write!(f, "{parent:?}.WithCancel"),
                }
            }
            Kind::Value { .. } => {
                let parent = self.0.parent.as_ref().expect("value nodes have parents");
                write!(f, "{parent:?}.WithValue")
            }
        }
    }
}
