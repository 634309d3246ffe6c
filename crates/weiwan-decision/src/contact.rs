//! The contact policy (接触策略): one ledger for all campaigns and channels decides whether a
//! customer may be contacted now.
//!
//! A policy caps the marketing contacts per channel and calendar period ([`Cap`]), keeps some
//! channels quiet at night ([`QuietHours`]), stops marketing for a while after repeated refusals
//! ([`Suppression`], 拒绝后静默) and says how many contacts a channel can make a day
//! ([`Capacity`]). [`may_contact`] applies it to a customer's contact history, whichever
//! campaigns made those contacts; [`has_capacity`] checks a channel's daily capacity.
//!
//! A policy is written in TOML; the shipped one is `contact/policy.toml` ([`BUILTIN_POLICY`],
//! parsed by [`builtin_policy()`]). [`parse_policy`] reads a policy and refuses it, listing every
//! problem (each naming the entry and the field), when anything in it is wrong.
//!
//! ```toml
//! version = "builtin-1"
//!
//! [[cap]]
//! channel = "outbound"
//! period = "month"
//! max = 2
//!
//! [quiet_hours]
//! start = "21:00"
//! end = "08:00"
//! channels = ["outbound", "sms"]
//!
//! [suppression]
//! refusals = 2
//! within_days = 30
//! quiet_days = 60
//!
//! [[capacity]]
//! channel = "outbound"
//! per_day = 5000
//! ```
//!
//! The same serde form (`cap` and `capacity` for the lists, times as `"HH:MM"`) serves TOML and
//! JSON. All times are China time, as naive dates and times; the caller passes the time.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Channels a policy knows: outbound calls (外呼), SMS (短信), store visits (营业厅), the hotline
/// (热线) and the web hall (网上营业厅).
pub const CHANNELS: [&str; 5] = ["outbound", "sms", "store", "hotline", "web_hall"];

/// The longest quiet period after refusals, in days.
pub const MAX_QUIET_DAYS: u32 = 365;

/// The text of the built-in policy, `contact/policy.toml`.
pub const BUILTIN_POLICY: &str = include_str!("../contact/policy.toml");

/// The built-in contact policy.
///
/// # Panics
///
/// When the shipped `contact/policy.toml` is refused, which a test rules out.
pub fn builtin_policy() -> ContactPolicy {
    match parse_policy(BUILTIN_POLICY) {
        Ok(policy) => policy,
        Err(err) => panic!("the built-in contact policy is broken: {err}"),
    }
}

/// A parsed, checked contact policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactPolicy {
    /// Names the policy; not empty.
    pub version: String,
    /// Caps on marketing contacts, written as `[[cap]]` tables; at most one per channel and
    /// period.
    #[serde(default, rename = "cap")]
    pub caps: Vec<Cap>,
    /// Hours some channels stay quiet; `None` for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<QuietHours>,
    /// Marketing stops after repeated refusals; `None` for never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
    /// Daily capacity of channels, written as `[[capacity]]` tables; at most one per channel.
    #[serde(default, rename = "capacity")]
    pub daily_capacity: Vec<Capacity>,
}

/// At most `max` marketing contacts on `channel` per calendar `period` (China time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cap {
    /// One of [`CHANNELS`].
    pub channel: String,
    pub period: Period,
    /// At least 1.
    pub max: u32,
}

/// A calendar period of a [`Cap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// A calendar day.
    Day,
    /// An ISO week, Monday to Sunday (a week may span two months or two years).
    Week,
    /// A calendar month.
    Month,
}

impl Period {
    /// Every period, shortest first.
    pub const ALL: [Period; 3] = [Period::Day, Period::Week, Period::Month];

    /// The code written in a policy: `day`, `week` or `month`.
    pub const fn code(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// Whether two dates fall in the same period.
    pub fn same(self, a: NaiveDate, b: NaiveDate) -> bool {
        match self {
            Period::Day => a == b,
            Period::Week => a.iso_week() == b.iso_week(),
            Period::Month => a.year() == b.year() && a.month() == b.month(),
        }
    }

    /// `每天`, `每周`, `每月`.
    fn per_zh(self) -> &'static str {
        match self {
            Period::Day => "每天",
            Period::Week => "每周",
            Period::Month => "每月",
        }
    }

    /// `今天`, `本周`, `本月`.
    fn this_zh(self) -> &'static str {
        match self {
            Period::Day => "今天",
            Period::Week => "本周",
            Period::Month => "本月",
        }
    }

    /// `a day`, `a week`, `a month`.
    fn per_en(self) -> &'static str {
        match self {
            Period::Day => "a day",
            Period::Week => "a week",
            Period::Month => "a month",
        }
    }

    /// `today`, `this week`, `this month`.
    fn this_en(self) -> &'static str {
        match self {
            Period::Day => "today",
            Period::Week => "this week",
            Period::Month => "this month",
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// No contact on these channels between start and end (local time; may wrap midnight, e.g.
/// 21:00 → 08:00). The start is quiet, the end is not. Written as `"HH:MM"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    #[serde(with = "crate::serde_text::hhmm")]
    pub start: NaiveTime,
    #[serde(with = "crate::serde_text::hhmm")]
    pub end: NaiveTime,
    /// Some of [`CHANNELS`], at least one.
    pub channels: Vec<String>,
}

