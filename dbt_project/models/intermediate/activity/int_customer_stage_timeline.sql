{#- One row per stretch of days in one lifecycle stage that each customer's activity
    implies, from the day first seen on, without an as-of cap: the last stretch has no
    end (valid_to null), and stretches the as-of date has not reached yet are there too
    (at risk and churned follow from the last activity). The stage rule lives here, once
    (see the lifecycle_stage doc); fct_customer_stage_spans and fct_stage_transitions bound
    it by the as-of date (macros/stage_timeline.sql, stage_timeline_as_of).

    So a customer's timeline changes only when what it is computed from changes: the day
    first seen, the set of activity days, the rules (stage_timeline_inputs, kept on each
    row). An incremental run deletes the timelines whose inputs changed, and those of
    retired customers, then computes every customer the table does not hold: the
    customers active in the new day, not all of them, while a full refresh gives the same
    table. Spark's Parquet tables have no DELETE: there it is a table, rebuilt whole. -#}
{%- set new_window = lifecycle.lifecycle_days('new_window_days') -%}
{%- set reactivated_window = lifecycle.lifecycle_days('reactivated_window_days') -%}
{%- set at_risk_after = lifecycle.lifecycle_days('at_risk_after_days') -%}
{%- set churned_after = lifecycle.lifecycle_days('churned_after_days') -%}
{{ config(
    materialized=lifecycle.latest_version_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ lifecycle.delete_changed_stage_timelines() }}",
) }}
with

inputs as (
    {{ lifecycle.stage_timeline_inputs() }}
),

