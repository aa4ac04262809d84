{#- Every day from the first stage transition to the as-of date: customers by
    stage at the end of the day, who became new, reactivated and churned
    (fct_churn_by_period), retention, orders and revenue, and repurchases. -#}
{%- set stages = [
    'prospect', 'new', 'active', 'reactivated', 'at_risk', 'churned',
] -%}
with

periods as (
    select * from {{ ref('fct_churn_by_period') }}
    where period_grain = 'day'
),

orders as (
    select * from {{ ref('fct_orders') }}
    where placed_date <= {{ lifecycle.as_of_date() }}
),

order_sequence as (
    select * from {{ ref('fct_customer_order_sequence') }}
),

stage_counts as (
    select
        stage_date as kpi_date,
        {% for stage in stages %}
        stage_{{ stage }}{{ ',' if not loop.last }}
        {% endfor %}
    from {{ ref('fct_stage_counts_daily') }}
),

order_days as (
    select
        placed_date as kpi_date,
        count(*) as orders_placed,
        sum(case when is_revenue then 1 else 0 end) as revenue_orders,
        sum(net_usd) as net_revenue_usd,
        count(distinct case when is_revenue then customer_id end)
            as buying_customers
    from orders
    group by placed_date
),

sequence_days as (
    select
        placed_date as kpi_date,
        sum(case when order_number = 1 then 1 else 0 end) as first_time_buyers,
        sum(case when order_number > 1 then 1 else 0 end) as repeat_orders,
        count(distinct case when order_number > 1 then customer_id end)
            as repeat_buyers
    from order_sequence
    group by placed_date
),

final as (
    select
        periods.period_start as kpi_date,
        {% for stage in stages %}
        cast(coalesce(stage_counts.stage_{{ stage }}, 0) as bigint)
            as stage_{{ stage }}_customers,
        {% endfor %}
        cast(periods.active_customers_at_end as bigint) as active_customers,
        cast(periods.new_customers as bigint) as new_customers,
        cast(periods.reactivated_customers as bigint) as reactivated_customers,
        cast(periods.churned_customers as bigint) as churned_customers,
        cast(periods.net_customer_movement as bigint) as net_customer_movement,
        {{ lifecycle.to_decimal('periods.churn_rate', 9, 6) }} as churn_rate,
        {{ lifecycle.to_decimal('1 - periods.churn_rate', 9, 6) }}
            as retention_rate,
        cast(coalesce(order_days.orders_placed, 0) as bigint) as orders_placed,
        cast(coalesce(order_days.revenue_orders, 0) as bigint)
            as revenue_orders,
        cast(coalesce(order_days.net_revenue_usd, 0) as decimal(18, 2))
            as net_revenue_usd,
        cast(coalesce(order_days.buying_customers, 0) as bigint)
            as buying_customers,
        cast(coalesce(sequence_days.first_time_buyers, 0) as bigint)
            as first_time_buyers,
        cast(coalesce(sequence_days.repeat_orders, 0) as bigint)
            as repeat_orders,
        cast(coalesce(sequence_days.repeat_buyers, 0) as bigint)
            as repeat_buyers
    from periods
    left join stage_counts
        on periods.period_start = stage_counts.kpi_date
    left join order_days
        on periods.period_start = order_days.kpi_date
    left join sequence_days
        on periods.period_start = sequence_days.kpi_date
)

select * from final
