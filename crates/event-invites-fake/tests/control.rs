//! The control API's fault rules (ids, refusals), the data it adds, and
//! what the fake servers answer a body that is not JSON, a base path and a
//! busy port.

use event_invites_fake::{ControlApi, FakeArtsvp, FakeSecureGate, Fault, FaultRule};
use serde_json::{Value, json};

struct Setup {
    artsvp: FakeArtsvp,
    securegate: FakeSecureGate,
    control: event_invites_fake::ControlServer,
    http: reqwest::Client,
}

async fn setup() -> Setup {
    let artsvp = FakeArtsvp::builder().unlimited().start().await.unwrap();
    let securegate = FakeSecureGate::start().await.unwrap();
    let control = ControlApi::new()
        .artsvp(&artsvp)
        .securegate(&securegate)
        .start()
        .await
        .unwrap();
    Setup {
        artsvp,
        securegate,
        control,
        http: reqwest::Client::new(),
    }
}

impl Setup {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.control.base_url()));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn artsvp_get(&self, path: &str) -> u16 {
        self.http
            .get(format!("{}{path}", self.artsvp.base_url()))
            .header("authorization", self.artsvp.api_key())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

fn error_text(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_rule_for_a_route_the_api_does_not_serve_is_refused_naming_the_routes() {
    let s = setup().await;
    for (rule, named) in [
        (
            json!({"fault": "status", "status": 503, "route": "/nope"}),
            "`route`",
        ),
        (
            json!({"fault": "status", "status": 503, "route": "/api/v2/events"}),
            "`route`",
        ),
        (
            json!({"fault": "status", "status": 503, "method": "DELETE", "route": "/events"}),
            "`method`",
        ),
        (
            json!({"fault": "status", "status": 503, "method": "PUT"}),
            "`method`",
        ),
    ] {
        let (status, body) = s.post("/artsvp/faults", rule.clone()).await;
        assert_eq!(status, 400, "{rule}");
        let text = error_text(&body);
        assert!(text.starts_with(named), "{rule}: {text}");
        assert!(
            text.contains("GET /invites/{id}"),
            "lists the routes: {text}"
        );
    }
    let (_, faults) = s.send(reqwest::Method::GET, "/artsvp/faults", None).await;
    assert_eq!(faults, json!([]), "nothing refused was added");
    // SecureGate has one route, and says so.
    let (status, body) = s
        .post(
            "/securegate/faults",
            json!({"fault": "drop_connection", "route": "/invites"}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(error_text(&body).contains("GET /events/{event_id}/invites"));
}

#[tokio::test]
async fn rules_get_ids_are_listed_and_are_removed_one_by_one() {
    let s = setup().await;
    let (status, first) = s
        .post(
            "/artsvp/faults",
            json!({"fault": "status", "status": 503, "route": "/events", "times": "always"}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(first["fault"], "status_503");
    let (_, second) = s
        .post(
            "/artsvp/faults",
            json!({"fault": "status", "status": 500, "route": "/collections", "share": {"strike": 1, "of": 2}}),
        )
        .await;
    assert_ne!(first["id"], second["id"]);
    let (status, listed) = s.send(reqwest::Method::GET, "/artsvp/faults", None).await;
    assert_eq!(status, 200);
    assert_eq!(listed[0]["id"], first["id"]);
    assert_eq!(listed[0]["times"], "always");
    assert_eq!(listed[1]["share"], json!({"strike": 1, "of": 2}));
    assert_eq!(s.artsvp_get("/events").await, 503);
    // A share of one in two: the first passes, the second is struck.
    assert_eq!(s.artsvp_get("/collections").await, 200);
    assert_eq!(s.artsvp_get("/collections").await, 500);

    let path = format!("/artsvp/faults/{}", first["id"]);
    let (status, _) = s.send(reqwest::Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    assert_eq!(s.artsvp_get("/events").await, 200, "the rule is gone");
    let (status, body) = s.send(reqwest::Method::DELETE, &path, None).await;
    assert_eq!(status, 404, "removed twice");
    assert!(error_text(&body).contains("GET /artsvp/faults"));
    let (status, body) = s
        .send(reqwest::Method::DELETE, "/artsvp/faults/two", None)
        .await;
    assert_eq!(status, 400);
    assert!(error_text(&body).contains("`two`"));
    let (_, listed) = s.send(reqwest::Method::GET, "/artsvp/faults", None).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "the other rule stays");
}

#[tokio::test]
async fn the_rust_api_refuses_the_same_rules_and_removes_by_id() {
    let s = setup().await;
    let err = s
        .artsvp
        .try_inject(FaultRule::new(Fault::Status(503)).on("GET", "/api/v2/events"))
        .unwrap_err();
    assert!(
        err.to_string().contains("no route `/api/v2/events`"),
        "{err}"
    );
    let id = s.artsvp.inject(
        FaultRule::new(Fault::Status(503))
            .on("GET", "/events")
            .always(),
    );
    assert_eq!(s.artsvp.faults().len(), 1);
    assert!(s.artsvp.remove_fault(id));
    assert!(s.artsvp.faults().is_empty());
    // A builder's rule is checked when the server starts.
    let refused = FakeArtsvp::builder()
        .fault(FaultRule::new(Fault::DropConnection).route("/nope"))
        .start()
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
    assert!(refused.to_string().contains("`/nope`"), "{refused}");
}

#[test]
#[should_panic(expected = "ARTSVP has no route `/nope`")]
fn inject_panics_on_a_rule_that_could_never_strike() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let fake = runtime.block_on(FakeArtsvp::start()).unwrap();
    fake.inject(FaultRule::new(Fault::Status(503)).route("/nope"));
}

#[tokio::test]
async fn securegate_invites_are_added_over_http() {
    let s = setup().await;
    let event = s.securegate.event_ids()[0].clone();
    let template = serde_json::to_value(&s.securegate.invites(&event)[0]).unwrap();
    let mut invite = template.clone();
    invite["invite_id"] = json!("added-1");
    let (status, body) = s
        .post(
            "/securegate/invites",
            json!({"event_id": "evt-new", "invites": [invite]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body, json!({"event_id": "evt-new", "added": 1}));
    assert_eq!(s.securegate.invites("evt-new").len(), 1);
    assert!(s.securegate.event_ids().contains(&"evt-new".to_string()));

    // A bad invite names what is wrong, not the value.
    let mut bad = template;
    bad["email"] = json!(12345);
    let (status, body) = s
        .post(
            "/securegate/invites",
            json!({"event_id": event, "invites": [bad]}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(error_text(&body).contains("invalid type"), "{body}");
    let (status, body) = s
        .post("/securegate/invites", json!({"event": "x", "invites": []}))
        .await;
    assert_eq!(status, 400);
    assert!(error_text(&body).contains("`event`"), "{body}");
    // ARTSVP adds bookings, not invites (it has an API for those).
    let (status, body) = s.post("/artsvp/invites", json!({})).await;
    assert_eq!(status, 404);
    assert!(
        error_text(&body).contains("POST /artsvp/bookings"),
        "{body}"
    );
}

#[tokio::test]
async fn a_securegate_invite_declines_over_http() {
    let s = setup().await;
    let event = s.securegate.event_ids()[0].clone();
    let id = s.securegate.invites(&event)[0].id.clone();
    let (status, body) = s
        .post(
            "/securegate/invite_status",
            json!({"event_id": event, "id": id, "status": "rejected"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "rejected");
    assert_eq!(s.securegate.invites(&event)[0].status, "rejected");
    for (bad, says) in [
        (
            json!({"event_id": event, "id": id, "status": "maybe"}),
            "`status`",
        ),
        (
            json!({"event_id": event, "id": "nope", "status": "sent"}),
            "no invite",
        ),
        (json!({"event_id": event, "status": "sent"}), "`id`"),
    ] {
        let (status, body) = s.post("/securegate/invite_status", bad).await;
        assert_eq!(status, 400, "{body}");
        assert!(error_text(&body).contains(says), "{body}");
    }
    assert!(!s.securegate.set_invite_status(&event, &id, "maybe"));
    assert!(s.securegate.set_invite_status(&event, &id, "accepted"));
}

#[tokio::test]
async fn artsvp_bookings_are_added_over_http() {
    let s = setup().await;
    let invite = s
        .artsvp
        .invites()
        .into_iter()
        .find(|i| i.resource.as_ref().is_some_and(|r| r.object == "event"))
        .expect("an invite for one event");
    let before = s.artsvp.bookings().len();
    let (status, body) = s
        .post(
            "/artsvp/bookings",
            json!({"invite": invite.code, "name": "Lucy Green", "email": "lucy@example.com", "size": 2}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap();
    let bookings = s.artsvp.bookings();
    assert_eq!(bookings.len(), before + 1);
    let booking = bookings.iter().find(|b| b.id == id).unwrap();
    assert_eq!(booking.size, Some(2));
    let used = s.artsvp.invite(&invite.id).unwrap();
    assert_ne!(
        used.amount_used, invite.amount_used,
        "the invite counts the use"
    );

    for (body, named) in [
        (json!({"invite": "inv-none"}), "`invite`"),
        (json!({"invite": invite.code, "size": 0}), "`size`"),
        (json!({"invite": invite.code, "guests": 2}), "`guests`"),
        (json!({"name": "x"}), "`invite`"),
    ] {
        let (status, answer) = s.post("/artsvp/bookings", body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert!(error_text(&answer).contains(named), "{body}: {answer}");
    }
}

#[tokio::test]
async fn a_form_body_is_a_415_that_says_send_json() {
    let s = setup().await;
    let response = s
        .http
        .post(format!("{}/invites", s.artsvp.base_url()))
        .header("authorization", s.artsvp.api_key())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=Lucy+Green&email=lucy%40example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("send JSON"),
        "{body}"
    );
    assert!(!body.to_string().contains("lucy"), "no value echoed");
    // With no key, the key check comes first, as before.
    let response = s
        .http
        .post(format!("{}/invites", s.artsvp.base_url()))
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_base_path_serves_under_the_vendors_path() {
    let fake = FakeArtsvp::builder()
        .base_path("api/v2/")
        .start()
        .await
        .unwrap();
    assert!(fake.base_url().ends_with("/api/v2"), "{}", fake.base_url());
    let http = reqwest::Client::new();
    let get = |url: String| http.get(url).header("authorization", fake.api_key()).send();
    let served = get(format!("{}/events", fake.base_url())).await.unwrap();
    assert_eq!(served.status(), 200);
    let root = fake.base_url().trim_end_matches("/api/v2").to_string();
    assert_eq!(get(format!("{root}/events")).await.unwrap().status(), 404);
    // Fault rules still name the API's own routes.
    fake.inject(FaultRule::new(Fault::Status(502)).on("GET", "/events"));
    let struck = get(format!("{}/events", fake.base_url())).await.unwrap();
    assert_eq!(struck.status(), 502);
    // And the facade works against it.
    let client = fake.client();
    let events = client
        .list_events(&event_invites::artsvp::Cursor::Start)
        .await
        .unwrap();
    assert_eq!(events.items, fake.events());
}

#[tokio::test]
async fn a_busy_port_is_named() {
    let first = FakeArtsvp::start().await.unwrap();
    let port: u16 = first
        .base_url()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let err = FakeArtsvp::builder().port(port).start().await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    let text = err.to_string();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(text.contains("ARTSVP"), "{text}");
    let err = ControlApi::new().port(port).start().await.unwrap_err();
    assert!(err.to_string().contains("the control API"), "{err}");
}

#[tokio::test]
async fn every_route_the_index_lists_is_served_and_can_be_struck() {
    let s = setup().await;
    let (status, index) = s.send(reqwest::Method::GET, "/", None).await;
    assert_eq!(status, 200);
    for (api, base, key_header, key) in [
        (
            "artsvp",
            s.artsvp.base_url(),
            "authorization",
            s.artsvp.api_key(),
        ),
        (
            "securegate",
            s.securegate.base_url(),
            "x-api-key",
            s.securegate.api_key(),
        ),
    ] {
        let routes = index["routes"][api]["routes"].as_array().unwrap();
        assert!(!routes.is_empty());
        for route in routes {
            let (method, template) = route.as_str().unwrap().split_once(' ').unwrap();
            let rule =
                json!({"fault": "status", "status": 418, "method": method, "route": template});
            let (status, _) = s.post(&format!("/{api}/faults"), rule).await;
            assert_eq!(status, 201, "{api} {method} {template}");
            let path = template.replace("{id}", "x").replace("{event_id}", "x");
            let response = s
                .http
                .request(method.parse().unwrap(), format!("{base}{path}"))
                .header(key_header, key)
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                418,
                "{api} {method} {template} is served"
            );
        }
    }
}
