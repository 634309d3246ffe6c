//! `weiwan club list | create | show | join | leave | event-create | event | sign-up | cancel |
//! draw | attend | spend | customer`: clubs 俱乐部 (docs/clubs.md).
//!
//! Changes are made as a user of the store (`--as LOGIN`) whose role the server's permission
//! table allows them: planners create clubs and events, draw and record attendance; managers
//! and store clerks enrol, sign up, cancel and spend points. Reading needs no user.

use anyhow::Context;
use weiwan_app::Store;
use weiwan_app::clubs::{self as uc, EventView, NewClub, NewEvent, NewSpend};
use weiwan_app::tasks::Actor;
use weiwan_domain::codes::Role;
use weiwan_server::{Permission, allows};

use crate::cli::{ClubAction, Output};
use crate::config::StoreConfig;

/// The acting user, refused unless their role holds `permission`.
pub(super) async fn actor(store: &dyn Store, login: &str, permission: Permission) -> anyhow::Result<Actor> {
    let user = store
        .find_user_by_login(login)
        .await?
        .with_context(|| format!("refused: no user {login:?} (see weiwan user list)"))?;
    if !user.active {
        anyhow::bail!("refused: user {login} is disabled");
    }
    let role: Role = user.role.parse().map_err(|e| anyhow::anyhow!("user {login}: role: {e}"))?;
    if !allows(role, permission) {
        anyhow::bail!(
            "refused: user {login} has role {} ({}), which may not do this",
            role.code(),
            role.label_zh()
        );
    }
    Ok(Actor { user_id: user.user_id, role: user.role })
}

fn refused(e: weiwan_app::Error) -> anyhow::Error {
    anyhow::anyhow!("refused: {e}")
}

