with

orders as (
    select * from {{ ref('fct_orders') }}
    where order_date <= {{ lifecycle.as_of_date() }}
),

events as (
    select * from {{ ref('stg_app__events') }}
    where event_date <= {{ lifecycle.as_of_date() }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

order_days as (
    select
        order_date as kpi_date,
        count(*) as orders,
        sum(case when is_revenue then net_amount_reporting else 0 end)
            as net_revenue,
        count(distinct customer_id) as buying_customers
    from orders
    group by order_date
),

first_orders as (
    select
        cast(first_order_at as date) as kpi_date,
        count(*) as first_time_buyers
    from customers
    where first_order_at is not null
    group by cast(first_order_at as date)
),

app_days as (
    select
        event_date as kpi_date,
        count(distinct app_user_id) as active_app_users,
        sum(case when event_name = 'sign_up' then 1 else 0 end) as sign_ups
    from events
    group by event_date
),

days as (
    select kpi_date from order_days
    union
    select kpi_date from app_days
),

final as (
    select
        days.kpi_date,
        cast(coalesce(order_days.orders, 0) as bigint) as orders,
        cast(coalesce(order_days.net_revenue, 0) as decimal(18, 2)) as net_revenue,
        cast(coalesce(order_days.buying_customers, 0) as bigint)
            as buying_customers,
        cast(coalesce(first_orders.first_time_buyers, 0) as bigint)
            as first_time_buyers,
        cast(coalesce(app_days.active_app_users, 0) as bigint)
            as active_app_users,
        cast(coalesce(app_days.sign_ups, 0) as bigint) as sign_ups
    from days
    left join order_days
        on days.kpi_date = order_days.kpi_date
    left join first_orders
        on days.kpi_date = first_orders.kpi_date
    left join app_days
        on days.kpi_date = app_days.kpi_date
)

select * from final
