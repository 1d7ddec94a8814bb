//! Tests of the fake PagerDuty itself (tests/support/pagerduty/), sent with plain reqwest through
//! the real Prism in front of it.

#[path = "support/pagerduty/mod.rs"]
mod pagerduty;

use pagerduty::{FakePagerDuty, NewIncident};

#[tokio::test]
async fn smoke() {
    let fake = FakePagerDuty::start().await;
    let svc = fake.add_service("Checkout");
    let id = fake.add_incident(NewIncident::new("Down", &svc));
    let r = reqwest::Client::new()
        .get(format!("{}/incidents/{id}", fake.url()))
        .header("Authorization", format!("Token token={}", fake.token()))
        .header("Accept", pagerduty::VENDOR_MEDIA_TYPE)
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(fake.violations().is_empty(), "{:#?}", fake.violations());
}
