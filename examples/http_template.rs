//! HTML pages from templates, with a form whose input is echoed back
//! escaped: the shape of a Go program using `html/template`, with
//! [minijinja](https://docs.rs/minijinja) in its place (Go's template
//! packages are not part of gort, which rebuilds the network stack).
//!
//! * `GET /`: a page with a form;
//! * `POST /echo` (form field `message`): a page that shows the message;
//!   an empty message gets the form again with status 400.
//!
//! minijinja escapes every `{{ … }}` in a template whose name ends in
//! `.html`, as `html/template` escapes by context: a message such as
//! `<script>alert("hi")</script>` comes back as
//! `&lt;script&gt;alert(&quot;hi&quot;)&lt;&#x2f;script&gt;`, shown as text,
//! never run.
//!
//! ```text
//! cargo run --release --example http_template -- [ADDR]   # default 127.0.0.1:8080
//! # open http://127.0.0.1:8080/ in a browser, or:
//! curl --data-urlencode 'message=<b>bold?</b>' http://127.0.0.1:8080/echo
//! ```
//!
//! The first line on stdout is `listening on ADDR`.

use std::sync::Arc;

use gort::http::{self, Request, ResponseWriter, ServeMux};
use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, context};

/// The shared layout; the pages extend it.
const LAYOUT: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<h1>{{ title }}</h1>
{% block content %}{% endblock %}
</body>
</html>
"#;

/// The form, with an error above it when there is one.
const FORM: &str = r#"{% extends "layout.html" %}
{% block content %}
{% if error %}
<p class="error">{{ error }}</p>
{% endif %}
<form method="post" action="/echo">
  <label>Message <input name="message" value="{{ message }}"></label>
  <button>Send</button>
</form>
{% endblock %}
"#;

/// The message, escaped, and a way back.
const ECHO: &str = r#"{% extends "layout.html" %}
{% block content %}
<p>You said: <q class="message">{{ message }}</q> ({{ message|length }} characters)</p>
<p><a href="/">Say something else</a></p>
{% endblock %}
"#;

/// The largest form body read.
const MAX_FORM: i64 = 16 << 10;

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let res = gort::run(move || {
        let mux = routes(Arc::new(templates()));
        let ln = gort::net::listen("tcp", &addr)?;
        println!("listening on {}", ln.addr());
        http::serve(ln, Some(Arc::new(mux)))
    });
    if let Err(e) = res {
        eprintln!("http_template: {e}");
        std::process::exit(1);
    }
}

/// The templates, parsed once (Go's `template.Must(template.ParseFS(...))`).
fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    // Block tags leave no blank lines behind; pages end with a newline.
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("a valid syntax"),
    );
    for (name, src) in [
        ("layout.html", LAYOUT),
        ("form.html", FORM),
        ("echo.html", ECHO),
    ] {
        env.add_template(name, src)
            .unwrap_or_else(|e| panic!("template {name}: {e}"));
    }
    env
}

fn routes(env: Arc<Environment<'static>>) -> ServeMux {
    let mux = ServeMux::new();
    let e = env.clone();
    mux.handle_func(
        "GET /{$}",
        move |w: &mut dyn ResponseWriter, _r: &mut Request| {
            let page = context! { title => "Say something", error => "", message => "" };
            render(w, &e, "form.html", page, http::STATUS_OK);
        },
    );
    mux.handle_func(
        "POST /echo",
        move |w: &mut dyn ResponseWriter, r: &mut Request| {
            r.body = http::max_bytes_reader(std::mem::take(&mut r.body), MAX_FORM);
            if let Err(e) = r.parse_form() {
                http::error(w, &e.to_string(), http::STATUS_BAD_REQUEST);
                return;
            }
            let message = r.post_form_value("message");
            if message.trim().is_empty() {
                let page = context! {
                    title => "Say something",
                    error => "Please type a message.",
                    message => message,
                };
                render(w, &env, "form.html", page, http::STATUS_BAD_REQUEST);
                return;
            }
            let page = context! { title => "You said", message => message };
            render(w, &env, "echo.html", page, http::STATUS_OK);
        },
    );
    mux
}

/// Renders template `name` with `ctx` and replies with it and `code`; a
/// template error is a 500 (and a line on stderr).
fn render(
    w: &mut dyn ResponseWriter,
    env: &Environment<'static>,
    name: &str,
    ctx: minijinja::Value,
    code: u16,
) {
    // Rendered whole before anything is written, so a failing template
    // can still get a clean 500 (as Go's advice for html/template goes).
    let page = match env.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(page) => page,
        Err(e) => {
            eprintln!("http_template: {name}: {e}");
            http::error(w, "internal error", http::STATUS_INTERNAL_SERVER_ERROR);
            return;
        }
    };
    w.header().set("Content-Type", "text/html; charset=utf-8");
    w.write_header(code);
    let _ = w.write_all(page.as_bytes());
}
