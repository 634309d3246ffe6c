//! `weiwan user add | list | token`: people and systems that may use the service.

use std::io::BufRead;

use anyhow::Context;
use weiwan_server::api::NewUserRequest;

use crate::cli::UserAction;
use crate::config::StoreConfig;

pub async fn run(action: UserAction, config: &StoreConfig) -> anyhow::Result<()> {
    let (store, _lake) = super::open(config).await?;
    match action {
        UserAction::Add { login, name, role, branch, manager } => {
            let password = if role == "api_client" { None } else { Some(read_password()?) };
            let request = NewUserRequest {
                login,
                display_name: name,
                role,
                branch_id: branch,
                manager_id: manager,
                password,
            };
            let user = weiwan_server::api::validate_new_user(store.as_ref(), request, crate::clock::now())
                .await
                .map_err(refusal)?;
            if !store.create_user(&user).await? {
                anyhow::bail!("login {:?} is taken", user.login);
            }
            println!("user {} ({}) added as {}", user.login, user.user_id, user.role);
        }
        UserAction::List => {
            for user in store.users().await? {
                println!(
                    "{:<20} {:<12} {:<10} branch={:<8} manager={:<10} {}",
                    user.login,
                    user.role,
                    if user.active { "active" } else { "disabled" },
                    user.branch_id.as_deref().unwrap_or("-"),
                    user.manager_id.as_deref().unwrap_or("-"),
                    user.display_name
                );
            }
        }
        UserAction::Token { login, label } => {
            let user =
                store.find_user_by_login(&login).await?.with_context(|| format!("no user {login:?}"))?;
            if user.role != "api_client" {
                anyhow::bail!("tokens are for api_client users; {login} is {}", user.role);
            }
            let secret = weiwan_server::auth::new_secret().map_err(refusal)?;
            store
                .create_credential(&weiwan_app::CredentialRecord {
                    token_hash: weiwan_server::auth::digest(&secret),
                    user_id: user.user_id,
                    kind: "api".into(),
                    label,
                    created_at: crate::clock::now().to_rfc3339(),
                    expires_at: None,
                })
                .await?;
            println!("{secret}");
        }
    }
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var(crate::config::env::PASSWORD) {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("failed to read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn refusal(error: weiwan_server::ApiError) -> anyhow::Error {
    match error {
        weiwan_server::ApiError::BadRequest { message, problems } => {
            anyhow::anyhow!("{message}:\n  {}", problems.join("\n  "))
        }
        other => anyhow::anyhow!("{other}"),
    }
}
