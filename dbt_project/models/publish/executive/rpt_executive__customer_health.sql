{#- One row for the as-of date (a snapshot): size, stage mix and value of the
    customer base. -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where placed_date <= {{ lifecycle.as_of_date() }}
        and is_revenue
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
        cast(base.at_risk_customers as bigint) as at_risk_customers,
        cast(base.churned_customers as bigint) as churned_customers,
        cast(
            case
                when base.customers > base.prospects
                    then 1.0 * (base.new_customers + base.active_customers)
                    / (base.customers - base.prospects)
            end as decimal(7, 4)
        ) as engaged_share,
        cast(base.net_revenue_to_date_usd as decimal(18, 2))
            as net_revenue_to_date_usd,
        cast(coalesce(recent_revenue.net_revenue_30d_usd, 0) as decimal(18, 2))
            as net_revenue_30d_usd,
        cast(
            case
                when revenue_orders.revenue_orders > 0
                    then base.net_revenue_to_date_usd
                    / revenue_orders.revenue_orders
            end as decimal(18, 2)
        ) as average_order_value_usd
    from base
    cross join recent_revenue
    cross join revenue_orders
)

select * from final