impl QuietHours {
    /// Whether the time of day is within the quiet hours (whatever the channel).
    pub fn contains(&self, time: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= time && time < self.end
        } else {
            time >= self.start || time < self.end
        }
    }

    /// Whether `channel` is quiet at `at`; if so, when it may be contacted again (the next end
    /// of the quiet hours).
    pub fn quiet_until(&self, channel: &str, at: NaiveDateTime) -> Option<NaiveDateTime> {
        if !self.channels.iter().any(|quiet| quiet == channel) || !self.contains(at.time()) {
            return None;
        }
        let day = if at.time() < self.end { at.date() } else { add_days(at.date(), 1) };
        Some(day.and_time(self.end))
    }
}

/// Refused `refusals` times within `within_days` → no marketing contact for `quiet_days` after
/// the last refusal (拒绝后静默). Refusals on any channel count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    /// How many refusals, at least 1.
    pub refusals: u32,
    /// The first and the last of those refusals are at most this many days apart (by date), at
    /// least 1.
    pub within_days: u32,
    /// Marketing may resume this many days after the day of the last refusal (1 to
    /// [`MAX_QUIET_DAYS`]).
    pub quiet_days: u32,
}

impl Suppression {
    /// The first day marketing contact is allowed again after the refusals in `history` made
    /// at or before `at`, when they call for a quiet period and it has not ended by `at`'s day.
    pub fn suppressed_until(&self, history: &[PastContact], at: NaiveDateTime) -> Option<NaiveDate> {
        let needed = usize::try_from(self.refusals).unwrap_or(usize::MAX).max(1);
        let mut days: Vec<NaiveDate> = history
            .iter()
            .filter(|contact| contact.refused && contact.at <= at)
            .map(|c| c.at.date())
            .collect();
        days.sort_unstable();
        days.windows(needed)
            .filter_map(|run| match (run.first(), run.last()) {
                (Some(first), Some(last)) if (*last - *first).num_days() <= i64::from(self.within_days) => {
                    Some(add_days(*last, self.quiet_days))
                }
                _ => None,
            })
            .max()
            .filter(|until| *until > at.date())
    }
}

/// How many contacts a channel can make a day (call-centre capacity).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    /// One of [`CHANNELS`].
    pub channel: String,
    /// At least 1.
    pub per_day: u32,
}

/// A contact in the ledger (接触记录), as the decision needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PastContact {
    pub channel: String,
    /// China time, written `YYYY-MM-DD HH:MM:SS`.
    #[serde(with = "crate::serde_text::datetime")]
    pub at: NaiveDateTime,
    /// The customer refused the offer or the call.
    pub refused: bool,
    /// A bill or a notice (an arrears reminder) rather than marketing.
    pub transactional: bool,
}

/// Whether a customer may be contacted, and if not, why; tagged by `code` in serde.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case", deny_unknown_fields)]
pub enum Verdict {
    /// The contact may be made.
    Allowed,
    /// The customer is on the do-not-disturb list (免打扰): no marketing contact.
    DoNotDisturb,
    /// Quiet after repeated refusals; marketing may resume on `until` (`YYYY-MM-DD`).
    Suppressed {
        #[serde(with = "crate::serde_text::date")]
        until: NaiveDate,
    },
    /// Within the channel's quiet hours, which end at `until` (`YYYY-MM-DD HH:MM:SS`).
    QuietHours {
        #[serde(with = "crate::serde_text::datetime")]
        until: NaiveDateTime,
    },
    /// The customer has had `max` marketing contacts on `channel` this `period`.
    CapReached { channel: String, period: Period, max: u32 },
}

impl Verdict {
    /// Whether the contact may be made.
    pub fn allowed(&self) -> bool {
        matches!(self, Verdict::Allowed)
    }

    /// `allowed`, `do_not_disturb`, `suppressed`, `quiet_hours` or `cap_reached` (the serde tag).
    pub fn code(&self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::DoNotDisturb => "do_not_disturb",
            Verdict::Suppressed { .. } => "suppressed",
            Verdict::QuietHours { .. } => "quiet_hours",
            Verdict::CapReached { .. } => "cap_reached",
        }
    }

    /// The verdict in Chinese, e.g. `外呼每月最多2次，本月已达上限`.
    pub fn reason_zh(&self) -> String {
        match self {
            Verdict::Allowed => "可以接触".to_owned(),
            Verdict::DoNotDisturb => "客户已登记免打扰，不做营销接触".to_owned(),
            Verdict::Suppressed { until } => {
                format!("客户近期多次拒绝，静默期内不做营销接触，{until}起可再接触")
            }
            Verdict::QuietHours { until } => {
                format!("勿扰时段内不可接触，{}起可接触", until.format("%Y-%m-%d %H:%M"))
            }
            Verdict::CapReached { channel, period, max } => {
                format!("{}{}最多{max}次，{}已达上限", channel_zh(channel), period.per_zh(), period.this_zh())
            }
        }
    }

    /// The verdict in English, e.g. `at most 2 outbound contacts a month, reached this month`.
    pub fn reason_en(&self) -> String {
        match self {
            Verdict::Allowed => "may be contacted".to_owned(),
            Verdict::DoNotDisturb => "on the do-not-disturb list: no marketing contact".to_owned(),
            Verdict::Suppressed { until } => {
                format!("refused repeatedly: no marketing contact before {until}")
            }
            Verdict::QuietHours { until } => {
                format!("within quiet hours: may be contacted from {}", until.format("%Y-%m-%d %H:%M"))
            }
            Verdict::CapReached { channel, period, max } => format!(
                "at most {max} {} contact{} {}, reached {}",
                channel_en(channel),
                if *max == 1 { "" } else { "s" },
                period.per_en(),
                period.this_en()
            ),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason_en())
    }
}

