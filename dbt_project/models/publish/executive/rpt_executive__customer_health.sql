{#- One row for the as-of date (a snapshot): size, stage mix, revenue and
    value (historical and predicted CLV) of the customer base. -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where placed_date <= {{ lifecycle.as_of_date() }}
        and is_revenue
),

customer_value as (
    select * from {{ ref('fct_customer_value') }}
),

monthly_churn as (
    select * from {{ ref('fct_churn_by_period') }}
    where period_grain = 'month'
        and is_complete
),

last_month_churn as (
    select
        max(period_start) as period_start
    from monthly_churn
),

last_month as (
    select
        monthly_churn.period_start,
        monthly_churn.churn_rate
    from monthly_churn
    inner join last_month_churn
        on monthly_churn.period_start = last_month_churn.period_start
),

value_totals as (
    select
        sum(historical_clv_usd) as historical_clv_usd,
        sum(predicted_clv_usd) as predicted_clv_usd,
        sum(total_clv_usd) as total_clv_usd,
        sum(case when predicted_clv_usd is not null then 1 else 0 end)
            as predicted_customers,
        max(clv_horizon_months) as clv_horizon_months
    from customer_value
),

recent_revenue as (
    select
        sum(net_usd) as net_revenue_30d_usd,
        count(*) as revenue_orders_30d
    from orders
    where placed_date > {{ dbt.dateadd('day', -30, lifecycle.as_of_date()) }}
),

base as (
    select
        count(*) as customers,
        sum(case when order_count > 0 then 1 else 0 end) as buyers,
        sum(case when lifecycle_stage = 'prospect' then 1 else 0 end)
            as prospects,
        sum(case when lifecycle_stage = 'new' then 1 else 0 end)
            as new_customers,
        sum(case when lifecycle_stage = 'active' then 1 else 0 end)
            as active_customers,
        sum(case when lifecycle_stage = 'reactivated' then 1 else 0 end)
            as reactivated_customers,
        sum(case when lifecycle_stage = 'at_risk' then 1 else 0 end)
            as at_risk_customers,
        sum(case when lifecycle_stage = 'churned' then 1 else 0 end)
            as churned_customers,
        sum(net_revenue_usd) as net_revenue_to_date_usd
    from customers
),

revenue_orders as (
    select count(*) as revenue_orders
    from orders
),

final as (
    select
        {{ lifecycle.as_of_date() }} as as_of_date,
        cast(base.customers as bigint) as customers,
        cast(base.buyers as bigint) as buyers,
        cast(base.prospects as bigint) as prospects,
        cast(base.new_customers as bigint) as new_customers,
        cast(base.active_customers as bigint) as active_customers,
        cast(base.reactivated_customers as bigint) as reactivated_customers,
        cast(base.at_risk_customers as bigint) as at_risk_customers,
        cast(base.churned_customers as bigint) as churned_customers,
        {% call lifecycle.decimal_of(7, 4) -%}
            case
                when base.customers > base.prospects
                    then 1.0 * (
                        base.new_customers + base.active_customers
                        + base.reactivated_customers
                    )
                    / (base.customers - base.prospects)
            end
        {%- endcall %} as engaged_share,
        cast(base.net_revenue_to_date_usd as decimal(18, 2))
            as net_revenue_to_date_usd,
        cast(coalesce(recent_revenue.net_revenue_30d_usd, 0) as decimal(18, 2))
            as net_revenue_30d_usd,
        {% call lifecycle.decimal_of(18, 2) -%}
            case
                when revenue_orders.revenue_orders > 0
                    then base.net_revenue_to_date_usd
                    / revenue_orders.revenue_orders
            end
        {%- endcall %} as average_order_value_usd,
        cast(value_totals.historical_clv_usd as decimal(18, 2))
            as historical_clv_usd,
        cast(value_totals.predicted_clv_usd as decimal(18, 2))
            as predicted_clv_usd,
        cast(value_totals.total_clv_usd as decimal(18, 2)) as total_clv_usd,
        {% call lifecycle.decimal_of(18, 2) -%}
            case
                when value_totals.predicted_customers > 0
                    then value_totals.predicted_clv_usd
                    / value_totals.predicted_customers
            end
        {%- endcall %} as predicted_clv_per_buyer_usd,
        cast(value_totals.clv_horizon_months as integer) as clv_horizon_months,
        last_month.period_start as last_complete_month,
        {{ lifecycle.to_decimal('last_month.churn_rate', 9, 6) }}
            as churn_rate_last_complete_month
    from base
    cross join recent_revenue
    cross join revenue_orders
    cross join value_totals
    left join last_month
        on 1 = 1
)

select * from final
