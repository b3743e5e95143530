//! A JSON API client: GET a document and decode it with serde, then POST
//! a new one as JSON and decode the reply: Go's `http.Client` with
//! `encoding/json`, here `Client::send` with serde_json.
//!
//! ```text
//! cargo run --release --example http_json_client -- [BASE_URL [TITLE]]
//! ```
//!
//! BASE_URL defaults to `https://jsonplaceholder.typicode.com`, a public
//! test API whose shape this follows: `GET BASE_URL/todos/1` answers a todo
//! (`{"userId":1,"id":1,"title":"...","completed":false}`), and
//! `POST BASE_URL/todos` with a todo without `id` answers `201 Created`
//! with the todo and its new `id`. TITLE (default `write the client`) is
//! the new todo's title. Both requests go through one `Client` with a 10 s
//! timeout over the default transport, so the POST reuses the GET's
//! connection. Output:
//!
//! ```text
//! GET http://127.0.0.1:8080/todos/1: 200 OK
//! todo 1 (user 1): "delectus aut autem", completed: false
//! POST http://127.0.0.1:8080/todos: 201 Created
//! created todo 201 (user 1): "write the client", completed: false
//! ```
//!
//! A failed request, a status outside 2xx or a body that is not the JSON
//! expected ends the program with exit status 1 and a line on stderr
//! (`http_json_client: GET URL: 404 Not Found`, `http_json_client:
//! decoding the reply to GET URL: ...`); a bad command line with 2.
//!
//! The Go program it mirrors:
//!
//! ```go
//! type Todo struct {
//!     UserID    int    `json:"userId"`
//!     ID        int    `json:"id,omitempty"`
//!     Title     string `json:"title"`
//!     Completed bool   `json:"completed"`
//! }
//!
//! c := &http.Client{Timeout: 10 * time.Second}
//! resp, err := c.Get(base + "/todos/1")
//! // ... check err and resp.StatusCode
//! var t Todo
//! err = json.NewDecoder(resp.Body).Decode(&t)
//! resp.Body.Close()
//!
//! body, _ := json.Marshal(Todo{UserID: t.UserID, Title: title})
//! req, _ := http.NewRequest("POST", base+"/todos", bytes.NewReader(body))
//! req.Header.Set("Content-Type", "application/json")
//! resp, err = c.Do(req)
//! // ... check, decode, print
//! ```

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use gort::http::{Client, Request, Response};
use serde::{Deserialize, Serialize};

const USAGE: &str = "usage: http_json_client [BASE_URL [TITLE]]";

/// A todo as the API sends and takes it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Todo {
    user_id: u64,
    /// Given by the server; not sent when creating one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    title: String,
    completed: bool,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() > 2 || args.first().is_some_and(|a| a.starts_with('-')) {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let base = args
        .first()
        .map_or("https://jsonplaceholder.typicode.com", String::as_str)
        .trim_end_matches('/')
        .to_string();
    let title = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "write the client".to_string());
    match gort::run(move || talk(&base, title)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("http_json_client: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The GET and the POST.
fn talk(base: &str, title: String) -> io::Result<()> {
    let client = Client {
        timeout: Some(Duration::from_secs(10)),
        ..Default::default()
    };

    let url = format!("{base}/todos/1");
    let resp = client.get(&url)?;
    let todo = decode(resp, "GET", &url)?;
    println!(
        "todo {} (user {}): {:?}, completed: {}",
        todo.id.unwrap_or_default(),
        todo.user_id,
        todo.title,
        todo.completed
    );

    let url = format!("{base}/todos");
    let new = Todo {
        user_id: todo.user_id,
        id: None,
        title,
        completed: false,
    };
    let body = serde_json::to_vec(&new).map_err(io::Error::from)?;
    let mut req = Request::new("POST", &url, body)?;
    req.header.set("Content-Type", "application/json");
    req.header.set("Accept", "application/json");
    let resp = client.send(req)?;
    let created = decode(resp, "POST", &url)?;
    let Some(id) = created.id else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("POST {url}: the reply has no id"),
        ));
    };
    println!(
        "created todo {id} (user {}): {:?}, completed: {}",
        created.user_id, created.title, created.completed
    );
    Ok(())
}

/// Prints the status line of `resp` and decodes its body as a [`Todo`];
/// an error for a status outside 2xx or a body that is not one.
fn decode(mut resp: Response, method: &str, url: &str) -> io::Result<Todo> {
    println!("{method} {url}: {}", resp.status);
    if !(200..=299).contains(&resp.status_code) {
        return Err(io::Error::other(format!("{method} {url}: {}", resp.status)));
    }
    // Reads the body to its end, which hands the connection back to the
    // transport for the next request.
    serde_json::from_reader(&mut resp.body).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("decoding the reply to {method} {url}: {e}"),
        )
    })
}