/// May the customer be contacted on `channel` at `at`? Checks in order: the do-not-disturb list
/// (免打扰), suppression after refusals, quiet hours, caps; the first that refuses gives the
/// verdict. Transactional messages (a bill, an arrears notice) pass do-not-disturb,
/// suppression and the caps, but not quiet hours.
///
/// Caps count the non-transactional contacts in `history` on that channel in the same calendar
/// period as `at`, from all campaigns (every such contact of the period, so that a late check
/// never lets the period exceed its cap). Suppression counts refusals on any channel made at or
/// before `at`. A channel the policy does not name has no caps and no quiet hours.
pub fn may_contact(
    policy: &ContactPolicy,
    history: &[PastContact],
    do_not_disturb: bool,
    channel: &str,
    at: NaiveDateTime,
    transactional: bool,
) -> Verdict {
    if do_not_disturb && !transactional {
        return Verdict::DoNotDisturb;
    }
    if !transactional
        && let Some(until) = policy.suppression.as_ref().and_then(|s| s.suppressed_until(history, at))
    {
        return Verdict::Suppressed { until };
    }
    if let Some(until) = policy.quiet_hours.as_ref().and_then(|quiet| quiet.quiet_until(channel, at)) {
        return Verdict::QuietHours { until };
    }
    if transactional {
        return Verdict::Allowed;
    }
    for cap in policy.caps.iter().filter(|cap| cap.channel == channel) {
        let made = history
            .iter()
            .filter(|past| {
                !past.transactional && past.channel == channel && cap.period.same(past.at.date(), at.date())
            })
            .count();
        if made >= usize::try_from(cap.max).unwrap_or(usize::MAX) {
            return Verdict::CapReached { channel: cap.channel.clone(), period: cap.period, max: cap.max };
        }
    }
    Verdict::Allowed
}

/// Whether a channel still has capacity today given how many contacts it has made today; a
/// channel without a capacity is unlimited.
pub fn has_capacity(policy: &ContactPolicy, channel: &str, made_today: u64) -> bool {
    policy.capacity(channel).is_none_or(|per_day| made_today < u64::from(per_day))
}

impl ContactPolicy {
    /// The daily capacity of a channel, if it has one.
    pub fn capacity(&self, channel: &str) -> Option<u32> {
        self.daily_capacity.iter().find(|capacity| capacity.channel == channel).map(|c| c.per_day)
    }

    /// The caps of a channel, in the order written.
    pub fn caps_of<'a>(&'a self, channel: &'a str) -> impl Iterator<Item = &'a Cap> + 'a {
        self.caps.iter().filter(move |cap| cap.channel == channel)
    }

    /// Every problem of the policy, empty when it is fine (see [`parse_policy`] for the checks);
    /// for a policy that arrives whole, as JSON say.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Problems::default();
        let caps: Vec<(usize, &Cap)> = self.caps.iter().enumerate().collect();
        let capacity: Vec<(usize, &Capacity)> = self.daily_capacity.iter().enumerate().collect();
        check(
            Some(&self.version),
            &caps,
            self.quiet_hours.as_ref(),
            self.suppression.as_ref(),
            &capacity,
            &mut out,
        );
        out.0
    }
}

