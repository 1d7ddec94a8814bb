//! The Incidents list's filter over a large list, as a keystroke in the filter bar applies it:
//! every row's fields matched against the new text. `cargo bench --bench filter` (1,000,000
//! incidents, resolved ones held compact as the merge holds them); `FILTER_INCIDENTS=100000`
//! for fewer.
//!
//! Each text is typed one character at a time, every prefix a keystroke, as the filter bar
//! sends it; the figure is the slowest keystroke and the mean. The floor printed beside it is one
//! pass over the same rows reading every field's length (what any scan of the rows costs).

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};

use opsdeck::console::tabs::incidents::IncidentsTab;

fn main() {
    let n: usize =
        std::env::var("FILTER_INCIDENTS").ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(1_000_000);
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap();
    let mut tab = IncidentsTab::default();
    tab.queue_merge(opsdeck::fixtures::many_incidents(n, now));
    while tab.merge_slice(20_000) {}
    println!("filter over {n} incidents");
    for run in 1..=2 {
        let start = Instant::now();
        let floor: usize = tab.all_incidents().map(|i| i.id.len() + i.title.len() + i.service_id.len()).sum();
        let floor_took = start.elapsed();
        std::hint::black_box(floor);
        for text in ["p1 latency", "region 3", "nothing matches this", "INC-1234"] {
            let (mut slowest, mut total) = (Duration::ZERO, Duration::ZERO);
            let chars: Vec<char> = text.chars().collect();
            for end in 1..=chars.len() {
                let typed: String = chars[..end].iter().collect();
                let start = Instant::now();
                tab.set_filter(&typed);
                let took = start.elapsed();
                slowest = slowest.max(took);
                total += took;
            }
            let shown = tab.visible_len();
            println!(
                "run {run}: {text:?} typed: slowest keystroke {:.1} ms, mean {:.1} ms, {shown} rows shown; \
                 one scan of the rows {:.1} ms",
                slowest.as_secs_f64() * 1e3,
                total.as_secs_f64() * 1e3 / chars.len() as f64,
                floor_took.as_secs_f64() * 1e3,
            );
            tab.set_filter("");
        }
    }
}
