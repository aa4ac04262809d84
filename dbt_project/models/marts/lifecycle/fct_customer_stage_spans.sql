{#- One row per customer per stretch of days in one lifecycle stage (valid_from inclusive,
    valid_to exclusive), from the day the customer was first seen to the as-of date.
    The rule lives here, once; see the lifecycle_stage doc. -#}
{%- set new_window = lifecycle.lifecycle_days('new_window_days') -%}
{%- set reactivated_window = lifecycle.lifecycle_days('reactivated_window_days') -%}
{%- set at_risk_after = lifecycle.lifecycle_days('at_risk_after_days') -%}
{%- set churned_after = lifecycle.lifecycle_days('churned_after_days') -%}
with

activity_days as (
    select
        customer_id,
        activity_date
    from {{ ref('int_customer_activity_days') }}
),

identities as (
    select * from {{ ref('int_customers_matched') }}
),

first_seen as (
    select
        identities.customer_id,
        least(
            min(cast(identities.first_seen_at as date)),
            coalesce(min(activity_days.activity_date), {{ lifecycle.as_of_date() }})
        ) as first_seen_date
    from identities
    left join activity_days
        on identities.customer_id = activity_days.customer_id
    group by identities.customer_id
),

{# Each activity day opens a segment that lasts until the next activity day. #}
segments as (
    select
        customer_id,
        activity_date as segment_start,
        coalesce(
            lead(activity_date) over (
                partition by customer_id order by activity_date
            ),
            {{ dbt.dateadd('day', 1, lifecycle.as_of_date()) }}
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
        and {{ column }} < segment_end
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
        first_seen.customer_id,
        first_seen.first_seen_date as piece_start,
        'prospect' as stage
    from first_seen
    left join (
        select customer_id, min(activity_date) as first_activity_date
        from activity_days
        group by customer_id
    ) as firsts
        on first_seen.customer_id = firsts.customer_id
    where firsts.first_activity_date is null
        or first_seen.first_seen_date < firsts.first_activity_date
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

final as (
    select
        customer_id,
        stage,
        valid_from,
        coalesce(
            lead(valid_from) over (partition by customer_id order by valid_from),
            {{ dbt.dateadd('day', 1, lifecycle.as_of_date()) }}
        ) as valid_to,
        lead(valid_from) over (
            partition by customer_id order by valid_from
        ) is null as is_current
    from spans
)

select
    customer_id,
    stage,
    cast(valid_from as date) as valid_from,
    cast(valid_to as date) as valid_to,
    is_current
from final
