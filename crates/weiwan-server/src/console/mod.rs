//! The web console: server-rendered pages (maud) for the people who use weiwan, with htmx for
//! the parts of a page that change in place (a live count, an outcome recorded, a job's
//! progress) and Apache ECharts for charts. Both scripts are vendored under `assets/vendor`
//! and served by the binary itself, so the console needs no front-end build and no internet.
//!
//! The console signs in with the same session cookie as the API and calls the same use cases;
//! every page and every form names the [`Permission`] it needs and checks it on the server, so a
//! link a role does not see is also a page that role cannot open (403). Objects outside a
//! user's scope answer 404, as in the API. Forms post same-site only: the session cookie is
//! `SameSite=Strict` and a cross-origin `Origin` is refused ([`same_origin`]).
//!
//! Every label is in Chinese and English ([`i18n`]); the language is the person's choice (the
//! switch in the header, kept per user), else the browser's `Accept-Language`.

mod analysis;
mod clubs;
mod file;
mod groups;
pub mod i18n;
mod jobs;
mod planner;
mod workbench;

use axum::Form;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, HOST, ORIGIN, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use weiwan_domain::codes::{Coded, Role};

use crate::AppState;
use crate::auth::{Permission, Principal, allows};
use crate::error::ApiError;
use i18n::{Lang, messages};
pub use jobs::Jobs;

/// The cookie that keeps the language of a browser that has not signed in.
const LANG_COOKIE: &str = "weiwan_lang";

messages! {
    AppName => "维挽 · 客户维系挽留", "weiwan · customer retention";
    SignIn => "登录", "Sign in";
    SignOut => "退出", "Sign out";
    Login => "账号", "Login";
    Password => "密码", "Password";
    BadLogin => "账号或密码不正确", "Wrong login or password";
    Workbench => "工作台", "Workbench";
    Lookup => "客户查询", "Customer lookup";
    Tags => "标签库", "Tag library";
    Segments => "目标客户群", "Target groups";
    Campaigns => "营销活动", "Campaigns";
    Approvals => "审批", "Approvals";
    Model => "模型质量", "Model quality";
    Kpis => "保有指标", "Retention KPIs";
    Dashboard => "管理驾驶舱", "Management dashboard";
    Jobs => "运行作业", "Operations";
    Performance => "经理考核", "Performance";
    Plans => "拜访计划", "Visit plans";
    Groups => "集团客户", "Groups";
    Clubs => "俱乐部", "Clubs";
    Error => "出错了", "Something went wrong";
    Home => "返回首页", "Back to start";
    NothingHere => "此角色在控制台中没有可用的页面。", "This role has no pages in the console.";
}

/// The pages of the console's header, each with the permission it needs. A role sees the
/// links it may follow; each page checks the same permission again on the server.
const NAV: &[(&str, M, Permission)] = &[
    ("/work", M::Workbench, Permission::WorkTasks),
    ("/lookup", M::Lookup, Permission::ViewCustomer),
    ("/tags", M::Tags, Permission::ReadCampaigns),
    ("/segments", M::Segments, Permission::PlanCampaigns),
    ("/campaigns", M::Campaigns, Permission::ReadCampaigns),
    ("/approvals", M::Approvals, Permission::ApproveCampaigns),
    ("/model", M::Model, Permission::ReadModelQuality),
    ("/kpis", M::Kpis, Permission::ReadDashboards),
    ("/dashboard", M::Dashboard, Permission::ReadDashboards),
    ("/performance", M::Performance, Permission::ReadPerformance),
    ("/visit-plans", M::Plans, Permission::PlanVisits),
    ("/jobs", M::Jobs, Permission::RunOperations),
    ("/groups", M::Groups, Permission::ReadGroups),
    ("/clubs", M::Clubs, Permission::ReadClubs),
];

/// The console's routes; `lib.rs` merges them with the API's.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/lang", post(switch_language))
        .route("/static/{name}", get(asset))
        .merge(workbench::routes())
        .merge(planner::routes())
        .merge(analysis::routes())
        .merge(jobs::routes())
        .merge(file::routes())
        .merge(groups::routes())
        .merge(clubs::routes())
        .layer(axum::middleware::from_fn(same_origin))
}

/// The signed-in person a page is for, and the language it speaks.
#[derive(Debug, Clone)]
pub(crate) struct Viewer {
    pub who: Principal,
    pub lang: Lang,
}

impl Viewer {
    /// The permission a page or form needs; a role without it gets a 403 page.
    pub fn require(&self, permission: Permission) -> Result<(), PageError> {
        self.who.require(permission).map_err(|e| PageError::new(e, self.lang))
    }

