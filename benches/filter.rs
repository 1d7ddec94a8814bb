//! The Incidents list's filter over a large list, as a keystroke in the filter bar applies it:
//! every row's fields matched against the new text. `cargo bench --bench filter` (1,000,000
//! incidents, resolved ones held compact as the merge holds them); `FILTER_INCIDENTS=100000`
//! for fewer.
//!
//! Each text is typed one character at a time, every prefix a keystroke, as the filter bar
//! sends it. A keystroke matches one slice of rows at once and the rest a slice per turn of the
//! loop (`filter_step`); here every keystroke's scan runs to its end before the next key. The
//! figures: the slowest turn (a keystroke's own, or one step: what stands between a frame and
//! the next), and the slowest and mean time from a keystroke until every row was matched. The
//! floor printed beside it is one pass over the same rows reading every field's length (what
//! any scan of the rows costs).

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
            let (mut slowest_turn, mut slowest_all, mut total_all) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
            let mut turns = 0usize;
            let chars: Vec<char> = text.chars().collect();
            for end in 1..=chars.len() {
                let typed: String = chars[..end].iter().collect();
                let start = Instant::now();
                tab.set_filter(&typed);
                let mut turn = start.elapsed();
                slowest_turn = slowest_turn.max(turn);
                loop {
                    let step = Instant::now();
                    let more = tab.filter_step();
                    turn = step.elapsed();
                    slowest_turn = slowest_turn.max(turn);
                    turns += 1;
                    if !more {
                        break;
                    }
                }
                let all = start.elapsed();
                slowest_all = slowest_all.max(all);
                total_all += all;
            }
            let shown = tab.visible_len();
            println!(
                "run {run}: {text:?} typed: slowest turn {:.1} ms ({turns} turns); all rows matched after a key: \
                 slowest {:.1} ms, mean {:.1} ms; {shown} rows shown; one scan of the rows {:.1} ms",
                slowest_turn.as_secs_f64() * 1e3,
                slowest_all.as_secs_f64() * 1e3,
                total_all.as_secs_f64() * 1e3 / chars.len() as f64,
                floor_took.as_secs_f64() * 1e3,
            );
            tab.set_filter("");
        }
    }
}
