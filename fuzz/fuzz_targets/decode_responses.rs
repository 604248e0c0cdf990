//! Any bytes as the response body of every operation: the client's decode
//! path never panics, accepted bodies round-trip, refused ones give a decode
//! error with a path and short texts. The first line is also read as a
//! `Retry-After` value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sailpoint_access::fuzzing;

fuzz_target!(|data: &[u8]| {
    fuzzing::decode_every_operation(data);
    if let Some(line) = data.split(|b| *b == b'\n').next() {
        if let Ok(text) = std::str::from_utf8(line) {
            // Whatever is read is a duration; reading never panics.
            let _ = fuzzing::retry_after(text);
        }
    }
});
