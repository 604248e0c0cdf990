//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`). Not a
//! public API: it exists so that fuzzing exercises the crate's own decode
//! path, not a copy of it.

use std::time::{Duration, SystemTime};

use sailpoint_access_api::types::{
    AccessRequestConfig, AccessRequestResponse, ErrorResponse, RequestedItemStatus,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use sailpoint_access_api::{operations, Operation};

use crate::engine::classify::decode_error;

/// Decodes `body` as the success response of every operation, as the client
/// does, and checks what it promises: an accepted body re-encodes and decodes
/// again, and a refused one gives a decode error with a path and short texts.
/// Panics when a promise is broken.
pub fn decode_every_operation(body: &[u8]) {
    check::<AccessRequestConfig>(body, &operations::GET_ACCESS_REQUEST_CONFIG);
    check::<AccessRequestConfig>(body, &operations::SET_ACCESS_REQUEST_CONFIG);
    check::<Vec<RequestedItemStatus>>(body, &operations::LIST_ACCESS_REQUEST_STATUS);
    check::<AccessRequestResponse>(body, &operations::CREATE_ACCESS_REQUEST);
    check::<serde_json::Map<String, serde_json::Value>>(body, &operations::CANCEL_ACCESS_REQUEST);
    check::<ErrorResponse>(body, &operations::GET_ACCESS_REQUEST_CONFIG);
}

fn check<T: DeserializeOwned + Serialize>(body: &[u8], op: &Operation) {
    match serde_json::from_slice::<T>(body) {
        Ok(value) => {
            let again = serde_json::to_vec(&value).expect("a decoded value encodes");
            serde_json::from_slice::<T>(&again).expect("an encoded value decodes");
        }
        Err(_) => {
            let error = decode_error::<T>(body, op);
            assert!(!error.path.is_empty(), "{error:?}");
            assert!(error.body_excerpt.chars().count() <= 201, "{error:?}");
            assert!(error.message.chars().count() <= 320, "{error:?}");
            assert!(error.status.is_none_or(|s| s == op.success), "{error:?}");
        }
    }
}

/// Reads a `Retry-After` value as the client does.
pub fn retry_after(value: &str) -> Option<Duration> {
    crate::engine::retry::parse_retry_after(value, SystemTime::now())
}
