//! The small reference tables written first: branches, managers and plans.
//!
//! Managers are laid out by index so a customer can be given a manager of its own branch
//! without a lookup table: manager `j` works for branch `j mod 10`, and within a branch the
//! roles repeat in fives: three account managers (客户经理), one retention manager (维系经理)
//! and one outbound manager (外呼经理). There is one manager per 1,500 lines, and at least
//! two per branch.

use weiwan_domain::codes::{ManagerRole, Network};
use weiwan_domain::{Money, TableId, Value};

use crate::catalog::{BRANCHES, PLANS};
use crate::draw::{Draw, SimRng};
use crate::emit::Emitter;
use crate::identity;
use weiwan_domain::schema::RowSink;

/// One manager per this many lines, roughly.
const LINES_PER_MANAGER: u64 = 1_500;
/// At least this many managers per branch, so every branch has account managers.
const MIN_MANAGERS_PER_BRANCH: u64 = 2;
/// Roles by position within a branch, repeating.
const ROLE_PATTERN: [ManagerRole; 5] = [
    ManagerRole::Account,
    ManagerRole::Account,
    ManagerRole::Account,
    ManagerRole::Retention,
    ManagerRole::Outbound,
];
const ACCOUNT_PER_PATTERN: u64 = 3;

/// Which managers exist, by index, and how to find one of a branch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ManagerDirectory {
    pub count: u64,
}

impl ManagerDirectory {
    pub(crate) fn for_lines(lines: u64) -> ManagerDirectory {
        let minimum = MIN_MANAGERS_PER_BRANCH * BRANCHES.len() as u64;
        ManagerDirectory { count: (lines / LINES_PER_MANAGER).max(minimum) }
    }

    fn branch_of(manager_index: u64) -> usize {
        (manager_index % BRANCHES.len() as u64) as usize
    }

    fn role_of(manager_index: u64) -> ManagerRole {
        let position_in_branch = manager_index / BRANCHES.len() as u64;
        ROLE_PATTERN[(position_in_branch % ROLE_PATTERN.len() as u64) as usize]
    }

    /// Managers of `branch`, whose positions in the branch are `0..n`.
    fn managers_in_branch(&self, branch: usize) -> u64 {
        let branches = BRANCHES.len() as u64;
        (self.count + branches - 1 - branch as u64) / branches
    }

    /// A uniformly chosen account manager of `branch`.
    pub(crate) fn pick_account_manager(&self, rng: &mut SimRng, branch: usize) -> u64 {
        let in_branch = self.managers_in_branch(branch);
        let pattern = ROLE_PATTERN.len() as u64;
        let account_managers =
            (in_branch / pattern) * ACCOUNT_PER_PATTERN + (in_branch % pattern).min(ACCOUNT_PER_PATTERN);
        let chosen = rng.below(account_managers);
        let position_in_branch = (chosen / ACCOUNT_PER_PATTERN) * pattern + chosen % ACCOUNT_PER_PATTERN;
        position_in_branch * BRANCHES.len() as u64 + branch as u64
    }
}

pub(crate) fn emit_reference_tables<S: RowSink>(
    emitter: &mut Emitter<'_, S>,
    rng: &mut SimRng,
    managers: &ManagerDirectory,
) -> Result<(), S::Error> {
    for branch in &BRANCHES {
        emitter.row(TableId::Branches, |row| {
            row.push(Value::Text(branch.id.to_owned()));
            row.push(Value::Text(branch.name.to_owned()));
            row.push(Value::Text(branch.city.to_owned()));
        })?;
    }
    for manager_index in 0..managers.count {
        let name = identity::person_name(rng);
        let has_phone = rng.chance(0.95);
        emitter.row(TableId::Managers, |row| {
            row.push(Value::Text(identity::manager_id(manager_index)));
            row.push(Value::Text(name));
            row.push(Value::Text(BRANCHES[ManagerDirectory::branch_of(manager_index)].id.to_owned()));
            row.push(Value::Text(ManagerDirectory::role_of(manager_index).code().to_owned()));
            row.push(if has_phone {
                Value::Text(identity::manager_phone(manager_index))
            } else {
                Value::Null
            });
        })?;
    }
    for plan in &PLANS {
        emitter.row(TableId::Plans, |row| {
            row.push(Value::Text(plan.id.to_owned()));
            row.push(Value::Text(plan.name.to_owned()));
            row.push(Value::Money(Money::from_yuan(plan.monthly_fee_yuan)));
            row.push(Value::Text(plan.payment_type.code().to_owned()));
            row.push(Value::Text(if plan.is_5g { Network::G5 } else { Network::G4 }.code().to_owned()));
            row.push(Value::Int(plan.data_mb));
            row.push(Value::Int(plan.voice_minutes));
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draw::customer_rng;

    #[test]
    fn account_managers_are_picked_from_the_customers_branch() {
        let mut rng = customer_rng(3, 0);
        for lines in [1, 40_000, 1_000_000] {
            let directory = ManagerDirectory::for_lines(lines);
            for branch in 0..BRANCHES.len() {
                for _ in 0..200 {
                    let manager = directory.pick_account_manager(&mut rng, branch);
                    assert!(manager < directory.count, "{manager} of {}", directory.count);
                    assert_eq!(ManagerDirectory::branch_of(manager), branch);
                    assert_eq!(ManagerDirectory::role_of(manager), ManagerRole::Account);
                }
            }
        }
    }
}
