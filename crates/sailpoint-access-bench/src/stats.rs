//! Summaries of samples and the JSON lines the harness prints.

use serde_json::{json, Value};

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Prints results of one scenario, one JSON object per line.
pub struct Out {
    scenario: &'static str,
}

impl Out {
    pub fn new(scenario: &'static str) -> Self {
        Self { scenario }
    }

    fn emit(&self, mut line: Value) {
        line["scenario"] = json!(self.scenario);
        println!("{line}");
    }

    /// The parameters the scenario ran with.
    pub fn meta(&self, params: Value) {
        self.emit(json!({
            "kind": "meta",
            "params": params,
            "profile": if cfg!(debug_assertions) { "debug" } else { "release" },
        }));
    }

    /// A series of samples: median, mean, percentiles, extremes.
    pub fn series(&self, name: &str, unit: &str, samples: &[f64]) {
        assert!(!samples.is_empty(), "series {name} has no samples");
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        // The true median (mean of the middle two for an even count).
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        self.emit(json!({
            "kind": "series",
            "name": name,
            "unit": unit,
            "n": n,
            "median": median,
            "mean": sorted.iter().sum::<f64>() / n as f64,
            "min": sorted[0],
            "p1": percentile(&sorted, 1.0),
            "p25": percentile(&sorted, 25.0),
            "p75": percentile(&sorted, 75.0),
            "p99": percentile(&sorted, 99.0),
            "max": sorted[n - 1],
        }));
    }

    /// One measured value.
    pub fn value(&self, name: &str, unit: &str, value: f64) {
        self.emit(json!({ "kind": "value", "name": name, "unit": unit, "value": value }));
    }
}