    pub fn fail(&self, error: impl Into<ApiError>) -> PageError {
        PageError::new(error.into(), self.lang)
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Viewer, Response> {
        let browser = browser_lang(&parts.headers);
        let who = match Principal::from_request_parts(parts, state).await {
            Ok(who) => who,
            Err(ApiError::Unauthenticated) => {
                // Back to the page after signing in; a form post goes back to its page's start.
                let next = if parts.method == Method::GET {
                    parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned()
                } else {
                    "/".to_owned()
                };
                let target = format!("/login?next={}", encode_component(&next));
                return Err(if parts.headers.contains_key("hx-request") {
                    // htmx follows a redirect inside the fragment; tell it to load the page.
                    ([("hx-redirect", target)], StatusCode::UNAUTHORIZED).into_response()
                } else {
                    Redirect::to(&target).into_response()
                });
            }
            Err(other) => return Err(PageError::new(other, browser).into_response()),
        };
        let chosen = state
            .store
            .user_lang(&who.user_id)
            .await
            .map_err(|e| PageError::new(e.into(), browser).into_response())?
            .as_deref()
            .and_then(Lang::parse);
        Ok(Viewer { who, lang: chosen.unwrap_or(browser) })
    }
}

/// The language of a browser: its cookie from the switch, else `Accept-Language`.
fn browser_lang(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_else(|| Lang::from_headers(headers))
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|header| {
        header.split(';').find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then(|| value.to_owned())
        })
    })
}

/// A page that could not be shown: the status of the [`ApiError`] and its message, in a page
/// (or, for htmx, a fragment) with the console's labels in the viewer's language.
#[derive(Debug)]
pub(crate) struct PageError {
    error: ApiError,
    lang: Lang,
}

impl PageError {
    pub fn new(error: ApiError, lang: Lang) -> PageError {
        PageError { error, lang }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.error.status();
        let (message, problems) = self.error.explain();
        let lang = self.lang;
        let body = html! {
            (DOCTYPE)
            html lang=(lang.html()) {
                head { meta charset="utf-8"; title { (M::Error.text(lang)) } (stylesheet()) }
                body {
                    div.error role="alert" data-status=(status.as_u16()) {
                        strong { (M::Error.text(lang)) " (" (status.as_u16()) ")" }
                        p { (message) }
                        @if !problems.is_empty() {
                            ul { @for problem in &problems { li { (problem) } } }
                        }
                        a href="/" { (M::Home.text(lang)) }
                    }
                }
            }
        };
        (status, body).into_response()
    }
}

pub(crate) type PageResult<T = Markup> = Result<T, PageError>;

fn stylesheet() -> Markup {
    html! { link rel="stylesheet" href="/static/console.css"; }
}

/// A whole page: the header with the role's links, the language switch and sign-out, then
/// `body`. `path` is the page's own address, for the language switch to come back to.
pub(crate) fn layout(viewer: &Viewer, title: &str, path: &str, body: Markup) -> Markup {
    let lang = viewer.lang;
    let role = viewer.who.role;
    let role_label = lang.pick(role.label_zh(), role.label_en());
    html! {
        (DOCTYPE)
        html lang=(lang.html()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (M::AppName.text(lang)) }
                (stylesheet())
                script src="/static/htmx.min.js" defer {}
                script src="/static/echarts.min.js" defer {}
                script src="/static/console.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { (M::AppName.text(lang)) }
                    nav {
                        @for (href, label, permission) in NAV {
                            @if allows(role, *permission) {
                                a href=(href) class=[path.starts_with(href).then_some("active")] { (label.text(lang)) }
                            }
                        }
                    }
                    span.who data-role=(role.code()) { (viewer.who.login) " · " (role_label) }
                    form.inline method="post" action="/lang" {
                        input type="hidden" name="lang" value=(lang.other().code());
                        input type="hidden" name="back" value=(path);
                        button type="submit" id="switch-language" { (language_name(lang.other())) }
                    }
                    form.inline method="post" action="/logout" {
                        button type="submit" id="sign-out" { (M::SignOut.text(lang)) }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

fn language_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "中文",
        Lang::En => "English",
    }
}

/// The label of a code in the viewer's language (the code itself if it is not one of `T`'s).
pub(crate) fn label<T: Coded>(code: &str, lang: Lang) -> String {
    match code.parse::<T>() {
        Ok(value) => lang.pick(value.label_zh(), value.label_en()).to_owned(),
        Err(_) => code.to_owned(),
    }
}

/// Percent-encodes a query-string component.
pub(crate) fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A local path to go back to: only `/…` (never `//host`), else the start page.
fn local_path(path: &str) -> &str {
    if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') { path } else { "/" }
}

// ---------------------------------------------------------------------------------------------
// Start, sign-in, language

/// The start page of each role: where its day's work is.
fn home_of(role: Role) -> Option<&'static str> {
    match role {
        Role::Manager | Role::Clerk | Role::Agent => Some("/work"),
        Role::Planner => Some("/campaigns"),
        Role::Approver => Some("/approvals"),
        Role::Analyst => Some("/model"),
        Role::Executive => Some("/dashboard"),
        Role::Admin => Some("/jobs"),
        Role::ApiClient => None,
    }
}

