{#- One row per identity-bearing record in any system, with its normalized email and phone. -#}
with

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

orders as (
    select * from {{ ref('stg_orders__orders') }}
),

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

{#- Sign-ups, with the details they carry: a small part of the event stream. #}
sign_up_events as (
    select * from {{ ref('stg_app__events') }}
    where event_name = 'sign_up'
),

{#- Every app user's events per name and day, for when they were first seen. #}
event_days as (
    select * from {{ ref('int_app_user_event_days') }}
    where delivery_date <= {{ lifecycle.as_of_date() }}
),

crm_records as (
    select
        'crm' as source_system,
        contact_id as record_id,
        email,
        phone,
        country_code,
        created_at as first_seen_at,
        first_delivered_on
    from contacts
),

{# A shop customer's contact details as of their latest order. #}
shop_orders_ranked as (
    select
        shop_customer_id,
        email,
        phone,
        country_code,
        placed_at,
        row_number() over (
            partition by shop_customer_id order by placed_at desc, order_id desc
        ) as recency_rank,
        min(placed_at) over (partition by shop_customer_id) as first_order_at,
        min(first_delivered_on) over (partition by shop_customer_id)
            as first_delivered_on
    from orders
),

shop_records as (
    select
        'orders' as source_system,
        shop_customer_id as record_id,
        email,
        phone,
        country_code,
        first_order_at as first_seen_at,
        first_delivered_on
    from shop_orders_ranked
    where recency_rank = 1
),

support_records as (
    select
        'support' as source_system,
        ticket_id as record_id,
        email,
        phone,
        cast(null as {{ dbt.type_string() }}) as country_code,
        created_at as first_seen_at,
        first_delivered_on
    from tickets
),

app_signups as (
    select
        app_user_id,
        email,
        phone,
        country_code,
        occurred_at,
        row_number() over (
            partition by app_user_id order by occurred_at, event_id
        ) as signup_rank
    from sign_up_events
),

app_first_seen as (
    select
        app_user_id,
        min(first_occurred_at) as first_seen_at,
        min(delivery_date) as first_delivered_on
    from event_days
    group by app_user_id
),

app_records as (
    select
        'app' as source_system,
        app_first_seen.app_user_id as record_id,
        app_signups.email,
        app_signups.phone,
        app_signups.country_code,
        app_first_seen.first_seen_at,
        app_first_seen.first_delivered_on
    from app_first_seen
    left join app_signups
        on app_first_seen.app_user_id = app_signups.app_user_id
        and app_signups.signup_rank = 1
),

unioned as (
    select * from crm_records
    union all
    select * from shop_records
    union all
    select * from support_records
    union all
    select * from app_records
),

final as (
    select
        source_system || ':' || record_id as record_key,
        source_system,
        record_id,
        email,
        phone,
        country_code,
        first_seen_at,
        first_delivered_on
    from unioned
)

select * from final
