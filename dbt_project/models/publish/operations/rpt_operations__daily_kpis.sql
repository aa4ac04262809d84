{#- Every day from the first day with any order or app event up to the as-of
    date, days without activity included: orders, revenue, and new, active and
    buying customers. -#}
with

days as (
    {{ dbt.date_spine(
        'day',
        "cast('2015-01-01' as date)",
        dbt.dateadd('day', 1, lifecycle.as_of_date())
    ) }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where placed_date <= {{ lifecycle.as_of_date() }}
),

events as (
    select * from {{ ref('stg_app__events') }}
    where event_date <= {{ lifecycle.as_of_date() }}
),

activities as (
    select * from {{ ref('int_customer_activity_days') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

order_days as (
    select
        placed_date as kpi_date,
        count(*) as orders_placed,
        sum(case when is_revenue then total_amount_usd else 0 end)
            as gross_revenue_usd,
        sum(net_usd) as net_revenue_usd,
        count(distinct case when status <> 'cancelled' then customer_id end)
            as buying_customers
    from orders
    group by placed_date
),

activity_days as (
    select
        activity_date as kpi_date,
        count(distinct customer_id) as active_customers
    from activities
    group by activity_date
),

new_customer_days as (
    select
        first_activity_date as kpi_date,
        count(*) as new_customers
    from customers
    where first_activity_date is not null
    group by first_activity_date
),

first_order_days as (
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

first_day as (
    select min(kpi_date) as kpi_date
    from (
        select kpi_date from order_days
        union all
        select kpi_date from app_days
    ) as busy_days
),

calendar as (
    select cast(days.date_day as date) as kpi_date
    from days
    inner join first_day
        on cast(days.date_day as date) >= first_day.kpi_date
    where cast(days.date_day as date) <= {{ lifecycle.as_of_date() }}
),

final as (
    select
        calendar.kpi_date,
        cast(coalesce(order_days.orders_placed, 0) as bigint) as orders_placed,
        cast(coalesce(order_days.gross_revenue_usd, 0) as decimal(18, 2))
            as gross_revenue_usd,
        cast(coalesce(order_days.net_revenue_usd, 0) as decimal(18, 2))
            as net_revenue_usd,
        cast(coalesce(order_days.buying_customers, 0) as bigint)
            as buying_customers,
        cast(coalesce(first_order_days.first_time_buyers, 0) as bigint)
            as first_time_buyers,
        cast(coalesce(new_customer_days.new_customers, 0) as bigint)
            as new_customers,
        cast(coalesce(activity_days.active_customers, 0) as bigint)
            as active_customers,
        cast(coalesce(app_days.active_app_users, 0) as bigint)
            as active_app_users,
        cast(coalesce(app_days.sign_ups, 0) as bigint) as sign_ups
    from calendar
    left join order_days
        on calendar.kpi_date = order_days.kpi_date
    left join activity_days
        on calendar.kpi_date = activity_days.kpi_date
    left join new_customer_days
        on calendar.kpi_date = new_customer_days.kpi_date
    left join first_order_days
        on calendar.kpi_date = first_order_days.kpi_date
    left join app_days
        on calendar.kpi_date = app_days.kpi_date
)

select * from final
