{#- Per month and per ISO week up to the as-of date: the base by lifecycle
    stage at the period's end, new, reactivated and churned customers, the net
    movement and churn rate (fct_churn_by_period), and revenue. -#}
{%- set stages = [
    'prospect', 'new', 'active', 'reactivated', 'at_risk', 'churned',
] -%}
with

periods as (
    select * from {{ ref('fct_churn_by_period') }}
    where period_grain in ('week', 'month')
),

orders as (
    select * from {{ ref('fct_orders') }}
    where placed_date <= {{ lifecycle.as_of_date() }}
),

{#- The period's last day, or the as-of date for the current period. #}
period_ends as (
    select
        period_grain,
        period_start,
        case
            when is_complete
                then cast({{ dbt.dateadd('day', -1, 'period_end') }} as date)
            else {{ lifecycle.as_of_date() }}
        end as snapshot_date
    from periods
),

stage_counts as (
    select
        period_ends.period_grain,
        period_ends.period_start,
        {% for stage in stages %}
        daily.stage_{{ stage }}{{ ',' if not loop.last }}
        {% endfor %}
    from period_ends
    inner join {{ ref('fct_stage_counts_daily') }} as daily
        on period_ends.snapshot_date = daily.stage_date
),

revenue as (
    select
        periods.period_grain,
        periods.period_start,
        sum(orders.net_usd) as net_revenue_usd,
        sum(case when orders.is_revenue then 1 else 0 end) as revenue_orders
    from periods
    inner join orders
        on orders.placed_date >= periods.period_start
        and orders.placed_date < periods.period_end
    group by periods.period_grain, periods.period_start
),

final as (
    select
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        period_ends.snapshot_date,
        periods.is_complete,
        {% for stage in stages %}
        cast(coalesce(stage_counts.stage_{{ stage }}, 0) as bigint)
            as stage_{{ stage }}_customers,
        {% endfor %}
        cast(periods.active_customers_at_start as bigint)
            as active_customers_at_start,
        cast(periods.active_customers_at_end as bigint)
            as active_customers_at_end,
        cast(periods.new_customers as bigint) as new_customers,
        cast(periods.reactivated_customers as bigint) as reactivated_customers,
        cast(periods.churned_customers as bigint) as churned_customers,
        cast(periods.net_customer_movement as bigint) as net_customer_movement,
        {{ lifecycle.to_decimal('periods.churn_rate', 9, 6) }} as churn_rate,
        cast(coalesce(revenue.net_revenue_usd, 0) as decimal(18, 2))
            as net_revenue_usd,
        cast(coalesce(revenue.revenue_orders, 0) as bigint) as revenue_orders
    from periods
    inner join period_ends
        on periods.period_grain = period_ends.period_grain
        and periods.period_start = period_ends.period_start
    left join stage_counts
        on periods.period_grain = stage_counts.period_grain
        and periods.period_start = stage_counts.period_start
    left join revenue
        on periods.period_grain = revenue.period_grain
        and periods.period_start = revenue.period_start
)

select * from final
