{#- One row for the as-of date: the size, stage mix and value of the customer base. -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where order_date <= {{ lifecycle.as_of_date() }}
        and is_revenue
),

recent_revenue as (
    select sum(net_amount_reporting) as net_revenue_30d
    from orders
    where order_date > {{ dbt.dateadd('day', -30, lifecycle.as_of_date()) }}
),

stage_counts as (
    select
        count(*) as known_people,
        sum(case when order_count > 0 then 1 else 0 end) as buyers,
        sum(case when lifecycle_stage = 'prospect' then 1 else 0 end) as prospects,
        sum(case when lifecycle_stage = 'new' then 1 else 0 end) as new_customers,
        sum(case when lifecycle_stage = 'active' then 1 else 0 end)
            as active_customers,
        sum(case when lifecycle_stage = 'at_risk' then 1 else 0 end)
            as at_risk_customers,
        sum(case when lifecycle_stage = 'churned' then 1 else 0 end)
            as churned_customers,
        sum(net_revenue) as net_revenue_to_date,
        sum(order_count) as orders_to_date
    from customers
),

final as (
    select
        {{ lifecycle.as_of_date() }} as as_of_date,
        cast(stage_counts.known_people as bigint) as known_people,
        cast(stage_counts.buyers as bigint) as buyers,
        cast(stage_counts.prospects as bigint) as prospects,
        cast(stage_counts.new_customers as bigint) as new_customers,
        cast(stage_counts.active_customers as bigint) as active_customers,
        cast(stage_counts.at_risk_customers as bigint) as at_risk_customers,
        cast(stage_counts.churned_customers as bigint) as churned_customers,
        cast(stage_counts.net_revenue_to_date as decimal(18, 2))
            as net_revenue_to_date,
        cast(coalesce(recent_revenue.net_revenue_30d, 0) as decimal(18, 2))
            as net_revenue_30d,
        cast(
            case
                when stage_counts.orders_to_date > 0
                    then stage_counts.net_revenue_to_date
                    / stage_counts.orders_to_date
            end as decimal(18, 2)
        ) as average_order_value
    from stage_counts
    cross join recent_revenue
)

select * from final
