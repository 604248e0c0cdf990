//! The state the handlers, the gate layer and the handle share. It sits
//! below the handlers and the router: it knows the store, the fault knobs,
//! the tokens and the counters, and nothing about HTTP routing.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use sailpoint_access_api::Timestamp;

use crate::auth::{Settings, Tokens};
use crate::faults::FaultState;
use crate::operation::Operation;
use crate::state::Store;

/// Everything the handlers and the handle share.
pub(crate) struct Shared {
    store: RwLock<Store>,
    faults: Mutex<FaultState>,
    tokens: Mutex<Tokens>,
    settings: RwLock<Settings>,
    pub(crate) offset_quirk: AtomicBool,
    received: [AtomicU64; Operation::ALL.len()],
    pub(crate) accepted_creates: AtomicU64,
    /// Whether the store has a lifecycle that runs by itself, so requests
    /// without one skip the write lock of [`Shared::tick`].
    pub(crate) auto_lifecycle: AtomicBool,
}

// A panic while a lock is held must not wedge the sandbox for the rest of a
// test run: poisoned locks are used as they are.
impl Shared {
    pub(crate) fn new(
        store: Store,
        faults: FaultState,
        tokens: Tokens,
        settings: Settings,
        offset_quirk: bool,
    ) -> Self {
        Self {
            store: RwLock::new(store),
            faults: Mutex::new(faults),
            tokens: Mutex::new(tokens),
            settings: RwLock::new(settings),
            offset_quirk: AtomicBool::new(offset_quirk),
            received: std::array::from_fn(|_| AtomicU64::new(0)),
            accepted_creates: AtomicU64::new(0),
            auto_lifecycle: AtomicBool::new(false),
        }
    }

    pub(crate) fn store(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn store_mut(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, FaultState> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn tokens(&self) -> MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn settings(&self) -> RwLockReadGuard<'_, Settings> {
        self.settings.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn settings_mut(&self) -> RwLockWriteGuard<'_, Settings> {
        self.settings
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Brings the store up to date with the lifecycle that runs by itself
    /// (if any): called before every API request is handled and whenever
    /// the handle reads statuses.
    pub(crate) fn tick(&self) {
        if self.auto_lifecycle.load(Ordering::Relaxed) {
            self.store_mut().advance(Timestamp::now());
        }
    }

    /// Counts one request for `op`.
    pub(crate) fn count(&self, op: Operation) {
        self.received[op.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn received(&self, op: Operation) -> u64 {
        self.received[op.index()].load(Ordering::Relaxed)
    }

    pub(crate) fn reset_counters(&self) {
        for c in &self.received {
            c.store(0, Ordering::Relaxed);
        }
        self.accepted_creates.store(0, Ordering::Relaxed);
    }
}
