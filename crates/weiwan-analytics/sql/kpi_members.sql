-- KPI facts per member of a snapshot cohort (拍照), evaluated as of a date (docs/kpis.md).
--
-- Placeholders, filled by weiwan-analytics (kpi.rs) from validated values, never user text:
--   {taken_on}   the snapshot date of the cohort
--   {as_of}      the evaluation date; what happened before it counts
--   {last_month} first day of the last complete month before {as_of}
--   {months}     VALUES rows of the complete months observed, from {taken_on}'s month to
--                {last_month}
--   {floor}      the ARPU floor, yuan
--   {run}        how many consecutive months below the floor make a member lost
--
-- `cohort` holds the members with their attributes frozen at the snapshot; `subscriptions`,
-- `usage_monthly` and `contracts` are the lake's tables; `churn_kinds` is the classification of
-- sql/churn_kinds.sql as of {as_of} (external, internal_switch or dormant; docs/churn-kinds.md).

WITH months AS (
    SELECT CAST(column1 AS DATE) AS month FROM (VALUES {months})
),
members AS (
    SELECT c.subscription_id, c.branch_id, c.vip_tier, c.manager_id, s.disconnected_on
    FROM cohort c
    LEFT JOIN subscriptions s ON s.subscription_id = c.subscription_id
),
-- Every member and observed month; a month without a usage row billed nothing.
monthly AS (
    SELECT m.subscription_id, mo.month, COALESCE(u.arpu, 0) < {floor} AS below
    FROM members m
    CROSS JOIN months mo
    LEFT JOIN usage_monthly u ON u.subscription_id = m.subscription_id AND u.month = mo.month
),
-- Gaps and islands: consecutive months with the same `below` share an island number.
islands AS (
    SELECT subscription_id, below,
        ROW_NUMBER() OVER (PARTITION BY subscription_id ORDER BY month)
        - ROW_NUMBER() OVER (PARTITION BY subscription_id, below ORDER BY month) AS island
    FROM monthly
),
low_arpu AS (
    SELECT DISTINCT subscription_id
    FROM (
        SELECT subscription_id, island, COUNT(*) AS run_length
        FROM islands
        WHERE below
        GROUP BY subscription_id, island
    )
    WHERE run_length >= {run}
),
bound AS (
    SELECT DISTINCT subscription_id
    FROM contracts
    WHERE starts_on < DATE '{as_of}' AND ends_on >= DATE '{as_of}' AND status IN ('active', 'renewed')
),
due AS (
    SELECT subscription_id,
        COUNT(*) AS contracts_due,
        COUNT(CASE WHEN status = 'renewed' THEN 1 END) AS contracts_renewed
    FROM contracts
    WHERE ends_on >= DATE '{taken_on}' AND ends_on < DATE '{as_of}' AND status IN ('ended', 'renewed')
    GROUP BY subscription_id
),
facts AS (
    SELECT m.*,
        m.disconnected_on IS NOT NULL AND m.disconnected_on < DATE '{as_of}' AS has_left,
        l.subscription_id IS NOT NULL AS has_low_run,
        b.subscription_id IS NOT NULL AS has_binding,
        d.contracts_due,
        d.contracts_renewed,
        k.kind
    FROM members m
    LEFT JOIN low_arpu l ON l.subscription_id = m.subscription_id
    LEFT JOIN bound b ON b.subscription_id = m.subscription_id
    LEFT JOIN due d ON d.subscription_id = m.subscription_id
    LEFT JOIN churn_kinds k ON k.subscription_id = m.subscription_id
)
SELECT
    subscription_id,
    branch_id,
    vip_tier,
    manager_id,
    CASE WHEN has_left THEN 1 ELSE 0 END AS left_by_as_of,
    -- A member who left and whose person or handset came back within the window switched.
    CASE WHEN has_left AND COALESCE(kind, 'external') <> 'internal_switch' THEN 1 ELSE 0 END AS left_external,
    CASE WHEN has_left AND kind = 'internal_switch' THEN 1 ELSE 0 END AS left_internal_switch,
    CASE WHEN NOT has_left AND kind = 'dormant' THEN 1 ELSE 0 END AS dormant,
    CASE WHEN NOT has_left AND has_low_run THEN 1 ELSE 0 END AS low_arpu,
    CASE WHEN disconnected_on IS NULL OR disconnected_on >= DATE '{last_month}' THEN 1 ELSE 0 END
        AS in_network_at_last_month,
    CASE WHEN disconnected_on >= DATE '{last_month}' AND disconnected_on < DATE '{as_of}' THEN 1 ELSE 0 END
        AS left_in_last_month,
    CASE WHEN NOT has_left AND has_binding THEN 1 ELSE 0 END AS bound,
    COALESCE(contracts_due, 0) AS contracts_due,
    COALESCE(contracts_renewed, 0) AS contracts_renewed
FROM facts
