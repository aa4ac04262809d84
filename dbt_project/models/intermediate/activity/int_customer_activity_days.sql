{#- One row per customer per day with activity, up to the as-of date: the history the
    lifecycle stages are computed from. What counts as activity, how late an app event
    may arrive and whether activity is shared within a CRM account are the rules in
    config/lifecycle.yml (`lifecycle.activity`, `late_data_lookback_days`,
    `stage_unit`); this model is their one home, except the late-data predicate,
    which lives in macros/late_data.sql so fct_late_app_events counts what it
    leaves out by the same rule. -#}
{%- set app_events = var('lifecycle__activity_app_events') -%}
{%- set stage_unit = var('lifecycle__stage_unit') -%}
{%- if stage_unit not in ['customer', 'account'] -%}
    {{ exceptions.raise_compiler_error(
        "var lifecycle__stage_unit must be customer or account, got '" ~ stage_unit ~ "'") }}
{%- endif %}
-- depends_on: {{ ref('stg_crm__contacts') }} (read only with stage_unit account)
with

identities as (
    select * from {{ ref('int_customers_matched') }}
),

{# Each kind of activity as (system, record, day, kind). A kind switched off in the
   configuration contributes no rows. #}
record_days as (
    select
        'app' as source_system,
        app_user_id as record_id,
        event_date as activity_date,
        'app' as activity_kind,
        sum(event_count) as activity_count
    from {{ ref('int_app_event_days') }}
    where {{ lifecycle.app_event_is_applied('event_date', 'delivery_date') }}
        and event_name in (
            {%- for name in app_events %}'{{ name }}'{{ ", " if not loop.last }}{% endfor -%}
            {{- "''" if not app_events -}}
        )
    group by app_user_id, event_date

    union all

    select
        'orders' as source_system,
        shop_customer_id as record_id,
        placed_date as activity_date,
        'order' as activity_kind,
        count(*) as activity_count
    from {{ ref('stg_orders__orders') }}
    where status <> 'cancelled'
        and placed_date <= {{ lifecycle.as_of_date() }}
        and {{ 'true' if var('lifecycle__activity_orders') else 'false' }}
    group by shop_customer_id, placed_date

    union all

    select
        'support' as source_system,
        ticket_id as record_id,
        cast(created_at as date) as activity_date,
        'support_ticket' as activity_kind,
        count(*) as activity_count
    from {{ ref('stg_support__tickets') }}
    where cast(created_at as date) <= {{ lifecycle.as_of_date() }}
        and {{ 'true' if var('lifecycle__activity_support_tickets') else 'false' }}
    group by ticket_id, cast(created_at as date)
),

own_days as (
    select
        identities.customer_id,
        record_days.activity_date,
        record_days.activity_kind,
        record_days.activity_count
    from record_days
    inner join identities
        on record_days.source_system = identities.source_system
        and record_days.record_id = identities.record_id
),

{% if stage_unit == 'account' %}
{# B2B: a customer whose CRM contact belongs to an account is active on every day any
   customer of that account is. #}
customer_accounts as (
    select distinct
        identities.customer_id,
        contacts.account_id
    from identities
    inner join {{ ref('stg_crm__contacts') }} as contacts
        on identities.source_system = 'crm'
        and identities.record_id = contacts.contact_id
    where contacts.account_id is not null
),

shared_days as (
    select
        peers.customer_id,
        own_days.activity_date,
        'account' as activity_kind,
        count(distinct own_days.customer_id) as activity_count
    from own_days
    inner join customer_accounts as members
        on own_days.customer_id = members.customer_id
    inner join customer_accounts as peers
        on members.account_id = peers.account_id
        and members.customer_id <> peers.customer_id
    group by peers.customer_id, own_days.activity_date
),
{% endif %}

all_days as (
    select * from own_days
    {% if stage_unit == 'account' %}
    union all
    select * from shared_days
    {% endif %}
),

final as (
    select
        customer_id,
        activity_date,
        cast(sum(case when activity_kind = 'order' then activity_count else 0 end)
            as integer) as orders,
        cast(sum(case when activity_kind = 'app' then activity_count else 0 end)
            as integer) as app_events,
        cast(sum(case when activity_kind = 'support_ticket' then activity_count else 0 end)
            as integer) as support_tickets,
        cast(sum(case when activity_kind = 'account' then activity_count else 0 end)
            as integer) as active_account_peers
    from all_days
    group by customer_id, activity_date
)

select * from final
