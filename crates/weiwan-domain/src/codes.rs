//! The enumerations of the data model, each with its extract code and its Chinese and English
//! labels. The code is what files and the database hold; labels are for people.

use std::fmt;
use std::str::FromStr;

use crate::error::FieldError;

/// What every code enumeration offers, for code that shows any of them to people.
pub trait Coded: Copy + FromStr + 'static {
    fn code(self) -> &'static str;
    fn label_zh(self) -> &'static str;
    fn label_en(self) -> &'static str;
}

/// Defines an enumeration whose variants are written in extracts as fixed lowercase codes.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $($variant:ident = $code:literal, $zh:literal, $en:literal;)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($variant,)+
        }

        impl $name {
            /// Every variant, in the order the documentation lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            /// Every code accepted in an extract.
            pub const CODES: &'static [&'static str] = &[$($code,)+];

            pub const fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            pub const fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ }
            }

            pub const fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en,)+ }
            }
        }

        impl Coded for $name {
            fn code(self) -> &'static str {
                $name::code(self)
            }
            fn label_zh(self) -> &'static str {
                $name::label_zh(self)
            }
            fn label_en(self) -> &'static str {
                $name::label_en(self)
            }
        }

        impl FromStr for $name {
            type Err = FieldError;

            fn from_str(text: &str) -> Result<$name, FieldError> {
                match text {
                    $($code => Ok($name::$variant),)+
                    _ => Err(FieldError::NotAllowed {
                        value: text.to_owned(),
                        allowed: $name::CODES.join(", "),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

code_enum! {
    /// Individual subscriber or group (enterprise) customer 集团客户.
    CustomerKind {
        Individual = "individual", "个人客户", "individual";
        Group = "group", "集团客户", "group";
    }
}

code_enum! {
    /// VIP tier as recorded by CRM: 钻/金/银/普 members and the mass market 大众.
    VipTier {
        Diamond = "diamond", "钻石卡", "diamond";
        Gold = "gold", "金卡", "gold";
        Silver = "silver", "银卡", "silver";
        Member = "member", "普通会员", "member";
        Mass = "mass", "大众客户", "mass market";
    }
}

code_enum! {
    /// Prepaid or postpaid billing.
    PaymentType {
        Prepaid = "prepaid", "预付费", "prepaid";
        Postpaid = "postpaid", "后付费", "postpaid";
    }
}

code_enum! {
    /// Radio access generation of a plan.
    Network {
        G4 = "4g", "4G", "4G";
        G5 = "5g", "5G", "5G";
    }
}

code_enum! {
    /// State of a line at the extract date.
    SubscriptionStatus {
        Active = "active", "正常", "active";
        Suspended = "suspended", "停机", "suspended";
        ArrearsSuspended = "arrears_suspended", "欠费停机", "suspended for arrears";
        NumberKeep = "number_keep", "停机保号", "number keep";
        PreDisconnect = "pre_disconnect", "预拆机", "pre-disconnect";
        Disconnected = "disconnected", "拆机离网", "disconnected";
    }
}

code_enum! {
    /// Timestamped events from billing, CRM and the switch.
    EventType {
        Suspension = "suspension", "停机", "suspension";
        Arrears = "arrears", "欠费", "arrears";
        CallForwardingSet = "call_forwarding_set", "设置呼叫转移", "call forwarding set";
        CompetitorServiceCall = "competitor_service_call", "呼叫异网客服", "call to a competitor's service line";
        PortingInquiry = "porting_inquiry", "携号转网咨询", "porting inquiry";
        DisconnectionRequest = "disconnection_request", "拆机申请", "disconnection request";
        PlanChange = "plan_change", "套餐变更", "plan change";
        Complaint = "complaint", "投诉", "complaint";
        Reactivation = "reactivation", "复机", "reactivation";
        Disconnection = "disconnection", "拆机离网", "disconnection";
    }
}

code_enum! {
    /// Binding that ties a line to the operator (绑定).
    ContractKind {
        Points = "points", "积分绑定", "points binding";
        Device = "device", "合约购机", "device contract";
        ServicePack = "service_pack", "业务包绑定", "service pack";
        FamilyPlan = "family_plan", "家庭计划", "family plan";
    }
}

code_enum! {
    /// State of a contract or binding.
    ContractStatus {
        Active = "active", "生效", "active";
        Ended = "ended", "到期", "ended";
        Renewed = "renewed", "已续约", "renewed";
        Broken = "broken", "违约解约", "broken";
    }
}

code_enum! {
    /// Movement in a customer's points ledger.
    PointsKind {
        Earn = "earn", "积分获得", "earned";
        Redeem = "redeem", "积分兑换", "redeemed";
        Expire = "expire", "积分过期", "expired";
    }
}

code_enum! {
    /// Where a payment or recharge was made.
    PaymentChannel {
        Store = "store", "营业厅", "store";
        WebHall = "web_hall", "网上营业厅", "web hall";
        App = "app", "手机营业厅", "app";
        Bank = "bank", "银行代收", "bank";
        AutoDebit = "auto_debit", "自动扣款", "auto debit";
        Agent = "agent", "代理点", "agent";
    }
}

code_enum! {
    /// The job of a person customers are assigned to.
    ManagerRole {
        Account = "account", "客户经理", "account manager";
        Retention = "retention", "维系经理", "retention manager";
        Outbound = "outbound", "外呼经理", "outbound manager";
    }
}

code_enum! {
    /// What a person (or a system) may do in weiwan; see docs/service.md for the permissions.
    Role {
        Admin = "admin", "系统管理员", "administrator";
        Planner = "planner", "维系策划", "retention planner";
        Approver = "approver", "审批人", "approver";
        Manager = "manager", "客户经理", "account manager";
        Clerk = "clerk", "营业厅店员", "store clerk";
        Agent = "agent", "热线坐席", "hotline agent";
        Analyst = "analyst", "经营分析", "analyst";
        Executive = "executive", "管理层", "management";
        ApiClient = "api_client", "系统接口", "API client";
    }
}

code_enum! {
    /// Where a task waits when no one person owns it (派单 to a channel).
    TaskQueue {
        Outbound = "outbound", "外呼队列", "outbound calls";
        Hotline = "hotline", "热线队列", "hotline";
        Store = "store", "营业厅队列", "store";
        Retention = "retention", "维系中心", "retention desk";
        Abnormal = "abnormal", "异常库", "abnormal list";
    }
}

code_enum! {
    /// How urgent a task is, most urgent first.
    TaskPriority {
        Urgent = "urgent", "紧急", "urgent";
        High = "high", "高", "high";
        Normal = "normal", "中", "normal";
        Low = "low", "低", "low";
    }
}

code_enum! {
    /// Where a task is in its life.
    TaskStatus {
        Open = "open", "待处理", "open";
        Claimed = "claimed", "处理中", "claimed";
        Done = "done", "已完成", "done";
    }
}

code_enum! {
    /// What a task asks its owner to do.
    TaskAction {
        Call = "call", "电话联系", "call";
        Visit = "visit", "上门拜访", "visit";
        Sms = "sms", "短信提醒", "SMS";
        Review = "review", "核查", "review";
    }
}

code_enum! {
    /// What came of working a task.
    TaskOutcome {
        NotReached = "not_reached", "未联系上", "not reached";
        Reminded = "reminded", "已提醒", "customer reminded";
        Resolved = "resolved", "已解决", "resolved";
        Retained = "retained", "挽留成功", "retained";
        Refused = "refused", "客户拒绝", "refused";
        Considering = "considering", "考虑中", "considering";
        Visited = "visited", "已拜访", "visited";
        Greeted = "greeted", "已关怀", "greeted";
        NoAction = "no_action", "无需处理", "no action needed";
        Accepted = "accepted", "接受优惠", "offer accepted";
        Transferred = "transferred", "已转派", "transferred to another channel";
        DoNotCall = "do_not_call", "要求免打扰", "asked not to be contacted";
    }
}

impl TaskOutcome {
    /// Whether this outcome ends the task. `not_reached` and `considering` leave it with its
    /// owner for another try; so does `reminded` (of arrears): the task stays open until the
    /// customer pays (`resolved`) or the manager confirms the suspension.
    pub const fn closes_task(self) -> bool {
        !matches!(self, TaskOutcome::NotReached | TaskOutcome::Considering | TaskOutcome::Reminded)
    }
}

code_enum! {
    /// Kind of alert rule: a churn warning, a care occasion, or an entry for the abnormal list.
    RuleCategory {
        Warning = "warning", "预警", "warning";
        Care = "care", "关怀", "care";
        Anomaly = "anomaly", "异常", "anomaly";
        Campaign = "campaign", "营销维系", "campaign";
    }
}

code_enum! {
    /// Where a retention campaign (维系活动) is in its life: planned, approved, worked, ended.
    CampaignStatus {
        Draft = "draft", "草稿", "draft";
        Submitted = "submitted", "待审批", "awaiting approval";
        Approved = "approved", "已审批", "approved";
        Running = "running", "执行中", "running";
        Paused = "paused", "已暂停", "paused";
        Ended = "ended", "已结束", "ended";
    }
}

code_enum! {
    /// The channel a person contacts a customer through on a campaign.
    ContactChannel {
        Outbound = "outbound", "外呼", "outbound call";
        Store = "store", "营业厅", "store";
        Hotline = "hotline", "热线", "hotline";
    }
}

code_enum! {
    /// How an account manager reached a customer, as the visit log 拜访纪要 records it.
    VisitChannel {
        Visit = "visit", "上门拜访", "visit";
        Call = "call", "电话", "call";
        Message = "message", "短信/微信", "message";
    }
}

code_enum! {
    /// What a customer asking to leave wants (拆机挽留): cancel the line, port the number out,
    /// or pay off a contract early to leave it (提前解约 / 提前还款).
    CaseKind {
        Disconnect = "disconnect", "拆机", "disconnect";
        PortOut = "port_out", "携号转网", "port out";
        ContractPayoff = "contract_payoff", "提前解约", "contract payoff";
    }
}

code_enum! {
    /// Where a retention case is: with the person who received it first (首问负责人), at the
    /// central retention desk, waiting for a concession's approval, or closed.
    CaseStatus {
        Open = "open", "首问挽留中", "open";
        Escalated = "escalated", "已升级维挽中心", "escalated";
        PendingApproval = "pending_approval", "让利待审批", "pending approval";
        Closed = "closed", "已结案", "closed";
    }
}

code_enum! {
    /// How a retention case ended.
    CaseOutcome {
        Retained = "retained", "挽留成功", "retained";
        Downgraded = "downgraded", "降档保留", "kept on a cheaper plan";
        Lost = "lost", "挽留失败离网", "lost";
        Withdrawn = "withdrawn", "客户撤回申请", "withdrawn";
    }
}

impl CaseOutcome {
    /// Whether the line stays with the operator.
    pub const fn keeps_line(self) -> bool {
        matches!(self, CaseOutcome::Retained | CaseOutcome::Downgraded)
    }
}

code_enum! {
    /// What a retention case may give a customer to stay (让利).
    ConcessionKind {
        BillCredit = "bill_credit", "赠送话费", "bill credit";
        DataPack = "data_pack", "赠送流量包", "data pack";
        PlanDiscount = "plan_discount", "套餐折扣", "plan discount";
        DeviceSubsidy = "device_subsidy", "终端补贴", "device subsidy";
        PenaltyWaiver = "penalty_waiver", "减免违约金", "penalty waiver";
    }
}

code_enum! {
    /// Where a concession is: offered to the customer, waiting for an approver, refused by the
    /// approver, taken or turned down by the customer.
    ConcessionStatus {
        Offered = "offered", "已提供", "offered";
        PendingApproval = "pending_approval", "待审批", "pending approval";
        Rejected = "rejected", "审批驳回", "rejected";
        Accepted = "accepted", "客户接受", "accepted";
        Declined = "declined", "客户拒绝", "declined";
    }
}

code_enum! {
    /// What a group customer's key person 关键人 is to the group's decision to stay: the one who
    /// decides (决策人), one who sways the decision (影响人), or one who uses the service (使用人).
    KeyPersonRole {
        DecisionMaker = "decision_maker", "决策人", "decision maker";
        Influencer = "influencer", "影响人", "influencer";
        User = "user", "使用人", "user";
    }
}

code_enum! {
    /// How often a group customer 集团客户 gets its periodic service report.
    ReportFrequency {
        Monthly = "monthly", "每月", "monthly";
        Quarterly = "quarterly", "每季度", "quarterly";
        HalfYearly = "half_yearly", "每半年", "half-yearly";
        Yearly = "yearly", "每年", "yearly";
        Never = "never", "不提供", "none";
    }
}

code_enum! {
    /// How a club event's limited places are given: to the first who sign up, or by a seeded draw
    /// among everyone who applied before it (抽签).
    ClubAllocation {
        FirstCome = "first_come", "先到先得", "first come, first served";
        Draw = "draw", "抽签", "draw";
    }
}

code_enum! {
    /// Where a customer's sign-up for a club event stands.
    SignupStatus {
        Applied = "applied", "已报名待抽签", "applied, awaiting the draw";
        Confirmed = "confirmed", "已确认名额", "confirmed";
        Waitlisted = "waitlisted", "候补", "waitlisted";
        Cancelled = "cancelled", "已取消", "cancelled";
    }
}

code_enum! {
    /// How a line was lost, or lies idle (离网类型, docs/churn-kinds.md): to a competitor
    /// (外部离网); an internal number switch (内部转网), the same person or handset back on a
    /// new line of the operator within a window of the disconnection, often to chase
    /// new-customer offers; or dormant (冬眠), still on the network but unused for months.
    ChurnKind {
        External = "external", "外部离网", "to a competitor";
        InternalSwitch = "internal_switch", "内部转网", "internal number switch";
        Dormant = "dormant", "冬眠", "dormant";
    }
}

impl ChurnKind {
    /// Whether the line left the network (a dormant line is still on it).
    pub const fn left(self) -> bool {
        matches!(self, ChurnKind::External | ChurnKind::InternalSwitch)
    }
}

code_enum! {
    /// What tied an internal number switch's new line to the line that left: the same customer
    /// record, another customer with the same ID number (the same person), or the same handset.
    SwitchMatch {
        Customer = "customer", "同一客户", "same customer";
        IdNumber = "id_number", "同一证件号", "same ID number";
        Device = "device", "同一终端", "same handset";
    }
}

/// The churn kinds travel as their codes in JSON and TOML (`"internal_switch"`).
macro_rules! serde_as_code {
    ($($name:ident),+) => {$(
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )+};
}

serde_as_code!(ChurnKind, SwitchMatch);

impl TaskPriority {
    /// 0 for the most urgent; for sorting.
    pub const fn rank(self) -> u8 {
        match self {
            TaskPriority::Urgent => 0,
            TaskPriority::High => 1,
            TaskPriority::Normal => 2,
            TaskPriority::Low => 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_refused() {
        for tier in VipTier::ALL {
            assert_eq!(tier.code().parse::<VipTier>(), Ok(*tier));
        }
        let err = "platinum".parse::<VipTier>().expect_err("unknown tier");
        assert_eq!(err.to_string(), "\"platinum\" is not one of diamond, gold, silver, member, mass");
        assert_eq!(SubscriptionStatus::NumberKeep.label_zh(), "停机保号");
        assert_eq!("internal_switch".parse::<ChurnKind>(), Ok(ChurnKind::InternalSwitch));
        assert_eq!(ChurnKind::InternalSwitch.label_zh(), "内部转网");
        assert!(ChurnKind::External.left() && !ChurnKind::Dormant.left());
    }
}
