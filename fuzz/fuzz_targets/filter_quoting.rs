//! Any string through the facade's filter quoting and the sandbox's filter
//! parser: a quoted value always parses and matches exactly itself, and any
//! expression at all is parsed or refused without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sailpoint_access::Filter;
use sailpoint_access_api::types::RequestedItemStatus;

use sailpoint_access_sandbox::filter::ParsedFilter as Parsed;

fn status(value: &str) -> RequestedItemStatus {
    RequestedItemStatus {
        account_activity_item_id: Some(value.to_owned()),
        access_request_id: Some(value.to_owned()),
        ..Default::default()
    }
}

fn parse(filter: &Filter) -> Parsed {
    Parsed::parse(filter.as_str())
        .unwrap_or_else(|e| panic!("{:?} does not parse: {e}", filter.as_str()))
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };
    // Raw input as an expression: parsed or refused, never a panic.
    let _ = Parsed::parse(value);

    let same = status(value);
    let other = status(&format!("{value}\""));
    let eq = parse(&Filter::account_activity_item_id().eq(value));
    assert!(eq.matches(&same) && !eq.matches(&other));
    let ne = parse(&Filter::access_request_id().ne(value));
    assert!(!ne.matches(&same) && ne.matches(&other));
    let within = parse(&Filter::access_request_id().in_([value, "x"]));
    assert!(within.matches(&same));
    let prefix = parse(&Filter::account_activity_item_id().sw(value));
    assert!(prefix.matches(&same) && prefix.matches(&other));
    let both = parse(
        &Filter::account_activity_item_id()
            .eq(value)
            .and(Filter::access_request_id().ge(value)),
    );
    assert!(both.matches(&same));
});
