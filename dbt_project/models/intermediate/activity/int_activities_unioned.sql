{#- Everything that counts as a customer being active, in one shape: an order
    placed (any status but cancelled) or an app login, session or feature use,
    with the customer it belongs to, up to the end of the as-of date. -#}
with

orders as (
    select * from {{ ref('stg_orders__orders') }}
    where status <> 'cancelled'
),

events as (
    select * from {{ ref('stg_app__events') }}
    where is_activity
),

shop_customers as (
    select * from {{ ref('int_customers_matched') }}
    where source_system = 'orders'
),

app_users as (
    select * from {{ ref('int_customers_matched') }}
    where source_system = 'app'
),

order_activities as (
    select
        shop_customers.customer_id,
        'orders' as source_system,
        orders.order_id as activity_id,
        'order' as activity_type,
        orders.placed_at as activity_at
    from orders
    inner join shop_customers
        on orders.shop_customer_id = shop_customers.record_id
),

app_activities as (
    select
        app_users.customer_id,
        'app' as source_system,
        events.event_id as activity_id,
        events.event_name as activity_type,
        events.occurred_at as activity_at
    from events
    inner join app_users
        on events.app_user_id = app_users.record_id
),

unioned as (
    select * from order_activities
    union all
    select * from app_activities
),

final as (
    select
        customer_id,
        source_system,
        activity_id,
        activity_type,
        activity_at,
        cast(activity_at as date) as activity_date
    from unioned
    where cast(activity_at as date) <= {{ lifecycle.as_of_date() }}
)

select * from final
