-- The KPIs of a cohort per group (docs/kpis.md), over the member facts of kpi_members.sql.
-- {group} is a column of the facts (branch_id, vip_tier, manager_id) or the literal 'all'.
SELECT
    CAST({group} AS VARCHAR) AS group_key,
    COUNT(*) AS members,
    SUM(left_by_as_of) AS left_count,
    SUM(left_external) AS left_external,
    SUM(left_internal_switch) AS left_internal_switch,
    SUM(dormant) AS dormant,
    SUM(low_arpu) AS low_arpu,
    SUM(left_by_as_of) + SUM(low_arpu) AS lost,
    COUNT(*) - SUM(left_by_as_of) AS in_network,
    SUM(in_network_at_last_month) AS in_network_at_last_month,
    SUM(left_in_last_month) AS left_in_last_month,
    SUM(bound) AS bound,
    SUM(contracts_due) AS contracts_due,
    SUM(contracts_renewed) AS contracts_renewed,
    -- 中高端客户保有率
    1.0 - CAST(SUM(left_by_as_of) + SUM(low_arpu) AS DOUBLE) / COUNT(*) AS retention_rate,
    -- 保有率 with internal switchers kept: the person stayed with the operator (docs/kpis.md)
    1.0 - CAST(SUM(left_external) + SUM(low_arpu) AS DOUBLE) / COUNT(*) AS retention_rate_excl_switch,
    -- 外部离网率, 内部转网率, 冬眠率 of the cohort
    CAST(SUM(left_external) AS DOUBLE) / COUNT(*) AS external_churn_rate,
    CAST(SUM(left_internal_switch) AS DOUBLE) / COUNT(*) AS internal_switch_rate,
    CAST(SUM(dormant) AS DOUBLE) / COUNT(*) AS dormant_rate,
    -- 在网率
    CAST(COUNT(*) - SUM(left_by_as_of) AS DOUBLE) / COUNT(*) AS in_network_rate,
    -- 离网率, of the last complete month
    CAST(SUM(left_in_last_month) AS DOUBLE) / NULLIF(SUM(in_network_at_last_month), 0) AS churn_rate,
    -- 捆绑到位率
    CAST(SUM(bound) AS DOUBLE) / NULLIF(COUNT(*) - SUM(left_by_as_of), 0) AS binding_rate,
    -- 续签率
    CAST(SUM(contracts_renewed) AS DOUBLE) / NULLIF(SUM(contracts_due), 0) AS renewal_rate
FROM member_kpis
GROUP BY CAST({group} AS VARCHAR)
ORDER BY group_key
