//! The tag library use cases: show the library in force, check a file, put a file in force.

use weiwan_analytics::tags::LoadError;
use weiwan_analytics::{Lake, TagLibrary};

use crate::error::{Error, Result};

pub fn tag_library(lake: &Lake) -> Result<TagLibrary> {
    Ok(weiwan_analytics::active_library(lake)?)
}

/// Checks a library file without putting it in force.
pub async fn check_tag_library(source: &str) -> Result<TagLibrary> {
    let library = weiwan_analytics::tags::parse_library(source)?;
    weiwan_analytics::tags::check_library(&library).await?;
    Ok(library)
}

/// Checks a library file and puts it in force; a refused file changes nothing.
pub async fn load_tag_library(lake: &Lake, source: &str) -> Result<TagLibrary> {
    weiwan_analytics::load_library(lake, source).await.map_err(|err| match err {
        LoadError::Refused(refused) => Error::TagsRefused(refused),
        LoadError::Failed(failed) => failed.into(),
    })
}
