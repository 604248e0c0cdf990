//! Bring your own `reqwest::Client` (proxies, extra root certificates, pool
//! settings) and hand it to the SDK with `.http_client(..)`.
//!
//! ```sh
//! cargo run -p sailpoint-access --example custom_http_client
//! SAIL_PROXY=http://proxy.internal:3128 cargo run -p sailpoint-access --example custom_http_client
//! ```
//!
//! A caller-supplied client keeps its own settings, so it must refuse
//! redirects itself: otherwise the token request could be redirected to
//! another host. The proxy comes from `SAIL_PROXY` or `HTTPS_PROXY` when one
//! is set; otherwise no proxy at all is used, not even the system's.

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use sailpoint_access_sandbox::Sandbox;
use support::Outcome;

#[tokio::main]
async fn main() {
    support::main("custom_http_client", run()).await;
}

async fn run() -> Outcome<()> {
    let target = support::target(Sandbox::builder().seed_statuses(12)).await?;

    let proxy = ["SAIL_PROXY", "HTTPS_PROXY"]
        .iter()
        .find_map(|name| std::env::var(name).ok().map(|url| (*name, url)))
        .filter(|(_, url)| !url.is_empty());
    let mut http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .pool_idle_timeout(Duration::from_secs(30))
        .user_agent(format!(
            "{} custom-http-example",
            sailpoint_access::USER_AGENT
        ));
    http = match &proxy {
        Some((name, url)) => {
            println!("proxy: every request goes through {url} (from {name})");
            http.proxy(reqwest::Proxy::all(url.as_str())?)
        }
        None => {
            println!("proxy: none (SAIL_PROXY and HTTPS_PROXY are unset), connecting directly");
            http.no_proxy()
        }
    };
    println!("redirects: refused by the supplied client");

    let client = target.builder.http_client(http.build()?).build()?;

    let page = client.statuses().limit(5).count(true).page().await?;
    println!(
        "first page: {} item(s) of {} in total",
        page.items.len(),
        page.total
            .map(|t| t.to_string())
            .unwrap_or_else(|| "?".into())
    );
    for status in &page.items {
        println!(
            "  {:<32} {}",
            status.name.as_deref().unwrap_or("-"),
            status
                .state
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default()
        );
    }
    Ok(())
}
