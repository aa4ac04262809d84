{#- One row per customer per day with activity, up to the as-of date, kept incrementally;
    int_customer_activity_days shows its active rows. What counts as activity, how late
    an app event may arrive and whether activity is shared within a CRM account are the
    rules in config/lifecycle.yml (`lifecycle.activity`, `late_data_lookback_days`,
    `stage_unit`); this model is their one home, except the late-data predicate, which
    lives in macros/late_data.sql so fct_late_app_events counts what it leaves out by the
    same rule.

    An incremental run rewrites only what can have changed since the kept rows were
    computed, and ends where a full refresh would:
    - every customer's days from the window start on: the re-read deliveries
      (lifecycle.reprocess_from_text()) less the late-data look-back, the earliest day an
      app event of those deliveries can be applied to. App activity before it cannot
      change, so the event days are read only from there;
    - every day of a customer whose records are not the ones their kept days were
      computed from (a merge, a split, a record joining or leaving, a new or a retired
      key), told by identity_fingerprint;
    - any day whose order or ticket count differs from the kept one (orders and tickets
      are read whole: an order can arrive late or be cancelled long after it was placed);
    - everything, when the activity rules differ from the kept rows' activity_rules.
    A day that loses its activity is kept as a row of zeros (delete+insert has no other
    way to remove a row on every engine), which int_customer_activity_days leaves out.
    With `stage_unit: account` a customer's days also depend on their account's other
    customers, so the model is rebuilt whole every night. -#}
{%- set app_events = var('lifecycle__activity_app_events') -%}
{%- set stage_unit = var('lifecycle__stage_unit') -%}
{%- if stage_unit not in ['customer', 'account'] -%}
    {{ exceptions.raise_compiler_error(
        "var lifecycle__stage_unit must be customer or account, got '" ~ stage_unit ~ "'") }}
{%- endif -%}
{%- set lookback = lifecycle.late_data_lookback_days() | int -%}
{%- set rules = 'app_events=' ~ (app_events | join(','))
    ~ ';orders=' ~ var('lifecycle__activity_orders')
    ~ ';support_tickets=' ~ var('lifecycle__activity_support_tickets')
    ~ ';late_data_lookback_days=' ~ lookback
    ~ ';stage_unit=' ~ stage_unit -%}
{%- set window_start = (
    modules.datetime.datetime.strptime(lifecycle.reprocess_from_text(), '%Y-%m-%d')
    - modules.datetime.timedelta(days=lookback)
).strftime('%Y-%m-%d') -%}
{{ config(
    materialized=('incremental' if stage_unit == 'customer' else 'table'),
    incremental_strategy='delete+insert',
    unique_key=['customer_id', 'activity_date'],
    on_schema_change='fail',
) }}
-- depends_on: {{ ref('stg_crm__contacts') }} (read only with stage_unit account)
with

identities as (
    select * from {{ ref('int_customers_matched') }}
),

memberships as (
    select
        customer_id,
        {{ lifecycle.set_fingerprint('record_key') }} as identity_fingerprint
    from identities
    group by customer_id
),

{% if is_incremental() %}
kept as (
    select * from {{ this }}
    where {{ lifecycle.has_activity() }}
),

rules_changed as (
    select coalesce(max(case when activity_rules <> '{{ rules }}' then 1 else 0 end), 0)
        as changed
    from {{ this }}
),

kept_memberships as (
    select distinct
        customer_id,
        identity_fingerprint
    from kept
),

{# A customer on one side only: new, retired, or with other records than before. #}
changed_customers as (
    select distinct
        coalesce(memberships.customer_id, kept_memberships.customer_id) as customer_id
    from memberships
    full outer join kept_memberships
        on memberships.customer_id = kept_memberships.customer_id
        and memberships.identity_fingerprint = kept_memberships.identity_fingerprint
    where memberships.customer_id is null
        or kept_memberships.customer_id is null
),

changed_app_users as (
    select distinct identities.record_id as app_user_id
    from identities
    inner join changed_customers
        on identities.customer_id = changed_customers.customer_id
    where identities.source_system = 'app'
),
{% endif %}

{# Each kind of activity as (system, record, day, kind). A kind switched off in the
   configuration contributes no rows. #}
record_days as (
    select
        'app' as source_system,
        events.app_user_id as record_id,
        events.event_date as activity_date,
        'app' as activity_kind,
        sum(events.event_count) as activity_count
    from {{ ref('int_app_user_event_days') }} as events
    {% if is_incremental() -%}
    cross join rules_changed as rules
    left join changed_app_users as changed
        on events.app_user_id = changed.app_user_id
    {%- endif %}
    where {{ lifecycle.app_event_is_applied('events.event_date', 'events.delivery_date') }}
        and events.event_name <> 'sign_up'
        and events.event_name in (
            {%- for name in app_events %}'{{ name }}'{{ ", " if not loop.last }}{% endfor -%}
            {{- "''" if not app_events -}}
        )
        {% if is_incremental() -%}
        and (
            events.event_date >= cast('{{ window_start }}' as date)
            or changed.app_user_id is not null
            or rules.changed = 1
        )
        {%- endif %}
    group by events.app_user_id, events.event_date

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

{# With is_incremental(), app events only for the days and customers being rewritten. #}
computed as (
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
),

{% if is_incremental() %}
order_ticket_changes as (
    select
        coalesce(computed.customer_id, kept.customer_id) as customer_id,
        coalesce(computed.activity_date, kept.activity_date) as activity_date
    from (
        select * from computed where orders > 0 or support_tickets > 0
    ) as computed
    full outer join (
        select * from kept where orders > 0 or support_tickets > 0
    ) as kept
        on computed.customer_id = kept.customer_id
        and computed.activity_date = kept.activity_date
    where computed.customer_id is null
        or kept.customer_id is null
        or computed.orders <> kept.orders
        or computed.support_tickets <> kept.support_tickets
),

{#- The days written: (customer, day, whether it is rewritten whole, app activity
    included, or only its order and ticket counts). -#}
{%- set whole -%}
    (
        days.activity_date >= cast('{{ window_start }}' as date)
        or changed.customer_id is not null
        or rules.changed = 1
    )
{%- endset -%}
{%- set whole_joins -%}
    cross join rules_changed as rules
    left join changed_customers as changed
        on days.customer_id = changed.customer_id
{%- endset %}
rewritten as (
    select days.customer_id, days.activity_date, 1 as is_whole
    from computed as days
    {{ whole_joins }}
    where {{ whole }}
    union
    select days.customer_id, days.activity_date, 1 as is_whole
    from kept as days
    {{ whole_joins }}
    where {{ whole }}
    union
    select
        days.customer_id,
        days.activity_date,
        case when {{ whole }} then 1 else 0 end as is_whole
    from order_ticket_changes as days
    {{ whole_joins }}
),

final as (
    select
        rewritten.customer_id,
        rewritten.activity_date,
        coalesce(computed.orders, 0) as orders,
        case
            when rewritten.is_whole = 1 then coalesce(computed.app_events, 0)
            else coalesce(kept.app_events, 0)
        end as app_events,
        coalesce(computed.support_tickets, 0) as support_tickets,
        coalesce(computed.active_account_peers, 0) as active_account_peers,
        memberships.identity_fingerprint,
        cast('{{ rules }}' as {{ dbt.type_string() }}) as activity_rules
    from rewritten
    left join computed
        on rewritten.customer_id = computed.customer_id
        and rewritten.activity_date = computed.activity_date
    left join kept
        on rewritten.customer_id = kept.customer_id
        and rewritten.activity_date = kept.activity_date
    left join memberships
        on rewritten.customer_id = memberships.customer_id
)
{% else %}
final as (
    select
        computed.*,
        memberships.identity_fingerprint,
        cast('{{ rules }}' as {{ dbt.type_string() }}) as activity_rules
    from computed
    inner join memberships
        on computed.customer_id = memberships.customer_id
)
{% endif %}

select * from final