/// Why a policy was refused: every problem found, each naming the entry (`policy`, `cap #n`,
/// `quiet_hours`, `suppression`, `capacity #n`) and the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("the contact policy is refused: {}", .problems.join("; "))]
pub struct PolicyRefused {
    pub problems: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Parsing and checking

/// Parses and checks a policy (see the module's example). Refuses it with every problem found:
/// TOML that does not parse; top-level keys other than `version`, `cap`, `quiet_hours`,
/// `suppression` and `capacity`; per entry, fields of the wrong type, unknown or missing (the
/// first such problem of each entry); an empty or missing `version`; channels not in
/// [`CHANNELS`]; a cap's `max` of 0 or two caps for one channel and period; quiet hours whose
/// start is their end, that name no channel or a channel twice; suppression numbers of 0 or
/// `quiet_days` over [`MAX_QUIET_DAYS`]; a capacity of 0 or two for one channel.
pub fn parse_policy(source: &str) -> Result<ContactPolicy, PolicyRefused> {
    let mut table: toml::Table = toml::from_str(source).map_err(|err| PolicyRefused {
        problems: vec![format!("the policy is not well formed: {}", err.to_string().trim())],
    })?;
    let mut out = Problems::default();
    let version = match table.remove("version") {
        Some(toml::Value::String(version)) => Some(version),
        Some(other) => {
            out.add("policy", "version", format!("must be a string, not {}", other.type_str()));
            None
        }
        None => {
            out.add("policy", "version", "missing");
            None
        }
    };
    let caps: Vec<(usize, Cap)> = entries(&mut table, "cap", &mut out);
    let quiet_hours: Option<QuietHours> = single(&mut table, "quiet_hours", &mut out);
    let suppression: Option<Suppression> = single(&mut table, "suppression", &mut out);
    let capacity: Vec<(usize, Capacity)> = entries(&mut table, "capacity", &mut out);
    for key in table.keys() {
        out.add("policy", key, "unknown field: expected version, cap, quiet_hours, suppression or capacity");
    }
    let cap_refs: Vec<(usize, &Cap)> = caps.iter().map(|(index, cap)| (*index, cap)).collect();
    let capacity_refs: Vec<(usize, &Capacity)> = capacity.iter().map(|(index, c)| (*index, c)).collect();
    check(
        version.as_deref(),
        &cap_refs,
        quiet_hours.as_ref(),
        suppression.as_ref(),
        &capacity_refs,
        &mut out,
    );
    match version {
        Some(version) if out.0.is_empty() => Ok(ContactPolicy {
            version,
            caps: caps.into_iter().map(|(_, cap)| cap).collect(),
            quiet_hours,
            suppression,
            daily_capacity: capacity.into_iter().map(|(_, capacity)| capacity).collect(),
        }),
        _ => Err(PolicyRefused { problems: out.0 }),
    }
}

/// The `[[key]]` entries of the policy that deserialize, each with its index; a problem for
/// each that does not.
fn entries<T: DeserializeOwned>(table: &mut toml::Table, key: &str, out: &mut Problems) -> Vec<(usize, T)> {
    match table.remove(key) {
        None => Vec::new(),
        Some(toml::Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .filter_map(|(index, item)| match item.try_into::<T>() {
                Ok(entry) => Some((index, entry)),
                Err(err) => {
                    out.serde(&entry_label(key, index), &err);
                    None
                }
            })
            .collect(),
        Some(other) => {
            out.add("policy", key, format!("must be [[{key}]] tables, not {}", other.type_str()));
            Vec::new()
        }
    }
}

/// The `[key]` table of the policy, if present and it deserializes; a problem if it does not.
fn single<T: DeserializeOwned>(table: &mut toml::Table, key: &str, out: &mut Problems) -> Option<T> {
    let value = table.remove(key)?;
    if !value.is_table() {
        out.add("policy", key, format!("must be a [{key}] table, not {}", value.type_str()));
        return None;
    }
    value.try_into::<T>().map_err(|err| out.serde(key, &err)).ok()
}

fn entry_label(key: &str, index: usize) -> String {
    format!("{key} #{}", index + 1)
}

/// The checks of [`parse_policy`] past serde, over the entries that deserialized.
fn check(
    version: Option<&str>,
    caps: &[(usize, &Cap)],
    quiet_hours: Option<&QuietHours>,
    suppression: Option<&Suppression>,
    capacity: &[(usize, &Capacity)],
    out: &mut Problems,
) {
    if version.is_some_and(|version| version.trim().is_empty()) {
        out.add("policy", "version", "must not be empty");
    }
    let mut first_cap: BTreeMap<(&str, Period), usize> = BTreeMap::new();
    for (index, cap) in caps {
        let label = entry_label("cap", *index);
        out.channel(&label, "channel", &cap.channel);
        if cap.max == 0 {
            out.add(&label, "max", "must be at least 1 (leave the cap out for no limit)");
        }
        match first_cap.entry((cap.channel.as_str(), cap.period)) {
            Entry::Vacant(vacant) => {
                vacant.insert(*index);
            }
            Entry::Occupied(earlier) => out.add(
                &label,
                "period",
                format!(
                    "{:?} already has a cap per {} ({})",
                    cap.channel,
                    cap.period,
                    entry_label("cap", *earlier.get())
                ),
            ),
        }
    }
    if let Some(quiet) = quiet_hours {
        if quiet.start == quiet.end {
            out.add(
                "quiet_hours",
                "end",
                format!("{} is the start too: the quiet hours would be empty", quiet.end.format("%H:%M")),
            );
        }
        if quiet.channels.is_empty() {
            out.add(
                "quiet_hours",
                "channels",
                "must name at least one channel (leave quiet_hours out for none)",
            );
        }
        for (index, channel) in quiet.channels.iter().enumerate() {
            out.channel("quiet_hours", "channels", channel);
            if quiet.channels[..index].contains(channel) {
                out.add("quiet_hours", "channels", format!("{channel:?} is named twice"));
            }
        }
    }
    if let Some(suppression) = suppression {
        for (field, value) in [
            ("refusals", suppression.refusals),
            ("within_days", suppression.within_days),
            ("quiet_days", suppression.quiet_days),
        ] {
            if value == 0 {
                out.add("suppression", field, "must be at least 1 (leave suppression out for none)");
            }
        }
        if suppression.quiet_days > MAX_QUIET_DAYS {
            out.add(
                "suppression",
                "quiet_days",
                format!("{} days is more than {MAX_QUIET_DAYS}", suppression.quiet_days),
            );
        }
    }
    let mut first_capacity: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, capacity) in capacity {
        let label = entry_label("capacity", *index);
        out.channel(&label, "channel", &capacity.channel);
        if capacity.per_day == 0 {
            out.add(&label, "per_day", "must be at least 1 (leave the capacity out for no limit)");
        }
        match first_capacity.entry(capacity.channel.as_str()) {
            Entry::Vacant(vacant) => {
                vacant.insert(*index);
            }
            Entry::Occupied(earlier) => out.add(
                &label,
                "channel",
                format!(
                    "{:?} already has a capacity ({})",
                    capacity.channel,
                    entry_label("capacity", *earlier.get())
                ),
            ),
        }
    }
}

/// The problems found so far, each `entry: field: problem`.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, entry: &str, field: &str, text: impl fmt::Display) {
        self.0.push(format!("{entry}: {field}: {text}"));
    }

    fn channel(&mut self, entry: &str, field: &str, channel: &str) {
        if !CHANNELS.contains(&channel) {
            self.add(entry, field, format!("{channel:?} is not a channel: one of {}", CHANNELS.join(", ")));
        }
    }

    /// A serde error about one entry, with the field it names: the path toml reports, else the
    /// field of an unknown or missing field message.
    fn serde(&mut self, entry: &str, err: &toml::de::Error) {
        let message = err.message().trim();
        let shown = err.to_string();
        let quoted = |text: &str, prefix: &str| {
            let start = text.find(prefix)? + prefix.len();
            let end = text[start..].find('`')?;
            Some(text[start..start + end].to_owned())
        };
        let field = quoted(&shown, "in `")
            .or_else(|| quoted(message, "unknown field `"))
            .or_else(|| quoted(message, "missing field `"))
            .unwrap_or_else(|| "(entry)".to_owned());
        self.add(entry, &field, message);
    }
}

