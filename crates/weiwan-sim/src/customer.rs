//! Customers: individuals and group (enterprise, 集团) customers, their tier, branch,
//! account manager, group membership and how many lines they own.
//!
//! Group structure is laid out by index so it can be known while streaming: customers come
//! in blocks of [`GROUP_BLOCK`]; each block holds one group customer at a position hashed
//! from the seed, the next one to three customers are its key persons (关键人), and other
//! individuals may join one of the recent groups. A member always refers to a group with a
//! smaller index, so the group row is written before any row that refers to it.

use chrono::{Duration, NaiveDate};
use weiwan_domain::codes::{CustomerKind, VipTier};

use crate::calendar::{Timeline, add_months};
use crate::catalog::{BRANCHES, TIER_WEIGHTS, TIERS, branch_weights, line_count_weights};
use crate::draw::{Draw, SimRng, hash_of};
use crate::identity;
use crate::reference::ManagerDirectory;

/// Customers per block; each block has one group customer (0.5 % of customers).
const GROUP_BLOCK: u64 = 200;
const MAX_KEY_PERSONS: u64 = 3;
/// Share of ordinary individuals who are members of some group.
const GROUP_MEMBER_SHARE: f64 = 0.06;
/// How many earlier blocks a member may pick its group from.
const GROUP_LOOKBACK_BLOCKS: u64 = 4;
/// Share of a group's members registered with the group's own branch.
const MEMBER_IN_GROUP_BRANCH: f64 = 0.85;
/// Share of new customers (joined inside the window) per window month.
const NEW_CUSTOMERS_PER_MONTH: f64 = 0.012;
const MAX_NEW_CUSTOMER_SHARE: f64 = 0.35;
const MAX_TENURE_MONTHS: f64 = 300.0;
const DAYS_PER_MONTH: f64 = 30.44;

#[derive(Debug, Clone, Copy)]
struct GroupSlot {
    customer_index: u64,
    key_persons: u64,
}

/// Where a block's group customer sits and how many key persons follow it.
fn group_slot(seed: u64, block: u64) -> GroupSlot {
    let hash = hash_of(seed, &[0x6720_0B10, block]);
    let position = hash % (GROUP_BLOCK - MAX_KEY_PERSONS);
    let key_persons = 1 + (hash >> 32) % MAX_KEY_PERSONS;
    GroupSlot { customer_index: block * GROUP_BLOCK + position, key_persons }
}

