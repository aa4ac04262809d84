with

matched as (
    select * from {{ ref('int_customers_matched') }}
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

events as (
    select * from {{ ref('stg_app__events') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

ratings as (
    select * from {{ ref('stg_support__satisfaction_ratings') }}
),

identity as (
    select
        customer_id,
        min(email) as email,
        min(phone) as phone,
        min(country_code) as country_code,
        min(first_seen_at) as first_seen_at,
        min(case when source_system = 'crm' then record_id end) as contact_id,
        count(distinct source_system) as source_system_count
    from matched
    group by customer_id
),

order_summary as (
    select
        customer_id,
        count(*) as order_count,
        min(placed_at) as first_order_at,
        max(placed_at) as last_order_at,
        sum(case when is_revenue then total_amount_reporting else 0 end)
            as gross_revenue,
        sum(refunded_amount_reporting) as refunds,
        sum(net_amount_reporting) as net_revenue
    from orders
    where customer_id is not null and is_revenue
    group by customer_id
),

app_activity as (
    select
        matched.customer_id,
        min(case when events.event_name = 'sign_up' then events.occurred_at end)
            as signed_up_at,
        min(case when events.event_name = 'login' then events.occurred_at end)
            as first_login_at,
        max(case when events.event_name = 'login' then events.occurred_at end)
            as last_login_at,
        min(case when events.event_name <> 'sign_up' then events.event_date end)
            as first_app_activity_date,
        max(case when events.event_name <> 'sign_up' then events.event_date end)
            as last_app_activity_date,
        max(events.signup_channel) as signup_channel
    from events
    inner join matched
        on events.app_user_id = matched.record_id
        and matched.source_system = 'app'
    group by matched.customer_id
),

ticket_summary as (
    select
        matched.customer_id,
        count(*) as ticket_count,
        sum(case when tickets.is_open then 1 else 0 end) as open_ticket_count,
        avg(ratings.score) as avg_csat,
        max(ratings.rated_at) as last_rated_at
    from tickets
    inner join matched
        on tickets.ticket_id = matched.record_id
        and matched.source_system = 'support'
    left join ratings
        on tickets.ticket_id = ratings.ticket_id
    group by matched.customer_id
),

combined as (
    select
        identity.customer_id,
        identity.email,
        identity.phone,
        identity.country_code,
        identity.source_system_count,
        identity.contact_id,
        contacts.account_id,
        contacts.owner_id,
        contacts.first_name,
        contacts.last_name,
        coalesce(contacts.lead_source, app_activity.signup_channel)
            as acquisition_channel,
        identity.first_seen_at,
        order_summary.first_order_at,
        order_summary.last_order_at,
        coalesce(order_summary.order_count, 0) as order_count,
        cast(coalesce(order_summary.gross_revenue, 0) as decimal(18, 2))
            as gross_revenue,
        cast(coalesce(order_summary.refunds, 0) as decimal(18, 2)) as refunds,
        cast(coalesce(order_summary.net_revenue, 0) as decimal(18, 2))
            as net_revenue,
        app_activity.signed_up_at,
        app_activity.first_login_at,
        app_activity.last_login_at,
        coalesce(ticket_summary.ticket_count, 0) as ticket_count,
        coalesce(ticket_summary.open_ticket_count, 0) as open_ticket_count,
        cast(ticket_summary.avg_csat as decimal(4, 2)) as avg_csat,
        case
            when order_summary.first_order_at is null
                then app_activity.first_app_activity_date
            when app_activity.first_app_activity_date is null
                then cast(order_summary.first_order_at as date)
            when cast(order_summary.first_order_at as date)
                < app_activity.first_app_activity_date
                then cast(order_summary.first_order_at as date)
            else app_activity.first_app_activity_date
        end as first_activity_date,
        case
            when order_summary.last_order_at is null
                then app_activity.last_app_activity_date
            when app_activity.last_app_activity_date is null
                then cast(order_summary.last_order_at as date)
            when cast(order_summary.last_order_at as date)
                > app_activity.last_app_activity_date
                then cast(order_summary.last_order_at as date)
            else app_activity.last_app_activity_date
        end as last_activity_date
    from identity
    left join contacts
        on identity.contact_id = contacts.contact_id
    left join order_summary
        on identity.customer_id = order_summary.customer_id
    left join app_activity
        on identity.customer_id = app_activity.customer_id
    left join ticket_summary
        on identity.customer_id = ticket_summary.customer_id
),

staged as (
    select
        *,
        {{ dbt.datediff('last_activity_date', lifecycle.as_of_date(), 'day') }}
            as days_since_last_activity,
        {{ dbt.datediff('first_activity_date', lifecycle.as_of_date(), 'day') }}
            as days_since_first_activity
    from combined
),

final as (
    select
        *,
        case
            when last_activity_date is null then 'prospect'
            when days_since_last_activity
                >= {{ var('lifecycle__churned_after_days') }} then 'churned'
            when days_since_last_activity
                >= {{ var('lifecycle__at_risk_after_days') }} then 'at_risk'
            when days_since_first_activity
                < {{ var('lifecycle__new_window_days') }} then 'new'
            else 'active'
        end as lifecycle_stage
    from staged
)

select * from final
