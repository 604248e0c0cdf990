//! One folder per operation family: each builder validates its input, then
//! hands the engine one operation of the generated table.

pub(crate) mod access_requests;
pub(crate) mod approvals;
pub(crate) mod config;
pub(crate) mod lookups;
pub(crate) mod statuses;

use sailpoint_access_api::Rule;

use crate::error::ValidationError;

/// A text that is not blank, else `rule` is broken (the value shown quoted).
pub(crate) fn check_not_blank(text: &str, rule: Rule) -> Result<(), ValidationError> {
    if text.trim().is_empty() {
        return Err(ValidationError::new(rule, format!("{text:?}")));
    }
    Ok(())
}

/// Sends `$body` as operation `$op` through the generated builder `$method`
/// (then the builder calls that follow it, such as a path id), the body
/// cloned for each attempt; evaluates to the engine's answer.
macro_rules! send_body {
    ($engine:expr, $op:ident, $body:expr, $method:ident $(.$call:ident($arg:expr))*) => {{
        let engine = &$engine;
        let raw = engine.raw();
        let body = $body;
        engine
            .execute(&sailpoint_access_api::operations::$op, || {
                raw.$method()$(.$call($arg))*.body(body.clone()).send()
            })
            .await
    }};
}
pub(crate) use send_body;
