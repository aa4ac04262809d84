{#- The backtest deciles add up to the customers scored on the cutoff, and
    deciles differ in size by at most one customer. -#}
with

deciles as (
    select * from {{ ref('fct_churn_risk_backtest_deciles') }}
),

backtest as (
    select * from {{ ref('fct_churn_risk_backtest') }}
),

decile_totals as (
    select
        sum(customers) as customers,
        max(customers) - min(customers) as size_spread
    from deciles
),

scored as (
    select count(*) as customers
    from backtest
)

select
    decile_totals.customers as customers_in_deciles,
    scored.customers as customers_scored,
    decile_totals.size_spread
from decile_totals
cross join scored
where coalesce(decile_totals.customers, 0) <> scored.customers
    or decile_totals.size_spread > 1
