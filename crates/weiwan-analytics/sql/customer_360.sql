-- The customer 360 table (客户360视图): one row per line, as of a date, over the lake.
--
-- Placeholders are filled in by weiwan-analytics (batch.rs) from a validated date, never from
-- user text:
--   {as_of}       the batch date; only history strictly before it counts
--   {as_of_days}  the same date as days since 1970-01-01
--   {m1}          first day of the last complete month (the month before {as_of}'s month)
--   {m3}, {m4}, {m6}, {m12}  first days of the months 2, 3, 5 and 11 months before {m1}
--                 (so [m3, m1] is the last 3 complete months, [m6, m4] the 3 before them and
--                 [m12, m1] the last 12)
--   {d90}         {as_of} minus 90 days, as a timestamp (payments count from {m6})
--   {d90_day}     the same day as a date
--   {plus90}      {as_of} plus 90 days
-- Trends are ratios minus one: 0.0 is flat, -0.4 is "fell 40%"; NULL when the base is 0 or
-- missing.

WITH usage AS (
    SELECT
        subscription_id,
        SUM(CASE WHEN month = DATE '{m1}' THEN arpu END) AS arpu_last,
        AVG(CASE WHEN month >= DATE '{m3}' THEN arpu END) AS arpu_3m,
        AVG(CASE WHEN month >= DATE '{m4}' AND month < DATE '{m1}' THEN arpu END) AS arpu_prev_3m,
        AVG(CASE WHEN month >= DATE '{m6}' AND month < DATE '{m3}' THEN arpu END) AS arpu_3m_before,
        AVG(CASE WHEN month >= DATE '{m6}' THEN arpu END) AS arpu_6m,
        SUM(arpu) AS revenue_12m,
        SUM(CASE WHEN month = DATE '{m1}' THEN mou END) AS mou_last,
        AVG(CASE WHEN month >= DATE '{m3}' THEN CAST(mou AS DOUBLE) END) AS mou_3m,
        AVG(CASE WHEN month >= DATE '{m6}' AND month < DATE '{m3}' THEN CAST(mou AS DOUBLE) END) AS mou_3m_before,
        SUM(CASE WHEN month = DATE '{m1}' THEN data_mb END) AS data_mb_last,
        AVG(CASE WHEN month >= DATE '{m3}' THEN CAST(data_mb AS DOUBLE) END) AS data_mb_3m,
        AVG(CASE WHEN month >= DATE '{m6}' AND month < DATE '{m3}' THEN CAST(data_mb AS DOUBLE) END)
            AS data_mb_3m_before,
        SUM(CASE WHEN month >= DATE '{m3}' THEN sms END) AS sms_3m,
        SUM(CASE WHEN month >= DATE '{m3}' THEN roaming_min END) AS roaming_min_3m,
        COUNT(CASE WHEN month >= DATE '{m3}' AND roaming_min > 0 THEN 1 END) AS roaming_months_3m,
        SUM(CASE WHEN month = DATE '{m1}' THEN competitor_calls END) AS competitor_calls_last,
        SUM(CASE WHEN month >= DATE '{m3}' THEN competitor_calls END) AS competitor_calls_3m,
        SUM(CASE WHEN month >= DATE '{m3}' THEN recharge END) AS recharge_3m,
        SUM(CASE WHEN month = DATE '{m1}' THEN balance END) AS balance_last,
        SUM(CASE WHEN month = DATE '{m1}' THEN arrears END) AS arrears_last,
        SUM(CASE WHEN month >= DATE '{m3}' THEN complaints END) AS complaints_3m,
        COUNT(CASE WHEN month >= DATE '{m3}' AND mou = 0 AND data_mb = 0 AND sms = 0 THEN 1 END)
            AS zero_usage_months_3m,
        COUNT(CASE WHEN month >= DATE '{m6}' THEN 1 END) AS usage_months,
        COUNT(*) AS usage_months_12m
    FROM usage_monthly
    WHERE month >= DATE '{m12}' AND month <= DATE '{m1}'
    GROUP BY subscription_id
),
event_counts AS (
    SELECT
        subscription_id,
        COUNT(CASE WHEN event_type = 'complaint' THEN 1 END) AS complaints_90d,
        COUNT(CASE WHEN event_type = 'competitor_service_call' THEN 1 END) AS competitor_service_calls_90d,
        COUNT(CASE WHEN event_type = 'porting_inquiry' THEN 1 END) AS porting_inquiries_90d,
        COUNT(CASE WHEN event_type = 'disconnection_request' THEN 1 END) AS disconnection_requests_90d,
        COUNT(CASE WHEN event_type = 'call_forwarding_set' THEN 1 END) AS call_forwarding_90d
    FROM events
    WHERE occurred_at >= TIMESTAMP '{d90}' AND occurred_at < TIMESTAMP '{as_of} 00:00:00'
    GROUP BY subscription_id
),
last_arrears AS (
    SELECT subscription_id, MAX(occurred_at) AS last_arrears_at
    FROM events
    WHERE event_type = 'arrears' AND occurred_at < TIMESTAMP '{as_of} 00:00:00'
    GROUP BY subscription_id
),
points AS (
    SELECT
        customer_id,
        SUM(CASE WHEN kind = 'earn' THEN points ELSE -points END) AS points_balance,
        SUM(CASE WHEN kind = 'earn' AND expires_on >= DATE '{as_of}' AND expires_on < DATE '{plus90}'
            THEN points ELSE 0 END) AS points_expiring_90d
    FROM points_ledger
    WHERE occurred_on < DATE '{as_of}'
    GROUP BY customer_id
),
channel_counts AS (
    SELECT subscription_id, channel, COUNT(*) AS payments, MAX(paid_at) AS latest
    FROM payments
    WHERE paid_at >= TIMESTAMP '{m6} 00:00:00' AND paid_at < TIMESTAMP '{as_of} 00:00:00'
    GROUP BY subscription_id, channel
),
preferred_channel AS (
    SELECT subscription_id, channel AS preferred_payment_channel
    FROM (
        SELECT subscription_id, channel, ROW_NUMBER() OVER (
            PARTITION BY subscription_id ORDER BY payments DESC, latest DESC, channel
        ) AS channel_rank
        FROM channel_counts
    )
    WHERE channel_rank = 1
),
-- Clubs 俱乐部, from the store snapshot the batch writes first (store_snapshot.rs): clubs the
-- customer belonged to on the as-of date, and club events attended in the 90 days before it.
clubs AS (
    SELECT customer_id, COUNT(*) AS club_memberships
    FROM club_members
    WHERE joined_on < DATE '{as_of}' AND (left_on IS NULL OR left_on >= DATE '{as_of}')
    GROUP BY customer_id
),
club_events AS (
    SELECT customer_id, COUNT(*) AS club_events_attended_90d
    FROM club_attendance
    WHERE held_on >= DATE '{d90_day}' AND held_on < DATE '{as_of}'
    GROUP BY customer_id
),
active_contracts AS (
    SELECT subscription_id, COUNT(*) AS active_contracts
    FROM contracts
    WHERE starts_on < DATE '{as_of}' AND ends_on >= DATE '{as_of}' AND status IN ('active', 'renewed')
    GROUP BY subscription_id
)
SELECT
    s.subscription_id,
    s.customer_id,
    s.msisdn,
    c.branch_id,
    c.manager_id,
    c.vip_tier,
    c.group_id,
    c.is_key_person,
    c.group_id IS NOT NULL AS is_group_member,
    s.family_group_id,
    s.family_group_id IS NOT NULL AS in_family_plan,
    s.plan_id,
    p.monthly_fee AS plan_fee,
    p.payment_type,
    p.network,
    s.status,
    s.activated_on,
    CAST(({as_of_days} - arrow_cast(s.activated_on, 'Int32')) / 30.4375 AS BIGINT) AS tenure_months,
    s.contract_end,
    CASE WHEN s.contract_end IS NULL THEN NULL
         ELSE arrow_cast(s.contract_end, 'Int32') - {as_of_days} END AS contract_days_left,
    CASE WHEN s.device_since IS NULL THEN NULL
         ELSE CAST(({as_of_days} - arrow_cast(s.device_since, 'Int32')) / 30.4375 AS BIGINT) END
        AS device_age_months,
    COALESCE(u.usage_months, 0) AS usage_months,
    u.arpu_last,
    u.arpu_3m,
    u.arpu_6m,
    COALESCE(u.revenue_12m, 0) AS revenue_12m,
    COALESCE(u.usage_months_12m, 0) AS usage_months_12m,
    -- Future potential until the churn model prices it: the next 12 months at the 3-month
    -- ARPU, moved by the 6-month trend (clamped to +-50%).
    CASE WHEN u.arpu_3m IS NULL THEN CAST(0 AS DOUBLE)
         ELSE CAST(u.arpu_3m AS DOUBLE) * 12
              * (1 + LEAST(GREATEST(COALESCE(CAST(u.arpu_3m AS DOUBLE) / NULLIF(CAST(u.arpu_3m_before AS DOUBLE), 0) - 1, 0), -0.5), 0.5))
    END AS projected_revenue_12m,
    CASE WHEN u.arpu_prev_3m > 0 THEN CAST(u.arpu_last AS DOUBLE) / CAST(u.arpu_prev_3m AS DOUBLE) - 1 END
        AS arpu_trend_3m,
    CASE WHEN u.arpu_3m_before > 0 THEN CAST(u.arpu_3m AS DOUBLE) / CAST(u.arpu_3m_before AS DOUBLE) - 1 END
        AS arpu_trend_6m,
    u.mou_last,
    u.mou_3m,
    CASE WHEN u.mou_3m_before > 0 THEN u.mou_3m / u.mou_3m_before - 1 END AS mou_trend_6m,
    u.data_mb_last,
    u.data_mb_3m,
    CASE WHEN u.data_mb_3m_before > 0 THEN u.data_mb_3m / u.data_mb_3m_before - 1 END AS data_trend_6m,
    u.sms_3m,
    COALESCE(u.roaming_min_3m, 0) AS roaming_min_3m,
    COALESCE(u.roaming_months_3m, 0) AS roaming_months_3m,
    u.recharge_3m,
    u.balance_last,
    u.arrears_last,
    CASE WHEN u.arrears_last > 0 AND a.last_arrears_at IS NOT NULL
         THEN {as_of_days} - arrow_cast(arrow_cast(a.last_arrears_at, 'Date32'), 'Int32')
         ELSE 0 END AS arrears_days,
    COALESCE(u.complaints_3m, 0) AS complaints_3m,
    COALESCE(e.complaints_90d, 0) AS complaints_90d,
    u.competitor_calls_last,
    u.competitor_calls_3m,
    COALESCE(e.competitor_service_calls_90d, 0) AS competitor_service_calls_90d,
    COALESCE(e.porting_inquiries_90d, 0) AS porting_inquiries_90d,
    COALESCE(e.disconnection_requests_90d, 0) AS disconnection_requests_90d,
    COALESCE(e.call_forwarding_90d, 0) AS call_forwarding_90d,
    COALESCE(u.zero_usage_months_3m, 0) AS zero_usage_months_3m,
    COALESCE(pt.points_balance, 0) AS points_balance,
    COALESCE(pt.points_expiring_90d, 0) AS points_expiring_90d,
    COALESCE(ac.active_contracts, 0) AS active_contracts,
    COALESCE(cl.club_memberships, 0) > 0 AS club_member,
    COALESCE(ce.club_events_attended_90d, 0) AS club_events_attended_90d,
    pc.preferred_payment_channel,
    DATE '{as_of}' AS as_of
FROM subscriptions s
JOIN customers c ON c.customer_id = s.customer_id
JOIN plans p ON p.plan_id = s.plan_id
LEFT JOIN usage u ON u.subscription_id = s.subscription_id
LEFT JOIN event_counts e ON e.subscription_id = s.subscription_id
LEFT JOIN last_arrears a ON a.subscription_id = s.subscription_id
LEFT JOIN points pt ON pt.customer_id = s.customer_id
LEFT JOIN active_contracts ac ON ac.subscription_id = s.subscription_id
LEFT JOIN clubs cl ON cl.customer_id = s.customer_id
LEFT JOIN club_events ce ON ce.customer_id = s.customer_id
LEFT JOIN preferred_channel pc ON pc.subscription_id = s.subscription_id
WHERE s.activated_on < DATE '{as_of}'
  AND (s.disconnected_on IS NULL OR s.disconnected_on >= DATE '{as_of}')
ORDER BY s.subscription_id
