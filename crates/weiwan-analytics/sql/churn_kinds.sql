-- Churn kinds (离网类型) of the lake's lines as of a date (churn_kinds.rs, docs/churn-kinds.md).
--
-- Placeholders, filled by weiwan-analytics from validated numbers and dates, never user text:
--   {as_of_days}     the evaluation date, as days since 1970-01-01; what happened before it counts
--   {window_days}    W: a new line of the same person or handset activated within W days of a
--                    disconnection (before or after it) makes the departure an internal switch
--   {dormant_start}  first day of the first of the N complete months before the as-of month
--   {as_of_month}    first day of the as-of month
--
-- One row per line that left before the date (`external` or `internal_switch`) or that is
-- still on the network but was not used in any of the N months (`dormant`). Lines in use are
-- not listed. `subscriptions` and `customers` hold each key's latest delivered row.
--
-- The person of a line is its customer, or any customer with the same `id_number`; the handset
-- is `device_id`. The matching joins are equi-joins on each of the three keys (never an OR
-- join), so they scale with the number of departures, not with its square.

WITH lines AS (
    SELECT
        s.subscription_id,
        s.customer_id,
        c.id_number,
        s.device_id,
        CAST(arrow_cast(s.activated_on, 'Int32') AS BIGINT) AS activated_day,
        s.activated_on,
        s.disconnected_on,
        CAST(arrow_cast(s.disconnected_on, 'Int32') AS BIGINT) AS disconnected_day
    FROM subscriptions s
    LEFT JOIN customers c ON c.customer_id = s.customer_id
    WHERE CAST(arrow_cast(s.activated_on, 'Int32') AS BIGINT) < {as_of_days}
),
departed AS (
    SELECT * FROM lines WHERE disconnected_day IS NOT NULL AND disconnected_day < {as_of_days}
),
-- Every other line of the same customer, person (ID number) or handset, with how it matched
-- (1 customer, 2 ID number, 3 handset: the first that holds is the one reported).
returns AS (
    SELECT d.subscription_id, n.subscription_id AS other_id, n.activated_day - d.disconnected_day AS gap,
        CASE WHEN n.customer_id = d.customer_id THEN 1
             WHEN n.id_number = d.id_number THEN 2
             ELSE 3 END AS match_rank
    FROM departed d JOIN lines n ON n.customer_id = d.customer_id
    WHERE n.subscription_id <> d.subscription_id
    UNION ALL
    SELECT d.subscription_id, n.subscription_id, n.activated_day - d.disconnected_day,
        CASE WHEN n.customer_id = d.customer_id THEN 1 ELSE 2 END
    FROM departed d JOIN lines n ON n.id_number = d.id_number
    WHERE n.subscription_id <> d.subscription_id AND d.id_number IS NOT NULL
    UNION ALL
    SELECT d.subscription_id, n.subscription_id, n.activated_day - d.disconnected_day,
        CASE WHEN n.customer_id = d.customer_id THEN 1
             WHEN n.id_number = d.id_number THEN 2
             ELSE 3 END
    FROM departed d JOIN lines n ON n.device_id = d.device_id
    WHERE n.subscription_id <> d.subscription_id AND d.device_id IS NOT NULL
),
-- Within the window: the switch. The closest new line, then the strongest match, then the id.
switches AS (
    SELECT subscription_id, other_id AS successor_id, match_rank
    FROM (
        SELECT subscription_id, other_id, match_rank,
            ROW_NUMBER() OVER (PARTITION BY subscription_id ORDER BY ABS(gap), match_rank, other_id) AS pick
        FROM returns
        WHERE gap BETWEEN -{window_days} AND {window_days}
    )
    WHERE pick = 1
),
-- After the window (and before the date): the earliest such line is the win-back.
win_backs AS (
    SELECT subscription_id, other_id AS won_back_id
    FROM (
        SELECT subscription_id, other_id,
            ROW_NUMBER() OVER (PARTITION BY subscription_id ORDER BY gap, match_rank, other_id) AS pick
        FROM returns
        WHERE gap > {window_days}
    )
    WHERE pick = 1
),
-- Months of the dormancy span with any use at all; and each line's last month of use.
used AS (
    SELECT subscription_id,
        MAX(CASE WHEN month >= DATE '{dormant_start}' THEN 1 ELSE 0 END) AS used_in_span,
        MAX(month) AS last_used_month
    FROM usage_monthly
    WHERE month < DATE '{as_of_month}' AND (mou > 0 OR data_mb > 0 OR sms > 0)
    GROUP BY subscription_id
)
SELECT
    d.subscription_id,
    d.customer_id,
    CASE WHEN s.successor_id IS NULL THEN 'external' ELSE 'internal_switch' END AS kind,
    d.disconnected_on,
    CASE s.match_rank WHEN 1 THEN 'customer' WHEN 2 THEN 'id_number' WHEN 3 THEN 'device' END AS matched_by,
    s.successor_id,
    CASE WHEN s.successor_id IS NULL THEN w.won_back_id END AS won_back_id,
    u.last_used_month
FROM departed d
LEFT JOIN switches s ON s.subscription_id = d.subscription_id
LEFT JOIN win_backs w ON w.subscription_id = d.subscription_id
LEFT JOIN used u ON u.subscription_id = d.subscription_id
UNION ALL
SELECT
    l.subscription_id,
    l.customer_id,
    'dormant' AS kind,
    CAST(NULL AS DATE) AS disconnected_on,
    CAST(NULL AS VARCHAR) AS matched_by,
    CAST(NULL AS VARCHAR) AS successor_id,
    CAST(NULL AS VARCHAR) AS won_back_id,
    u.last_used_month
FROM lines l
LEFT JOIN used u ON u.subscription_id = l.subscription_id
WHERE (l.disconnected_day IS NULL OR l.disconnected_day >= {as_of_days})
    AND l.activated_on < DATE '{dormant_start}'
    AND COALESCE(u.used_in_span, 0) = 0