{#- The customers computed: every one on a full build; else those the table does not
    hold (the pre-hook deleted the changed ones). #}
customers as (
    select * from inputs
    {% if is_incremental() -%}
    where not exists (
        select 1 from {{ this }} as kept
        where kept.customer_id = inputs.customer_id
    )
    {%- endif %}
),

activity_days as (
    select
        days.customer_id,
        days.activity_date,
        days.orders,
        days.app_events,
        days.support_tickets,
        days.active_account_peers
    from {{ ref('int_customer_activity_days') }} as days
    inner join customers
        on days.customer_id = customers.customer_id
),

{# Each activity day opens a segment that lasts until the next activity day (the last
   one has no end). #}
segments as (
    select
        customer_id,
        activity_date as segment_start,
        lead(activity_date) over (
            partition by customer_id order by activity_date
        ) as segment_end,
        min(activity_date) over (partition by customer_id) as first_activity_date,
        lag(activity_date) over (
            partition by customer_id order by activity_date
        ) as previous_activity_date
    from activity_days
),

{# A return after at least one churned day starts a reactivation (churned begins
   churned_after days after the last activity, so a return on that very day is not one). #}
returns_marked as (
    select
        *,
        case
            when previous_activity_date is not null
                and {{ dbt.datediff('previous_activity_date', 'segment_start', 'day') }}
                > {{ churned_after }}
                then segment_start
        end as return_date
    from segments
),

with_reactivation as (
    select
        *,
        max(return_date) over (
            partition by customer_id
            order by segment_start
            rows between unbounded preceding and current row
        ) as reactivated_on
    from returns_marked
),

{# The days inside a segment where the stage can change. An activity day changes it
   only when it is the first, a return, or ends a lapse long enough to have reached
   at-risk: after a shorter gap the day before was already in the stage this day is in
   (new, reactivated or active, whose windows end at breakpoints of their own). Leaving
   out the other activity days gives the same spans from far fewer pieces (at 100,000
   people over two years, 134 k of 2.7 M activity days open one). #}
thresholds as (
    select
        *,
        {{ dbt.dateadd('day', new_window, 'first_activity_date') }} as new_ends,
        {{ dbt.dateadd('day', reactivated_window, 'reactivated_on') }}
            as reactivated_ends,
        {{ dbt.dateadd('day', at_risk_after, 'segment_start') }} as at_risk_starts,
        {{ dbt.dateadd('day', churned_after, 'segment_start') }} as churned_starts,
        previous_activity_date is null
            or return_date is not null
            or {{ dbt.datediff('previous_activity_date', 'segment_start', 'day') }}
            > {{ at_risk_after }} as can_change_stage
    from with_reactivation
),

breakpoints as (
    {% for column in ['segment_start', 'new_ends', 'reactivated_ends',
                      'at_risk_starts', 'churned_starts'] %}
    select
        customer_id,
        cast({{ column }} as date) as piece_start,
        segment_end,
        new_ends,
        reactivated_on,
        reactivated_ends,
        at_risk_starts,
        churned_starts
    from thresholds
    where {{ column }} is not null
        and {{ column }} >= segment_start
        and (segment_end is null or {{ column }} < segment_end)
        {%- if column == 'segment_start' %}
        and can_change_stage
        {%- endif %}
    {{ "union" if not loop.last }}
    {% endfor %}
),

pieces as (
    select
        customer_id,
        piece_start,
        case
            when piece_start >= churned_starts then 'churned'
            when piece_start >= at_risk_starts then 'at_risk'
            when piece_start < new_ends then 'new'
            when reactivated_on is not null and piece_start < reactivated_ends
                then 'reactivated'
            else 'active'
        end as stage
    from breakpoints
),

prospect_pieces as (
    select
        customer_id,
        first_seen_date as piece_start,
        'prospect' as stage
    from customers
    where first_activity_date is null
        or first_seen_date < first_activity_date
),

all_pieces as (
    select customer_id, piece_start, stage from pieces
    union all
    select customer_id, piece_start, stage from prospect_pieces
),

{# Merge consecutive pieces of the same stage (gaps and islands). #}
stage_changes as (
    select
        *,
        case
            when stage = lag(stage) over (
                partition by customer_id order by piece_start
            ) then 0
            else 1
        end as is_change
    from all_pieces
),

islands as (
    select
        *,
        sum(is_change) over (
            partition by customer_id
            order by piece_start
            rows between unbounded preceding and current row
        ) as island
    from stage_changes
),

spans as (
    select
        customer_id,
        stage,
        min(piece_start) as valid_from
    from islands
    group by customer_id, stage, island
),

{#- The trigger of each change: first seen; activity that day (an order, app use, a
    support ticket, or with stage_unit account another customer of the account, in that
    order when several); inactivity; or the new/reactivated window ending. #}
final as (
    select
        spans.customer_id,
        spans.stage,
        cast(spans.valid_from as date) as valid_from,
        cast(
            lead(spans.valid_from) over (
                partition by spans.customer_id order by spans.valid_from
            ) as date
        ) as valid_to,
        lag(spans.stage) over (
            partition by spans.customer_id order by spans.valid_from
        ) as from_stage,
        activity_days.orders,
        activity_days.app_events,
        activity_days.support_tickets,
        activity_days.active_account_peers
    from spans
    left join activity_days
        on spans.customer_id = activity_days.customer_id
        and spans.valid_from = activity_days.activity_date
)

select
    final.customer_id,
    final.stage,
    final.valid_from,
    final.valid_to,
    final.from_stage,
    case
        when final.from_stage is null then 'first_seen'
        when final.orders > 0 then 'order'
        when final.app_events > 0 then 'app_activity'
        when final.support_tickets > 0 then 'support_ticket'
        when final.active_account_peers > 0 then 'account_activity'
        when final.stage in ('at_risk', 'churned') then 'inactivity'
        else 'window_ended'
    end as trigger,
    customers.first_seen_date,
    customers.activity_day_count,
    customers.activity_fingerprint,
    cast('{{ lifecycle.stage_rules() }}' as {{ dbt.type_string() }}) as stage_rules
from final
inner join customers
    on final.customer_id = customers.customer_id