pub async fn run(action: ClubAction, config: &StoreConfig) -> anyhow::Result<()> {
    let (store, lake) = super::open(config).await?;
    let store = store.as_ref();
    let now = crate::clock::now();
    match action {
        ClubAction::List { format } => {
            let clubs = uc::list_clubs(store, None).await?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&clubs)?),
                Output::Text => {
                    println!("club          members  branch  tiers                 name");
                    for c in &clubs {
                        println!(
                            "{:<13} {:>7}  {:<7} {:<21} {} / {}",
                            c.club_id,
                            c.members,
                            c.branch_id.as_deref().unwrap_or("all"),
                            c.tiers.join(","),
                            c.name_zh,
                            c.name_en
                        );
                    }
                }
            }
        }
        ClubAction::Create { id, name_zh, name_en, tiers, branch, description, user } => {
            let actor = actor(store, &user.login, Permission::ManageClubs).await?;
            let tiers = tiers.split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
            let new = NewClub { club_id: id, name_zh, name_en, description, tiers, branch_id: branch };
            let club = uc::create_club(store, &new, &actor, now).await.map_err(refused)?;
            println!("club 俱乐部 {} created, open to {}", club.club_id, club.tiers.join(", "));
        }
        ClubAction::Show { id, format } => {
            let detail = uc::club_detail(store, &id, &|_, _| true).await.map_err(refused)?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&detail)?),
                Output::Text => {
                    let c = &detail.club;
                    println!(
                        "club 俱乐部 {} {} / {}  open to {}",
                        c.club_id,
                        c.name_zh,
                        c.name_en,
                        c.tiers.join(", ")
                    );
                    println!("  {} members:", c.members);
                    for m in &detail.members {
                        println!(
                            "    {:<10} branch {:<6} joined {}",
                            m.customer_id, m.branch_id, m.joined_at
                        );
                    }
                    println!("  events:");
                    for e in &detail.events {
                        print_event_line(e);
                    }
                }
            }
        }
        ClubAction::Join { club, customer, user } => {
            let actor = actor(store, &user.login, Permission::WorkClubs).await?;
            uc::join_club(store, &club, &customer, &actor, now).await.map_err(refused)?;
            println!("customer {customer} joined club {club}");
        }
        ClubAction::Leave { club, customer, user } => {
            let actor = actor(store, &user.login, Permission::WorkClubs).await?;
            uc::leave_club(store, &club, &customer, &actor, now).await.map_err(refused)?;
            println!("customer {customer} left club {club}");
        }
        ClubAction::EventCreate { club, title, place, starts_at, capacity, allocation, waitlist, user } => {
            let actor = actor(store, &user.login, Permission::ManageClubs).await?;
            let new = NewEvent { title, place, starts_at, capacity, allocation, waitlist };
            let event = uc::create_event(store, &club, &new, &actor, now).await.map_err(refused)?;
            print_event_line(&event);
        }
        ClubAction::Event { id, format } => {
            let event = uc::event_detail(store, id).await.map_err(refused)?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&event)?),
                Output::Text => {
                    print_event_line(&event);
                    for s in &event.signups {
                        println!(
                            "    {:<10} {:<11} {}{}{}",
                            s.customer_id,
                            s.status,
                            s.status_zh,
                            s.position.map(|p| format!(" #{p}")).unwrap_or_default(),
                            match s.attended {
                                Some(true) => "  attended 已到场",
                                Some(false) => "  absent 缺席",
                                None => "",
                            }
                        );
                    }
                }
            }
        }
        ClubAction::SignUp { event, customer, user } => {
            let actor = actor(store, &user.login, Permission::WorkClubs).await?;
            let signup = uc::sign_up(store, event, &customer, &actor, now).await.map_err(refused)?;
            println!(
                "customer {customer} signed up for club event {event}: {} {}{}",
                signup.status,
                signup.status_zh,
                signup.position.map(|p| format!(", number {p} on the waitlist")).unwrap_or_default()
            );
        }
        ClubAction::Cancel { event, customer, user } => {
            let actor = actor(store, &user.login, Permission::WorkClubs).await?;
            let outcome = uc::cancel_signup(store, event, &customer, &actor, now).await.map_err(refused)?;
            match outcome.promoted {
                Some(p) => println!("cancelled; the freed place went to {} from the waitlist", p.customer_id),
                None => println!("cancelled"),
            }
        }
        ClubAction::Draw { event, seed, user } => {
            let actor = actor(store, &user.login, Permission::ManageClubs).await?;
            let seed = match seed {
                Some(seed) => seed,
                None => weiwan_server::clubs_api::random_seed().map_err(|e| anyhow::anyhow!("{e}"))?,
            };
            let view = uc::draw(store, event, seed, &actor, now).await.map_err(refused)?;
            println!("club event {event} drawn with seed {seed}: {} places given", view.confirmed);
        }
        ClubAction::Attend { event, came, absent, user } => {
            let actor = actor(store, &user.login, Permission::ManageClubs).await?;
            let ids = |list: &str, attended: bool| -> Vec<(String, bool)> {
                list.split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(|c| (c.to_owned(), attended))
                    .collect()
            };
            let mut entries = ids(&came, true);
            entries.extend(ids(&absent, false));
            let n = uc::record_attendance(store, event, &entries, &actor, now).await.map_err(refused)?;
            println!("attendance of club event {event} recorded for {n} customers");
        }
        ClubAction::Spend { club, customer, points, service, user } => {
            let actor = actor(store, &user.login, Permission::WorkClubs).await?;
            let spend = NewSpend { club_id: club, customer_id: customer.clone(), service, points };
            let outcome = uc::spend_points(store, &lake, &spend, &actor, now).await.map_err(refused)?;
            println!("{points} points of {customer} spent; {} left", outcome.available_after);
        }
        ClubAction::Customer { id, format } => {
            let clubs = uc::customer_clubs(store, &id).await.map_err(refused)?;
            let points = uc::points(store, &lake, &id).await.map_err(refused)?;
            match format {
                Output::Json => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&serde_json::json!({"clubs": clubs, "points": points}))?
                    )
                }
                Output::Text => {
                    println!(
                        "customer {id}: points {} available (ledger {}, spent in weiwan {})",
                        points.available, points.ledger_balance, points.spent_in_weiwan
                    );
                    for m in &clubs.memberships {
                        println!(
                            "  club {:<12} joined {}{}",
                            m.club_id,
                            m.joined_at,
                            m.left_at.as_deref().map(|l| format!(", left {l}")).unwrap_or_default()
                        );
                    }
                    for s in &clubs.signups {
                        println!("  event {:<5} {} {}", s.event_id, s.status, s.status_zh);
                    }
                }
            }
        }
    }
    Ok(())
}

fn print_event_line(e: &EventView) {
    println!(
        "    event {:<5} {}  {}  {}/{} places, {} {}{}{}",
        e.event_id,
        e.starts_at,
        e.title,
        e.confirmed,
        e.capacity,
        e.allocation,
        e.allocation_zh,
        if e.waitlist { ", waitlist" } else { "" },
        e.draw_seed.map(|s| format!(", drawn with seed {s}")).unwrap_or_default()
    );
}
