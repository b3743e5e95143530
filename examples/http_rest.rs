//! A JSON REST service in Go's style: CRUD on users with Go 1.22 mux
//! patterns (method and `{id}` wildcard), serde for the bodies and a map
//! behind a mutex for the store.
//!
//! | request              | reply                                                 |
//! |----------------------|-------------------------------------------------------|
//! | `GET /users`         | 200, every user as a JSON array, by id                |
//! | `POST /users`        | 201, the new user, `Location: /users/{id}`            |
//! | `GET /users/{id}`    | 200, the user; 404 if there is none                   |
//! | `PUT /users/{id}`    | 200, the user with the new fields; 404 if none        |
//! | `DELETE /users/{id}` | 204; 404 if there is none                             |
//!
//! A body must be `{"name": "…", "email": "…"}` (both strings, the name
//! not empty) of at most 64 KiB: anything else gets 400, a longer one 413.
//! An id that is not a number gets 400. Other methods on these paths get
//! the mux's 405 with an `Allow` header, other paths its 404.
//!
//! ```text
//! cargo run --release --example http_rest -- [ADDR]   # default 127.0.0.1:8080
//! curl -i -d '{"name":"Ada","email":"ada@example.com"}' http://127.0.0.1:8080/users
//! curl http://127.0.0.1:8080/users/1
//! curl -X PUT -d '{"name":"Ada L.","email":"ada@example.com"}' http://127.0.0.1:8080/users/1
//! curl -X DELETE http://127.0.0.1:8080/users/1
//! ```
//!
//! The first line on stdout is `listening on ADDR`.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex};

use gort::http::{self, MaxBytesError, Request, ResponseWriter, ServeMux};
use serde::{Deserialize, Serialize};

/// The largest request body read (Go's `http.MaxBytesReader(w, r.Body, n)`).
const MAX_BODY: i64 = 64 << 10;

/// A stored user, as the API returns it.
#[derive(Clone, Serialize)]
struct User {
    id: u64,
    name: String,
    email: String,
}

/// What `POST` and `PUT` send.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserFields {
    name: String,
    email: String,
}

/// The users and the next id.
///
/// A std `Mutex`, not `gort::sync::Mutex`: every critical section is a
/// few map operations and never parks (no I/O, no channel), so a thread
/// blocked on it waits only nanoseconds. Replies are serialized from a
/// copy taken under the lock and written after it is released, because
/// writing to the client can park the goroutine; a lock held across that
/// would have to be gort's, whose waiters park instead of blocking their
/// thread.
#[derive(Default)]
struct Store {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    users: BTreeMap<u64, User>,
    next_id: u64,
}

impl Store {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic never leaves the map half-updated: go on with it.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let res = gort::run(move || {
        let mux = routes(Arc::new(Store::default()));
        let ln = gort::net::listen("tcp", &addr)?;
        println!("listening on {}", ln.addr());
        http::serve(ln, Some(Arc::new(mux)))
    });
    if let Err(e) = res {
        eprintln!("http_rest: {e}");
        std::process::exit(1);
    }
}

/// The API's mux over `store`.
fn routes(store: Arc<Store>) -> ServeMux {
    let mux = ServeMux::new();
    let s = store.clone();
    mux.handle_func(
        "GET /users",
        move |w: &mut dyn ResponseWriter, _r: &mut Request| {
            let users: Vec<User> = s.lock().users.values().cloned().collect();
            write_json(w, http::STATUS_OK, &users);
        },
    );
    let s = store.clone();
    mux.handle_func(
        "POST /users",
        move |w: &mut dyn ResponseWriter, r: &mut Request| {
            let Some(f) = read_fields(w, r) else { return };
            let user = {
                let mut st = s.lock();
                st.next_id += 1;
                let user = User {
                    id: st.next_id,
                    name: f.name,
                    email: f.email,
                };
                st.users.insert(user.id, user.clone());
                user
            };
            w.header().set("Location", format!("/users/{}", user.id));
            write_json(w, http::STATUS_CREATED, &user);
        },
    );
    let s = store.clone();
    mux.handle_func(
        "GET /users/{id}",
        move |w: &mut dyn ResponseWriter, r: &mut Request| {
            let Some(id) = user_id(w, r) else { return };
            let user = s.lock().users.get(&id).cloned();
            match user {
                Some(u) => write_json(w, http::STATUS_OK, &u),
                None => http::error(w, "user not found", http::STATUS_NOT_FOUND),
            }
        },
    );
    let s = store.clone();
    mux.handle_func(
        "PUT /users/{id}",
        move |w: &mut dyn ResponseWriter, r: &mut Request| {
            let Some(id) = user_id(w, r) else { return };
            let Some(f) = read_fields(w, r) else { return };
            let user = s.lock().users.get_mut(&id).map(|u| {
                u.name = f.name;
                u.email = f.email;
                u.clone()
            });
            match user {
                Some(u) => write_json(w, http::STATUS_OK, &u),
                None => http::error(w, "user not found", http::STATUS_NOT_FOUND),
            }
        },
    );
    let s = store;
    mux.handle_func(
        "DELETE /users/{id}",
        move |w: &mut dyn ResponseWriter, r: &mut Request| {
            let Some(id) = user_id(w, r) else { return };
            let removed = s.lock().users.remove(&id).is_some();
            if removed {
                w.write_header(http::STATUS_NO_CONTENT);
            } else {
                http::error(w, "user not found", http::STATUS_NOT_FOUND);
            }
        },
    );
    mux
}

/// The `{id}` of the path, or a 400 reply and `None`.
fn user_id(w: &mut dyn ResponseWriter, r: &Request) -> Option<u64> {
    let id = r.path_value("id").parse().ok();
    if id.is_none() {
        http::error(w, "invalid user id", http::STATUS_BAD_REQUEST);
    }
    id
}

/// Decodes the body, at most [`MAX_BODY`] bytes, as [`UserFields`]; on
/// failure replies 400 (413 for a body too long) and returns `None`.
fn read_fields(w: &mut dyn ResponseWriter, r: &mut Request) -> Option<UserFields> {
    r.body = http::max_bytes_reader(std::mem::take(&mut r.body), MAX_BODY);
    let fields: UserFields = match serde_json::from_reader(&mut r.body) {
        Ok(f) => f,
        Err(e) => {
            let too_long = e.is_io()
                && io::Error::from(e)
                    .get_ref()
                    .is_some_and(|inner| inner.is::<MaxBytesError>());
            if too_long {
                let msg = format!("request body over {MAX_BODY} bytes");
                http::error(w, &msg, http::STATUS_REQUEST_ENTITY_TOO_LARGE);
            } else {
                http::error(w, "invalid JSON body", http::STATUS_BAD_REQUEST);
            }
            return None;
        }
    };
    if fields.name.trim().is_empty() {
        http::error(w, "name must not be empty", http::STATUS_BAD_REQUEST);
        return None;
    }
    Some(fields)
}

/// Replies `code` with `v` as JSON.
fn write_json(w: &mut dyn ResponseWriter, code: u16, v: &impl Serialize) {
    w.header().set("Content-Type", "application/json");
    w.write_header(code);
    // An error here is the client gone: nothing to tell it.
    let _ = serde_json::to_writer(&mut *w, v);
    let _ = w.write_all(b"\n");
}
