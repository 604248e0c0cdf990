//! The file-locked budget: one small JSON state file per key in a
//! directory, read and rewritten under an exclusive lock, for processes on
//! one host (the lock is the operating system's, released if a holder dies).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::{
    backend_error, now_ms, slot_budget, wait_of, BudgetKey, BudgetSlot, SharedPace, SlotAnswer,
    SlotOp, BACKEND_TIMEOUT,
};
use crate::error::Result;

/// A rate budget in a directory shared by the processes of one host.
#[derive(Clone, Debug)]
pub struct FileBudget {
    dir: PathBuf,
}

impl FileBudget {
    /// A budget kept in `dir` (created by the first call when missing).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn name(&self) -> String {
        format!("file:{}", self.dir.display())
    }

    /// Runs `change` on the key's state under the lock, off the runtime's
    /// threads, within [`BACKEND_TIMEOUT`].
    async fn update<T: Send + 'static>(
        &self,
        key: &BudgetKey,
        change: impl FnOnce(&mut SharedPace, f64) -> T + Send + 'static,
    ) -> Result<T> {
        let dir = self.dir.clone();
        let path = dir.join(format!("{}.json", key.encoded()));
        let work = tokio::task::spawn_blocking(move || -> std::io::Result<T> {
            std::fs::create_dir_all(&dir)?;
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)?;
            file.lock()?;
            let result = read_modify_write(&mut file, change);
            // Closing the file releases the lock as well.
            let _ = file.unlock();
            result
        });
        match tokio::time::timeout(BACKEND_TIMEOUT, work).await {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(e))) => Err(backend_error(&self.name(), e)),
            Ok(Err(e)) => Err(backend_error(&self.name(), e)),
            Err(_) => Err(backend_error(
                &self.name(),
                format!("no answer within {BACKEND_TIMEOUT:?} (a lock held too long?)"),
            )),
        }
    }
}

fn read_modify_write<T>(
    file: &mut File,
    change: impl FnOnce(&mut SharedPace, f64) -> T,
) -> std::io::Result<T> {
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    let now = now_ms();
    // An empty or unreadable file (first use, a crash mid-write) starts afresh.
    let mut state = serde_json::from_str::<SharedPace>(&text)
        .ok()
        .filter(|s| s.rate.is_finite() && s.rate > 0.0)
        .unwrap_or_else(|| SharedPace::fresh(now));
    let value = change(&mut state, now);
    let bytes = serde_json::to_vec(&state).map_err(std::io::Error::other)?;
    file.seek(SeekFrom::Start(0))?;
    file.set_len(0)?;
    file.write_all(&bytes)?;
    Ok(value)
}

impl FileBudget {
    /// Runs `op` on the key's state in the file.
    async fn answer(&self, key: &BudgetKey, op: SlotOp) -> Result<SlotAnswer> {
        self.update(key, move |s, now| match op {
            SlotOp::Take(limit) => {
                let at = s.take_slot(now, limit);
                SlotAnswer::slot(BudgetSlot {
                    wait: wait_of(at - now),
                    at: Some(at),
                })
            }
            SlotOp::Check(slot) => SlotAnswer::voided(s.voids(slot)),
            SlotOp::Throttle(limit, pause, slot) => {
                s.throttle(now, pause.as_secs_f64() * 1000.0, limit, slot);
                SlotAnswer::default()
            }
        })
        .await
    }
}

slot_budget!(FileBudget);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::budget::RateBudget;
    use crate::engine::pace::RateLimit;
    use sailpoint_access_api::Family;
    use std::time::Duration;

    #[tokio::test]
    async fn sharers_of_one_directory_take_distinct_slots() {
        let dir = std::env::temp_dir().join(format!("sail-budget-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let key = BudgetKey {
            host: "h".into(),
            client_id: "c".into(),
            family: Family::V3,
        };
        let limit = RateLimit::new(10, Duration::from_secs(1));
        let a = FileBudget::new(&dir);
        let b = FileBudget::new(&dir);
        let started = std::time::Instant::now();
        let first = a.take(&key, limit).await.unwrap();
        let second = b.take(&key, limit).await.unwrap();
        assert!(first < Duration::from_millis(5), "{first:?}");
        // The second slot is one interval (101 ms) after the first, however
        // long the two calls took.
        let second_at = started.elapsed() + second;
        assert!(second_at >= Duration::from_millis(95), "{second_at:?}");
        // Another client id has its own schedule.
        let other = BudgetKey {
            client_id: "d".into(),
            ..key.clone()
        };
        assert!(a.take(&other, limit).await.unwrap() < Duration::from_millis(5));
        // A file that is not a state starts afresh instead of failing.
        std::fs::write(dir.join(format!("{}.json", other.encoded())), "garbage").unwrap();
        assert!(a.take(&other, limit).await.unwrap() < Duration::from_millis(5));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