async fn home(viewer: Viewer) -> Response {
    match home_of(viewer.who.role) {
        Some(href) => Redirect::to(href).into_response(),
        None => {
            let body = html! { p { (M::NothingHere.text(viewer.lang)) } };
            layout(&viewer, M::AppName.text(viewer.lang), "/", body).into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(headers: HeaderMap, Query(query): Query<NextQuery>) -> Markup {
    login_form(browser_lang(&headers), query.next.as_deref().unwrap_or("/"), false)
}

fn login_form(lang: Lang, next: &str, failed: bool) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.html()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (M::SignIn.text(lang)) " · " (M::AppName.text(lang)) }
                (stylesheet())
            }
            body.login {
                form.card method="post" action="/lang" {
                    input type="hidden" name="lang" value=(lang.other().code());
                    input type="hidden" name="back" value=(format!("/login?next={}", encode_component(next)));
                    button type="submit" id="switch-language" { (language_name(lang.other())) }
                }
                form.card #login method="post" action="/login" {
                    h1 { (M::AppName.text(lang)) }
                    @if failed { p.error role="alert" { (M::BadLogin.text(lang)) } }
                    input type="hidden" name="next" value=(local_path(next));
                    label { (M::Login.text(lang)) input name="login" autocomplete="username" required autofocus; }
                    label { (M::Password.text(lang)) input name="password" type="password" autocomplete="current-password" required; }
                    button type="submit" { (M::SignIn.text(lang)) }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<LoginForm>) -> Response {
    let lang = browser_lang(&headers);
    match crate::api::sign_in(&state, &form.login, &form.password).await {
        Ok((_, cookie)) => {
            let target = local_path(&form.next);
            ([(SET_COOKIE, cookie)], Redirect::to(if target == "/login" { "/" } else { target }))
                .into_response()
        }
        Err(ApiError::Unauthenticated | ApiError::Forbidden(_)) => {
            (StatusCode::UNAUTHORIZED, login_form(lang, &form.next, true)).into_response()
        }
        Err(other) => PageError::new(other, lang).into_response(),
    }
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = browser_lang(&headers);
    match crate::api::sign_out(&state, &headers).await {
        Ok(expired) => ([(SET_COOKIE, expired)], Redirect::to("/login")).into_response(),
        Err(ApiError::Unauthenticated) => Redirect::to("/login").into_response(),
        Err(other) => PageError::new(other, lang).into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct LangForm {
    lang: String,
    #[serde(default)]
    back: String,
}

/// The language switch: kept for the person if signed in, and in a cookie for the browser.
async fn switch_language(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LangForm>,
) -> Response {
    let browser = browser_lang(&headers);
    let Some(lang) = Lang::parse(&form.lang) else {
        return PageError::new(ApiError::bad(format!("lang: {:?} is not zh or en", form.lang)), browser)
            .into_response();
    };
    if let Ok(who) = crate::auth::principal_from_headers(&state, &headers).await
        && let Err(err) = state.store.set_user_lang(&who.user_id, lang.code()).await
    {
        return PageError::new(err.into(), browser).into_response();
    }
    let cookie = format!("{LANG_COOKIE}={}; Path=/; SameSite=Strict; Max-Age=31536000", lang.code());
    ([(SET_COOKIE, cookie)], Redirect::to(local_path(&form.back))).into_response()
}

// ---------------------------------------------------------------------------------------------
// Assets and the same-origin check

/// The console's own files and the vendored scripts (versions and licences in
/// `assets/vendor/README.md`), compiled into the binary.
async fn asset(Path(name): Path<String>) -> Response {
    let (content_type, bytes): (&str, &'static [u8]) = match name.as_str() {
        "console.css" => ("text/css; charset=utf-8", include_bytes!("../../assets/console.css")),
        "console.js" => ("text/javascript; charset=utf-8", include_bytes!("../../assets/console.js")),
        "htmx.min.js" => {
            ("text/javascript; charset=utf-8", include_bytes!("../../assets/vendor/htmx.min.js"))
        }
        "echarts.min.js" => {
            ("text/javascript; charset=utf-8", include_bytes!("../../assets/vendor/echarts.min.js"))
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        bytes,
    )
        .into_response()
}

/// Refuses a form posted from another origin (a second guard beside `SameSite=Strict`).
async fn same_origin(request: Request<axum::body::Body>, next: Next) -> Response {
    if request.method() != Method::GET
        && let Some(origin) = request.headers().get(ORIGIN).and_then(|v| v.to_str().ok())
    {
        let host = request.headers().get(HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        if origin != "null" && origin_host != host {
            let lang = browser_lang(request.headers());
            return PageError::new(
                ApiError::Forbidden(format!("a form from {origin} may not post here")),
                lang,
            )
            .into_response();
        }
    }
    next.run(request).await
}
