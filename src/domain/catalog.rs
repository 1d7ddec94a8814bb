//! The default catalog: the GenAI services and the escalation policies a new server starts with,
//! and the estate the simulator, the fixtures and the tests play in. Data only; a server seeds its
//! store with it (`server::catalog`).

use super::{EscalationLevel, EscalationPolicy, Service, Tier};

/// Services of a typical generative-AI estate.
pub fn services() -> Vec<Service> {
    let svc = |id: &str, name: &str, description: &str, policy: &str| Service {
        id: id.into(),
        name: name.into(),
        description: description.into(),
        escalation_policy_id: policy.into(),
    };
    vec![
        svc(
            "llm-gateway",
            "LLM Gateway",
            "Routes prompts to model providers; rate limits, retries, fallbacks",
            "genai-core",
        ),
        svc(
            "support-assistant",
            "Support Assistant",
            "Customer-facing chat assistant with intent routing",
            "genai-core",
        ),
        svc("doc-processor", "Document Processor", "OCR, extraction and summarisation pipeline", "genai-platform"),
        svc("rag-retrieval", "RAG Retrieval", "Vector index and retrieval for grounded answers", "genai-platform"),
        svc(
            "safety-filter",
            "Safety Filter",
            "Moderation and jailbreak detection on prompts and answers",
            "genai-core",
        ),
        svc("embedding-service", "Embedding Service", "Embeddings for indexing and semantic search", "genai-platform"),
        svc("billing-meter", "Billing Meter", "Token usage metering and cost attribution", "genai-platform"),
    ]
}

/// Two policies: the customer-facing core and the platform behind it.
pub fn policies() -> Vec<EscalationPolicy> {
    let policy = |id: &str, name: &str, people: [&[&str]; 4], minutes: [u32; 4]| EscalationPolicy {
        id: id.into(),
        name: name.into(),
        levels: Tier::ALL
            .iter()
            .zip(people)
            .zip(minutes)
            .map(|((tier, targets), escalate_after_minutes)| EscalationLevel {
                tier: *tier,
                targets: targets.iter().map(|t| t.to_string()).collect(),
                escalate_after_minutes,
            })
            .collect(),
    };
    vec![
        policy(
            "genai-core",
            "GenAI core (customer-facing)",
            [&["dana", "lee"], &["sam", "omar"], &["priya", "mei"], &["alex", "jordan"]],
            [5, 10, 15, 30],
        ),
        policy(
            "genai-platform",
            "GenAI platform",
            [&["lee", "dana"], &["omar", "sam"], &["mei", "priya"], &["jordan", "alex"]],
            [10, 15, 30, 60],
        ),
    ]
}
