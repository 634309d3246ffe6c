-- Churn by calendar month over the lake's lines (trends.rs, docs/dashboards.md).
--
-- Placeholder, filled by weiwan-analytics from dates it computed, never user text:
--   {months}  VALUES rows ('first day of the month', 'first day of the next month')
--
-- A line is in network at the start of a month when it was activated before the month's first
-- day and not disconnected before it (as in the 360 table); of those, the ones disconnected
-- within the month left in it. A line activated and disconnected in the same month counts in
-- neither. `subscriptions` holds each line's latest delivered row. The leavers are split by
-- kind (`churn_kinds`, sql/churn_kinds.sql as of the trend's date): an internal number switch
-- (内部转网) or gone to a competitor (外部离网, every other departure).

WITH months AS (
    SELECT CAST(column1 AS DATE) AS month_start, CAST(column2 AS DATE) AS next_month
    FROM (VALUES {months})
)
SELECT
    CAST(m.month_start AS VARCHAR) AS first_day,
    COUNT(s.subscription_id) AS lines_at_start,
    COUNT(CASE WHEN s.disconnected_on < m.next_month THEN 1 END) AS left_count,
    COUNT(CASE WHEN s.disconnected_on < m.next_month AND s.kind = 'internal_switch' THEN 1 END)
        AS left_internal_switch
FROM months m
LEFT JOIN (
    SELECT l.subscription_id, l.activated_on, l.disconnected_on, k.kind
    FROM subscriptions l
    LEFT JOIN churn_kinds k ON k.subscription_id = l.subscription_id
) s
    ON s.activated_on < m.month_start
    AND (s.disconnected_on IS NULL OR s.disconnected_on >= m.month_start)
GROUP BY m.month_start
ORDER BY m.month_start