/// The branch of a group customer, computable from anywhere so members can share it.
fn group_branch(seed: u64, group_index: u64) -> usize {
    let weights = branch_weights();
    let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    let mut target = hash_of(seed, &[0x00B7_A2C4, group_index]) % total;
    for (index, weight) in weights.iter().enumerate() {
        if target < u64::from(*weight) {
            return index;
        }
        target -= u64::from(*weight);
    }
    0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GroupRole {
    Group,
    KeyPerson { group: u64 },
    Individual,
}

fn group_role(seed: u64, customer_index: u64) -> GroupRole {
    let slot = group_slot(seed, customer_index / GROUP_BLOCK);
    if customer_index == slot.customer_index {
        GroupRole::Group
    } else if customer_index > slot.customer_index && customer_index <= slot.customer_index + slot.key_persons
    {
        GroupRole::KeyPerson { group: slot.customer_index }
    } else {
        GroupRole::Individual
    }
}

/// A group an ordinary individual may join: one of the last few groups written before it.
fn pick_recent_group(rng: &mut SimRng, seed: u64, customer_index: u64) -> Option<u64> {
    let block = customer_index / GROUP_BLOCK;
    let mut candidates = [0u64; GROUP_LOOKBACK_BLOCKS as usize + 1];
    let mut count = 0;
    for earlier in block.saturating_sub(GROUP_LOOKBACK_BLOCKS)..=block {
        let slot = group_slot(seed, earlier);
        if slot.customer_index < customer_index {
            candidates[count] = slot.customer_index;
            count += 1;
        }
    }
    (count > 0).then(|| *rng.pick(&candidates[..count]))
}

/// One customer, as written to `customers`, plus what its lines need to know.
#[derive(Debug)]
pub(crate) struct Customer {
    pub index: u64,
    pub id: String,
    pub kind: CustomerKind,
    pub name: String,
    pub id_number: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub branch: usize,
    pub manager: Option<u64>,
    pub tier: VipTier,
    pub group: Option<u64>,
    pub is_key_person: bool,
    pub joined_on: NaiveDate,
    /// Lines to generate for this customer (0 for group customers, whose members hold the
    /// lines); the caller clips it to the lines still to generate.
    pub line_count: u32,
    /// Whether the customer's lines share a family plan (家庭计划).
    pub family: bool,
}

pub(crate) fn generate_customer(
    rng: &mut SimRng,
    seed: u64,
    customer_index: u64,
    timeline: &Timeline,
    managers: &ManagerDirectory,
) -> Customer {
    let mut id = String::new();
    identity::customer_id(&mut id, customer_index);
    match group_role(seed, customer_index) {
        GroupRole::Group => generate_group_customer(rng, seed, customer_index, id, timeline, managers),
        role => generate_individual(rng, seed, customer_index, id, role, timeline, managers),
    }
}

fn generate_group_customer(
    rng: &mut SimRng,
    seed: u64,
    customer_index: u64,
    id: String,
    timeline: &Timeline,
    managers: &ManagerDirectory,
) -> Customer {
    let branch = group_branch(seed, customer_index);
    let tier = [VipTier::Diamond, VipTier::Gold, VipTier::Silver][rng.weighted(&[30, 45, 25])];
    let years_ago = rng.uniform(2.0, 20.0);
    let joined_on = timeline.start() - Duration::days((years_ago * 365.25) as i64);
    Customer {
        index: customer_index,
        id,
        kind: CustomerKind::Group,
        name: identity::company_name(rng, BRANCHES[branch].city),
        id_number: Some(identity::credit_code(rng, BRANCHES[branch].region_code)),
        birthday: None,
        branch,
        manager: Some(managers.pick_account_manager(rng, branch)),
        tier,
        group: None,
        is_key_person: false,
        joined_on,
        line_count: 0,
        family: false,
    }
}

fn generate_individual(
    rng: &mut SimRng,
    seed: u64,
    customer_index: u64,
    id: String,
    role: GroupRole,
    timeline: &Timeline,
    managers: &ManagerDirectory,
) -> Customer {
    let (group, is_key_person) = match role {
        GroupRole::KeyPerson { group } => (Some(group), true),
        _ if rng.chance(GROUP_MEMBER_SHARE) => (pick_recent_group(rng, seed, customer_index), false),
        _ => (None, false),
    };
    let tier = if is_key_person {
        [VipTier::Diamond, VipTier::Gold, VipTier::Silver, VipTier::Member][rng.weighted(&[5, 20, 35, 40])]
    } else {
        TIERS[rng.weighted(&TIER_WEIGHTS)]
    };
    let branch = match group {
        Some(group_index) if rng.chance(MEMBER_IN_GROUP_BRANCH) => group_branch(seed, group_index),
        _ => rng.weighted(&branch_weights()),
    };
    let manager =
        rng.chance(manager_assignment_share(tier)).then(|| managers.pick_account_manager(rng, branch));
    let joined_on = draw_joined_on(rng, tier, timeline);
    let birthday = draw_birthday(rng, joined_on, timeline);
    let id_number =
        rng.chance(0.97).then(|| identity::resident_id_number(rng, BRANCHES[branch].region_code, birthday));
    let line_count = 1 + rng.weighted(&line_count_weights(tier)) as u32;
    Customer {
        index: customer_index,
        id,
        kind: CustomerKind::Individual,
        name: identity::person_name(rng),
        id_number,
        birthday: Some(birthday),
        branch,
        manager,
        tier,
        group,
        is_key_person,
        joined_on,
        line_count,
        family: line_count >= 2 && rng.chance(0.6),
    }
}

/// VIP customers all have an account manager; the mass market mostly has none.
fn manager_assignment_share(tier: VipTier) -> f64 {
    match tier {
        VipTier::Diamond | VipTier::Gold | VipTier::Silver => 1.0,
        VipTier::Member => 0.7,
        VipTier::Mass => 0.04,
    }
}

/// Mean tenure before the window, in months: VIP status comes with years on the network.
fn mean_tenure_months(tier: VipTier) -> f64 {
    match tier {
        VipTier::Mass => 40.0,
        VipTier::Member => 55.0,
        VipTier::Silver => 70.0,
        VipTier::Gold => 85.0,
        VipTier::Diamond => 95.0,
    }
}

/// How much likelier than average a tier is to be a newcomer.
fn newcomer_factor(tier: VipTier) -> f64 {
    match tier {
        VipTier::Mass => 1.3,
        VipTier::Member => 0.8,
        VipTier::Silver => 0.5,
        VipTier::Gold => 0.3,
        VipTier::Diamond => 0.2,
    }
}

/// Newcomers join inside the window (a steady trickle per month); everyone else joined an
/// exponentially distributed number of months before it.
fn draw_joined_on(rng: &mut SimRng, tier: VipTier, timeline: &Timeline) -> NaiveDate {
    let newcomer_share = (NEW_CUSTOMERS_PER_MONTH * timeline.months as f64).min(MAX_NEW_CUSTOMER_SHARE)
        * newcomer_factor(tier);
    if rng.chance(newcomer_share) {
        let window_days = (timeline.extract_date() - timeline.start()).num_days();
        return timeline.start() + Duration::days(rng.between(0, window_days));
    }
    let tenure_months = (-mean_tenure_months(tier) * (1.0 - rng.unit()).ln()).min(MAX_TENURE_MONTHS);
    timeline.start() - Duration::days((tenure_months * DAYS_PER_MONTH) as i64 + 1)
}

/// Adults aged 18–80 at the extract date, and at least 16 when they joined.
fn draw_birthday(rng: &mut SimRng, joined_on: NaiveDate, timeline: &Timeline) -> NaiveDate {
    let extract_date = timeline.extract_date();
    let years_since_joining = ((extract_date - joined_on).num_days() / 365) as i32;
    let age = (40.0 + 13.0 * rng.normal()).clamp(18.0, 80.0) as i32;
    let age = age.max(years_since_joining + 16 + rng.between(0, 6) as i32).min(85);
    add_months(extract_date, -12 * age) - Duration::days(rng.between(0, 364))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_person_and_member_refers_to_an_earlier_group() {
        let seed = 11;
        let mut groups = 0;
        for customer_index in 0..5_000 {
            match group_role(seed, customer_index) {
                GroupRole::Group => groups += 1,
                GroupRole::KeyPerson { group } => {
                    assert!(group < customer_index);
                    assert_eq!(group_role(seed, group), GroupRole::Group);
                }
                GroupRole::Individual => {}
            }
        }
        assert_eq!(groups, 5_000 / GROUP_BLOCK);
        let mut rng = crate::draw::customer_rng(seed, 0);
        for customer_index in 0..5_000 {
            if let Some(group) = pick_recent_group(&mut rng, seed, customer_index) {
                assert!(group < customer_index);
                assert_eq!(group_role(seed, group), GroupRole::Group);
            }
        }
    }
}