/// A channel as said in Chinese: `外呼`, `短信` …; an unknown code as it is.
fn channel_zh(channel: &str) -> &str {
    match channel {
        "outbound" => "外呼",
        "sms" => "短信",
        "store" => "营业厅",
        "hotline" => "热线",
        "web_hall" => "网上营业厅",
        other => other,
    }
}

/// A channel as said in English before "contacts": `outbound`, `SMS` …; an unknown code as it is.
fn channel_en(channel: &str) -> &str {
    match channel {
        "sms" => "SMS",
        "web_hall" => "web hall",
        other => other,
    }
}

/// `date` plus `days`, or the last date there is.
fn add_days(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(Days::new(u64::from(days))).unwrap_or(NaiveDate::MAX)
}

// ---------------------------------------------------------------------------------------------
// Serde forms of times

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("a test time")
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("a test date")
    }

    fn time(text: &str) -> NaiveTime {
        NaiveTime::parse_from_str(text, "%H:%M").expect("a test time of day")
    }

    /// A marketing contact, not refused.
    fn contact(channel: &str, when: &str) -> PastContact {
        PastContact { channel: channel.to_owned(), at: at(when), refused: false, transactional: false }
    }

    fn refusal(channel: &str, when: &str) -> PastContact {
        PastContact { refused: true, ..contact(channel, when) }
    }

    fn notice(channel: &str, when: &str) -> PastContact {
        PastContact { transactional: true, ..contact(channel, when) }
    }

    /// A marketing contact on the built-in policy, not on the do-not-disturb list.
    fn marketing(history: &[PastContact], channel: &str, when: &str) -> Verdict {
        may_contact(&builtin_policy(), history, false, channel, at(when), false)
    }

    fn transactional(history: &[PastContact], channel: &str, when: &str) -> Verdict {
        may_contact(&builtin_policy(), history, false, channel, at(when), true)
    }

    fn cap_reached(channel: &str, period: Period, max: u32) -> Verdict {
        Verdict::CapReached { channel: channel.to_owned(), period, max }
    }

    fn refused(source: &str) -> Vec<String> {
        parse_policy(source).expect_err("the policy should be refused").problems
    }

    #[test]
    fn the_builtin_policy_parses_as_shipped() {
        let cap = |channel: &str, max| Cap { channel: channel.to_owned(), period: Period::Month, max };
        let expected = ContactPolicy {
            version: "builtin-1".to_owned(),
            caps: vec![cap("outbound", 2), cap("sms", 4), cap("store", 4), cap("hotline", 4)],
            quiet_hours: Some(QuietHours {
                start: time("21:00"),
                end: time("08:00"),
                channels: vec!["outbound".to_owned(), "sms".to_owned()],
            }),
            suppression: Some(Suppression { refusals: 2, within_days: 30, quiet_days: 60 }),
            daily_capacity: vec![Capacity { channel: "outbound".to_owned(), per_day: 5000 }],
        };
        assert_eq!(builtin_policy(), expected);
        assert!(expected.problems().is_empty());
        assert_eq!(expected.capacity("outbound"), Some(5000));
        assert_eq!(expected.caps_of("sms").map(|cap| cap.max).collect::<Vec<_>>(), [4]);
    }

    #[test]
    fn a_broken_policy_is_refused_with_every_problem_named() {
        let source = r#"
            version = " "
            colour = "blue"

            [[cap]]
            channel = "fax"
            period = "month"
            max = 3

            [[cap]]
            channel = "sms"
            period = "month"
            max = 0

            [[cap]]
            channel = "sms"
            period = "month"
            max = 5

            [[cap]]
            channel = "sms"
            period = "week"
            max = 2

            [[cap]]
            channel = "store"
            period = "month"
            maximum = 4

            [quiet_hours]
            start = "21:00"
            end = "21:00"
            channels = ["outbound", "pager", "outbound"]

            [suppression]
            refusals = 0
            within_days = 30
            quiet_days = 400

            [[capacity]]
            channel = "outbound"
            per_day = 0

            [[capacity]]
            channel = "outbound"
            per_day = 100
        "#;
        assert_eq!(
            refused(source),
            [
                "cap #5: maximum: unknown field `maximum`, expected one of `channel`, `period`, `max`",
                "policy: colour: unknown field: expected version, cap, quiet_hours, suppression or capacity",
                "policy: version: must not be empty",
                "cap #1: channel: \"fax\" is not a channel: one of outbound, sms, store, hotline, web_hall",
                "cap #2: max: must be at least 1 (leave the cap out for no limit)",
                "cap #3: period: \"sms\" already has a cap per month (cap #2)",
                "quiet_hours: end: 21:00 is the start too: the quiet hours would be empty",
                "quiet_hours: channels: \"pager\" is not a channel: one of outbound, sms, store, hotline, \
                 web_hall",
                "quiet_hours: channels: \"outbound\" is named twice",
                "suppression: refusals: must be at least 1 (leave suppression out for none)",
                "suppression: quiet_days: 400 days is more than 365",
                "capacity #1: per_day: must be at least 1 (leave the capacity out for no limit)",
                "capacity #2: channel: \"outbound\" already has a capacity (capacity #1)",
            ]
        );
    }

    #[test]
    fn entries_of_the_wrong_shape_are_refused_each_by_name() {
        let source = r#"
            capacity = 5000

            [[cap]]
            channel = "sms"
            period = "year"
            max = 2

            [[cap]]
            channel = "sms"
            max = 2

            [[cap]]
            channel = "sms"
            period = "day"
            max = -1

            [quiet_hours]
            start = "9pm"
            end = "08:00"
            channels = ["sms"]

            [suppression]
            refusals = 2
            within_days = 0
            quiet_days = 60
            after = 1
        "#;
        // The suppression table does not deserialize, so only its unknown field is named, not
        // its `within_days` of 0.
        assert_eq!(
            refused(source),
            [
                "policy: version: missing",
                "cap #1: period: unknown variant `year`, expected one of `day`, `week`, `month`",
                "cap #2: period: missing field `period`",
                "cap #3: max: invalid value: integer `-1`, expected u32",
                "quiet_hours: start: \"9pm\" is not a time of day, \"HH:MM\"",
                "suppression: after: unknown field `after`, expected one of `refusals`, `within_days`, \
                 `quiet_days`",
                "policy: capacity: must be [[capacity]] tables, not integer",
            ]
        );
        let problems = refused("version = [1");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("the policy is not well formed: "), "{problems:?}");
    }

    #[test]
    fn a_minimal_policy_has_no_limits() {
        let policy = parse_policy("version = \"none\"").expect("a minimal policy");
        assert!(policy.caps.is_empty() && policy.quiet_hours.is_none() && policy.suppression.is_none());
        let history: Vec<PastContact> =
            (1..=20).map(|day| refusal("outbound", &format!("2026-11-{day:02} 10:00"))).collect();
        assert_eq!(
            may_contact(&policy, &history, false, "outbound", at("2026-11-20 23:00"), false),
            Verdict::Allowed
        );
        assert!(has_capacity(&policy, "outbound", u64::MAX));
    }

    /// Campaign A (a retention drive) and campaign B (a broadband upsell) both call and text the
    /// same customer in November 2026; the ledger holds them all.
    fn november() -> Vec<PastContact> {
        vec![
            contact("outbound", "2026-10-30 10:00"), // October: another month
            contact("outbound", "2026-11-03 10:00"), // campaign A
            contact("sms", "2026-11-04 09:30"),      // campaign A
            contact("store", "2026-11-10 15:00"),    // the customer came to a store
            contact("outbound", "2026-11-15 14:00"), // campaign B
            notice("outbound", "2026-11-18 11:00"),  // an arrears reminder call
        ]
    }

    #[test]
    fn caps_count_every_campaign_per_channel_and_month() {
        let history = november();
        // Two marketing calls in November (A's and B's): a third is refused, for A or B alike.
        assert_eq!(
            marketing(&history, "outbound", "2026-11-20 10:00"),
            cap_reached("outbound", Period::Month, 2)
        );
        assert_eq!(
            marketing(&history, "outbound", "2026-11-30 20:59"),
            cap_reached("outbound", Period::Month, 2)
        );
        // With only campaign A's call in the ledger, the second call is allowed.
        let only_a: Vec<PastContact> =
            history.iter().filter(|c| c.at != at("2026-11-15 14:00")).cloned().collect();
        assert_eq!(marketing(&only_a, "outbound", "2026-11-20 10:00"), Verdict::Allowed);
        // A new month.
        assert_eq!(marketing(&history, "outbound", "2026-12-01 09:00"), Verdict::Allowed);
        // SMS counts apart from outbound: 1 of 4. Store: 1 of 4. Hotline: 0 of 4.
        assert_eq!(marketing(&history, "sms", "2026-11-20 10:00"), Verdict::Allowed);
        assert_eq!(marketing(&history, "store", "2026-11-20 10:00"), Verdict::Allowed);
        assert_eq!(marketing(&history, "hotline", "2026-11-20 10:00"), Verdict::Allowed);
        // The web hall has no cap.
        let web: Vec<PastContact> =
            (1..=10).map(|day| contact("web_hall", &format!("2026-11-{day:02} 12:00"))).collect();
        assert_eq!(marketing(&web, "web_hall", "2026-11-20 12:00"), Verdict::Allowed);
    }

    #[test]
    fn transactional_messages_pass_a_full_cap_and_do_not_count() {
        let mut history = november();
        for day in ["05", "06", "07"] {
            history.push(contact("sms", &format!("2026-11-{day} 10:00")));
        }
        // Four marketing texts in November: the SMS cap is full.
        assert_eq!(marketing(&history, "sms", "2026-11-20 10:00"), cap_reached("sms", Period::Month, 4));
        // A bill by SMS still goes.
        assert_eq!(transactional(&history, "sms", "2026-11-20 10:00"), Verdict::Allowed);
        // Past notices do not count: one marketing call and three reminder calls leave room for a
        // second marketing call.
        let calls = [
            contact("outbound", "2026-11-03 10:00"),
            notice("outbound", "2026-11-05 10:00"),
            notice("outbound", "2026-11-12 10:00"),
            notice("outbound", "2026-11-19 10:00"),
        ];
        assert_eq!(marketing(&calls, "outbound", "2026-11-20 10:00"), Verdict::Allowed);
    }

    #[test]
    fn week_caps_follow_iso_weeks() {
        let policy = parse_policy(
            "version = \"weekly\"\n[[cap]]\nchannel = \"outbound\"\nperiod = \"week\"\nmax = 1\n\
             [[cap]]\nchannel = \"sms\"\nperiod = \"day\"\nmax = 1\n",
        )
        .expect("a weekly policy");
        let check = |history: &[PastContact], channel: &str, when: &str| {
            may_contact(&policy, history, false, channel, at(when), false)
        };
        let week = cap_reached("outbound", Period::Week, 1);
        // 2026-11-08 is a Sunday, the last day of its ISO week (Monday 2026-11-02 to Sunday).
        let sunday = [contact("outbound", "2026-11-08 10:00")];
        assert_eq!(check(&sunday, "outbound", "2026-11-08 15:00"), week);
        assert_eq!(check(&sunday, "outbound", "2026-11-09 10:00"), Verdict::Allowed); // Monday
        // A Monday call fills the week up to Sunday.
        let monday = [contact("outbound", "2026-11-02 10:00")];
        assert_eq!(check(&monday, "outbound", "2026-11-01 10:00"), Verdict::Allowed); // the Sunday before
        assert_eq!(check(&monday, "outbound", "2026-11-08 20:00"), week);
        // ISO week 2026-W53 runs from Monday 2026-12-28 to Sunday 2027-01-03, across the year.
        let new_year = [contact("outbound", "2026-12-29 10:00")];
        assert_eq!(check(&new_year, "outbound", "2027-01-02 10:00"), week);
        assert_eq!(check(&new_year, "outbound", "2027-01-04 10:00"), Verdict::Allowed);
        // A day cap: one text a calendar day.
        let text = [contact("sms", "2026-11-10 23:59")];
        assert_eq!(check(&text, "sms", "2026-11-10 09:00"), cap_reached("sms", Period::Day, 1));
        assert_eq!(check(&text, "sms", "2026-11-11 00:00"), Verdict::Allowed);
    }

    #[test]
    fn quiet_hours_run_from_nine_at_night_to_eight_in_the_morning() {
        let quiet = |until: &str| Verdict::QuietHours { until: at(until) };
        assert_eq!(marketing(&[], "outbound", "2026-11-10 22:30"), quiet("2026-11-11 08:00"));
        assert_eq!(marketing(&[], "outbound", "2026-11-11 07:59"), quiet("2026-11-11 08:00"));
        assert_eq!(marketing(&[], "outbound", "2026-11-11 00:00"), quiet("2026-11-11 08:00"));
        assert_eq!(marketing(&[], "sms", "2026-11-10 21:00"), quiet("2026-11-11 08:00"));
        assert_eq!(marketing(&[], "outbound", "2026-11-30 23:15"), quiet("2026-12-01 08:00"));
        assert_eq!(marketing(&[], "outbound", "2026-11-11 08:00"), Verdict::Allowed);
        assert_eq!(marketing(&[], "outbound", "2026-11-10 20:59"), Verdict::Allowed);
        // Stores and the hotline are not quiet channels.
        assert_eq!(marketing(&[], "store", "2026-11-10 22:30"), Verdict::Allowed);
        assert_eq!(marketing(&[], "hotline", "2026-11-10 22:30"), Verdict::Allowed);
        // A bill by SMS waits for the morning too.
        assert_eq!(transactional(&[], "sms", "2026-11-10 22:30"), quiet("2026-11-11 08:00"));
    }

    #[test]
    fn quiet_hours_within_one_day() {
        let lunch =
            QuietHours { start: time("12:00"), end: time("14:00"), channels: vec!["outbound".to_owned()] };
        let quiet = |when: &str| lunch.quiet_until("outbound", at(when));
        assert_eq!(quiet("2026-11-10 12:00"), Some(at("2026-11-10 14:00")));
        assert_eq!(quiet("2026-11-10 13:59"), Some(at("2026-11-10 14:00")));
        assert_eq!(quiet("2026-11-10 11:59"), None);
        assert_eq!(quiet("2026-11-10 14:00"), None);
        assert_eq!(lunch.quiet_until("sms", at("2026-11-10 13:00")), None);
    }

    #[test]
    fn two_refusals_within_thirty_days_suppress_marketing_for_sixty() {
        let suppressed = |until: &str| Verdict::Suppressed { until: date(until) };
        // Refused on 2026-10-20 (SMS) and 2026-11-05 (outbound), 16 days apart. 60 days after
        // 2026-11-05: 25 to 2026-11-30, 31 more to 2026-12-31, 4 more to 2027-01-04.
        let history = [refusal("sms", "2026-10-20 10:00"), refusal("outbound", "2026-11-05 10:00")];
        for channel in CHANNELS {
            assert_eq!(
                marketing(&history, channel, "2026-11-05 16:00"),
                suppressed("2027-01-04"),
                "{channel}"
            );
            assert_eq!(
                marketing(&history, channel, "2027-01-03 10:00"),
                suppressed("2027-01-04"),
                "{channel}"
            );
            assert_eq!(marketing(&history, channel, "2027-01-04 10:00"), Verdict::Allowed, "{channel}");
            assert_eq!(transactional(&history, channel, "2026-11-20 10:00"), Verdict::Allowed, "{channel}");
        }
        // Before the second refusal there was only one.
        assert_eq!(marketing(&history, "outbound", "2026-11-05 09:00"), Verdict::Allowed);
        assert_eq!(marketing(&history[..1], "outbound", "2026-11-20 10:00"), Verdict::Allowed);
        // 30 days apart (2026-10-06 to 2026-11-05) is within 30 days; 31 (from 2026-10-05) is not.
        let thirty = [refusal("sms", "2026-10-06 10:00"), refusal("outbound", "2026-11-05 10:00")];
        assert_eq!(marketing(&thirty, "store", "2026-11-20 10:00"), suppressed("2027-01-04"));
        let thirty_one = [refusal("sms", "2026-10-05 10:00"), refusal("outbound", "2026-11-05 10:00")];
        assert_eq!(marketing(&thirty_one, "store", "2026-11-20 10:00"), Verdict::Allowed);
        // A third refusal later on starts the quiet period again from its own day: 2026-11-05 and
        // 2026-11-25 → 60 days after 2026-11-25 is 2027-01-24.
        let third = [
            refusal("sms", "2026-10-20 10:00"),
            refusal("outbound", "2026-11-05 10:00"),
            refusal("store", "2026-11-25 10:00"),
        ];
        assert_eq!(marketing(&third, "hotline", "2027-01-10 10:00"), suppressed("2027-01-24"));
    }

    #[test]
    fn do_not_disturb_stops_marketing_on_every_channel_but_not_notices() {
        let policy = builtin_policy();
        for channel in CHANNELS {
            assert_eq!(
                may_contact(&policy, &[], true, channel, at("2026-11-10 10:00"), false),
                Verdict::DoNotDisturb,
                "{channel}"
            );
            assert_eq!(
                may_contact(&policy, &[], true, channel, at("2026-11-10 10:00"), true),
                Verdict::Allowed
            );
        }
    }

    #[test]
    fn the_checks_go_in_order() {
        let policy = builtin_policy();
        // Refused twice, the calls cap full, at night, and on the do-not-disturb list.
        let history = [
            refusal("outbound", "2026-11-03 10:00"),
            refusal("outbound", "2026-11-04 10:00"),
            contact("outbound", "2026-11-05 10:00"),
        ];
        let when = at("2026-11-10 22:30");
        let check =
            |dnd, history: &[PastContact]| may_contact(&policy, history, dnd, "outbound", when, false);
        assert_eq!(check(true, &history), Verdict::DoNotDisturb);
        assert_eq!(check(false, &history), Verdict::Suppressed { until: date("2027-01-03") });
        assert_eq!(check(false, &history[2..]), Verdict::QuietHours { until: at("2026-11-11 08:00") });
        let morning = may_contact(&policy, &history[1..], false, "outbound", at("2026-11-11 09:00"), false);
        assert_eq!(morning, cap_reached("outbound", Period::Month, 2));
    }

    #[test]
    fn outbound_capacity_is_five_thousand_a_day() {
        let policy = builtin_policy();
        assert!(has_capacity(&policy, "outbound", 0));
        assert!(has_capacity(&policy, "outbound", 4_999));
        assert!(!has_capacity(&policy, "outbound", 5_000));
        assert!(!has_capacity(&policy, "outbound", 12_000));
        assert!(has_capacity(&policy, "sms", 1_000_000));
    }

    #[test]
    fn verdicts_read_in_chinese_and_english() {
        let cases = [
            (Verdict::Allowed, "allowed", "可以接触", "may be contacted"),
            (
                Verdict::DoNotDisturb,
                "do_not_disturb",
                "客户已登记免打扰，不做营销接触",
                "on the do-not-disturb list: no marketing contact",
            ),
            (
                Verdict::Suppressed { until: date("2027-01-04") },
                "suppressed",
                "客户近期多次拒绝，静默期内不做营销接触，2027-01-04起可再接触",
                "refused repeatedly: no marketing contact before 2027-01-04",
            ),
            (
                Verdict::QuietHours { until: at("2026-11-11 08:00") },
                "quiet_hours",
                "勿扰时段内不可接触，2026-11-11 08:00起可接触",
                "within quiet hours: may be contacted from 2026-11-11 08:00",
            ),
            (
                cap_reached("outbound", Period::Month, 2),
                "cap_reached",
                "外呼每月最多2次，本月已达上限",
                "at most 2 outbound contacts a month, reached this month",
            ),
            (
                cap_reached("sms", Period::Week, 1),
                "cap_reached",
                "短信每周最多1次，本周已达上限",
                "at most 1 SMS contact a week, reached this week",
            ),
            (
                cap_reached("web_hall", Period::Day, 3),
                "cap_reached",
                "网上营业厅每天最多3次，今天已达上限",
                "at most 3 web hall contacts a day, reached today",
            ),
        ];
        for (verdict, code, zh, en) in cases {
            assert_eq!(verdict.code(), code);
            assert_eq!(verdict.allowed(), code == "allowed");
            assert_eq!(verdict.reason_zh(), zh);
            assert_eq!(verdict.reason_en(), en);
            assert_eq!(verdict.to_string(), en);
        }
    }

    #[test]
    fn the_serde_form_round_trips() {
        let policy = builtin_policy();
        let value = toml::Value::try_from(&policy).expect("the policy serializes");
        let quiet = value.get("quiet_hours").expect("quiet hours");
        assert_eq!(quiet.get("start").and_then(toml::Value::as_str), Some("21:00"));
        assert_eq!(quiet.get("end").and_then(toml::Value::as_str), Some("08:00"));
        assert!(value.get("cap").is_some() && value.get("capacity").is_some());
        assert_eq!(value.try_into::<ContactPolicy>().expect("the policy deserializes"), policy);

        let past = refusal("sms", "2026-11-05 10:00");
        let value = toml::Value::try_from(&past).expect("a contact serializes");
        assert_eq!(value.get("at").and_then(toml::Value::as_str), Some("2026-11-05 10:00:00"));
        assert_eq!(value.try_into::<PastContact>().expect("a contact deserializes"), past);

        for verdict in [
            Verdict::Allowed,
            Verdict::Suppressed { until: date("2027-01-04") },
            Verdict::QuietHours { until: at("2026-11-11 08:00") },
            cap_reached("outbound", Period::Month, 2),
        ] {
            let value = toml::Value::try_from(&verdict).expect("a verdict serializes");
            assert_eq!(value.get("code").and_then(toml::Value::as_str), Some(verdict.code()));
            assert_eq!(value.try_into::<Verdict>().expect("a verdict deserializes"), verdict);
        }
    }
}
