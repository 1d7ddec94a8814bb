//! End to end: tickets in the real binary, in a pseudo-terminal, against `opsdeck serve` with
//! three users — assigning only to users the server knows, and following a ticket's link to its
//! incident and back.

#[path = "support/console.rs"]
mod console;
#[path = "support/pty.rs"]
mod pty;

use console::World;
use pty::ERIN_TOKEN;
use serde_json::json;

#[test]
fn assign_completes_known_users_and_refuses_a_name_nobody_has() {
    let world = World::new();
    let body = json!({
        "subject": "Chatbot told a customer our warranty lasts 5 years",
        "customer": "Contoso Retail",
        "service_id": "support-assistant",
        "priority": "P1",
        "description": "Transcript attached: the chatbot said our warranty lasts 5 years. It is two.",
    });
    let (key, mut console, _dirs) = world.ticket_and_console(body);

    console.keys(b"2");
    console.wait_all(&[&key, "warranty"]);
    console.keys(b"\r");
    console.wait_text("It is two.");
    console.keys(b"Anobody-such");
    console.wait_text("no known user starts with “nobody-such”");
    console.keys(b"\r");
    let screen = console.wait_text("no user `nobody-such` is known to the backend");
    assert!(screen.contains(&format!("assign {key} to: nobody-such")), "the typed name stays:\n{screen}");
    // Erase it, then complete dana's name.
    console.keys(&[0x7f; 11]);
    console.keys(b"da\t");
    console.wait_text("✓ dana");
    console.keys(b"\r");
    console.wait_text(&format!("✓ {key} assigned"));
    let stored = world.api.get_path(ERIN_TOKEN, &format!("/v1/tickets/{key}"));
    assert_eq!(stored["assignee"], "dana", "{stored:#}");
    assert_eq!(stored["history"].as_array().map(Vec::len), Some(2), "nothing was sent for nobody-such: {stored:#}");
}

#[test]
fn a_ticket_opens_its_incident_and_esc_comes_back() {
    let world = World::new();
    let incident = world.api.create(ERIN_TOKEN, "Gateway 5xx for every customer", "P1");
    let id = incident["id"].as_str().expect("id").to_string();
    let body = json!({
        "subject": "Our production chat is broken",
        "customer": "Northwind Travel",
        "service_id": "llm-gateway",
        "priority": "P1",
        "linked_incident": id,
    });
    let (key, mut console, _dirs) = world.ticket_and_console(body);

    console.keys(b"2");
    console.wait_text(&key);
    console.keys(b"\r");
    console.wait_text(&format!("linked to {id} (i opens it)"));
    console.keys(b"i");
    console.wait_all(&["timeline", &format!("ticket: {key} (Northwind Travel, new) · T opens it")]);
    console.keys(b"\x1b");
    let screen = console.wait_text("history");
    assert!(screen.contains(&format!("linked to {id}")), "back on the ticket:\n{screen}");
}
