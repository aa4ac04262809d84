{#- One row per customer: who they are, what they bought, how they use the app
    and support, and their lifecycle stage on the as-of date (from the stage
    spans, where the rule lives; doc lifecycle_stage). -#}
with

matched as (
    select * from {{ ref('int_customers_matched') }}
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where customer_id is not null
        and placed_date <= {{ lifecycle.as_of_date() }}
),

{#- The app's events per user, name and day (int_app_user_event_days), delivered and
    happened by the as-of date. #}
events as (
    select * from {{ ref('int_app_user_event_days') }}
    where delivery_date <= {{ lifecycle.as_of_date() }}
        and event_date <= {{ lifecycle.as_of_date() }}
),

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

ratings as (
    select * from {{ ref('stg_support__satisfaction_ratings') }}
),

activities as (
    select * from {{ ref('int_customer_activity_days') }}
),

identity as (
    select
        customer_id,
        min(email) as email,
        min(phone) as phone,
        min(country_code) as country_code,
        min(first_seen_at) as first_seen_at,
        count(distinct source_system) as source_system_count
    from matched
    group by customer_id
),

{#- A customer may match several CRM contacts: the latest updated wins. #}
crm_contacts_ranked as (
    select
        matched.customer_id,
        contacts.contact_id,
        contacts.account_id,
        contacts.owner_id,
        contacts.first_name,
        contacts.last_name,
        contacts.lead_source,
        row_number() over (
            partition by matched.customer_id
            order by contacts.updated_at desc, contacts.contact_id
        ) as contact_rank
    from matched
    inner join contacts
        on matched.record_id = contacts.contact_id
        and matched.source_system = 'crm'
),

crm_contact as (
    select * from crm_contacts_ranked
    where contact_rank = 1
),

{#- Consent is the customer's, not one record's: any CRM contact that opted out counts. #}
email_consent as (
    select
        matched.customer_id,
        max(case when contacts.has_opted_out_of_email then 1 else 0 end) = 0
            as has_email_consent
    from matched
    inner join contacts
        on matched.record_id = contacts.contact_id
        and matched.source_system = 'crm'
    group by matched.customer_id
),

orders_ranked as (
    select
        customer_id,
        channel,
        row_number() over (
            partition by customer_id
            order by placed_at, order_id
        ) as order_rank
    from orders
    where status <> 'cancelled'
),

order_summary as (
    select
        customer_id,
        sum(case when status <> 'cancelled' then 1 else 0 end) as order_count,
        min(case when status <> 'cancelled' then placed_at end)
            as first_order_at,
        max(case when status <> 'cancelled' then placed_at end)
            as last_order_at,
        sum(case when is_revenue then total_amount_usd else 0 end)
            as gross_revenue_usd,
        sum(case when is_revenue then refunded_usd else 0 end) as refunds_usd,
        sum(net_usd) as net_revenue_usd
    from orders
    group by customer_id
),

app_summary as (
    select
        matched.customer_id,
        min(case when events.event_name = 'sign_up' then events.first_occurred_at end)
            as signed_up_at,
        min(case when events.event_name = 'login' then events.first_occurred_at end)
            as first_login_at,
        max(case when events.event_name = 'login' then events.last_occurred_at end)
            as last_login_at,
        max(events.signup_channel) as signup_channel
    from events
    inner join matched
        on events.app_user_id = matched.record_id
        and matched.source_system = 'app'
    group by matched.customer_id
),

ticket_ratings as (
    select
        ticket_id,
        avg(score) as avg_score
    from ratings
    group by ticket_id
),

ticket_summary as (
    select
        matched.customer_id,
        count(*) as ticket_count,
        sum(case when tickets.is_open then 1 else 0 end) as open_ticket_count,
        avg(ticket_ratings.avg_score) as avg_csat
    from tickets
    inner join matched
        on tickets.ticket_id = matched.record_id
        and matched.source_system = 'support'
    left join ticket_ratings
        on tickets.ticket_id = ticket_ratings.ticket_id
    group by matched.customer_id
),

activity_summary as (
    select
        customer_id,
        min(activity_date) as first_activity_date,
        max(activity_date) as last_activity_date
    from activities
    group by customer_id
),

joined as (
    select
        identity.customer_id,
        identity.email,
        identity.phone,
        identity.country_code,
        identity.source_system_count,
        crm_contact.contact_id,
        crm_contact.account_id,
        crm_contact.owner_id,
        crm_contact.first_name,
        crm_contact.last_name,
        coalesce(email_consent.has_email_consent, false) as has_email_consent,
        coalesce(
            crm_contact.lead_source,
            app_summary.signup_channel,
            first_order.channel
        ) as acquisition_channel,
        identity.first_seen_at,
        order_summary.first_order_at,
        order_summary.last_order_at,
        coalesce(order_summary.order_count, 0) as order_count,
        coalesce(order_summary.gross_revenue_usd, 0) as gross_revenue_usd,
        coalesce(order_summary.refunds_usd, 0) as refunds_usd,
        coalesce(order_summary.net_revenue_usd, 0) as net_revenue_usd,
        app_summary.signed_up_at,
        app_summary.first_login_at,
        app_summary.last_login_at,
        coalesce(ticket_summary.ticket_count, 0) as ticket_count,
        coalesce(ticket_summary.open_ticket_count, 0) as open_ticket_count,
        ticket_summary.avg_csat,
        activity_summary.first_activity_date,
        activity_summary.last_activity_date
    from identity
    left join crm_contact
        on identity.customer_id = crm_contact.customer_id
    left join email_consent
        on identity.customer_id = email_consent.customer_id
    left join orders_ranked as first_order
        on identity.customer_id = first_order.customer_id
        and first_order.order_rank = 1
    left join order_summary
        on identity.customer_id = order_summary.customer_id
    left join app_summary
        on identity.customer_id = app_summary.customer_id
    left join ticket_summary
        on identity.customer_id = ticket_summary.customer_id
    left join activity_summary
        on identity.customer_id = activity_summary.customer_id
),

aged as (
    select
        *,
        {{ dbt.datediff('first_activity_date', lifecycle.as_of_date(), 'day') }}
            as days_since_first_activity,
        {{ dbt.datediff('last_activity_date', lifecycle.as_of_date(), 'day') }}
            as days_since_last_activity
    from joined
),

current_stages as (
    select
        customer_id,
        stage,
        valid_from
    from {{ ref('fct_customer_stage_spans') }}
    where is_current
),

staged as (
    select
        aged.*,
        current_stages.stage as lifecycle_stage,
        current_stages.valid_from as stage_since
    from aged
    left join current_stages
        on aged.customer_id = current_stages.customer_id
),

final as (
    select
        customer_id,
        email,
        phone,
        country_code,
        source_system_count,
        contact_id,
        account_id,
        owner_id,
        first_name,
        last_name,
        has_email_consent,
        acquisition_channel,
        first_seen_at,
        first_order_at,
        last_order_at,
        cast(order_count as integer) as order_count,
        cast(gross_revenue_usd as decimal(18, 2)) as gross_revenue_usd,
        cast(refunds_usd as decimal(18, 2)) as refunds_usd,
        cast(net_revenue_usd as decimal(18, 2)) as net_revenue_usd,
        signed_up_at,
        first_login_at,
        last_login_at,
        cast(ticket_count as integer) as ticket_count,
        cast(open_ticket_count as integer) as open_ticket_count,
        {{ lifecycle.to_decimal('avg_csat', 4, 2) }} as avg_csat,
        first_activity_date,
        last_activity_date,
        cast(days_since_first_activity as integer)
            as days_since_first_activity,
        cast(days_since_last_activity as integer) as days_since_last_activity,
        lifecycle_stage,
        stage_since
    from staged
)

select * from final
