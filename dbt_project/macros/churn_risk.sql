{#- Churn early warning: points-based scoring with reason codes, evaluated on
    any scoring date (the as-of date for the live scores, an earlier cutoff for
    the backtest). Weights and thresholds: var lifecycle__churn_risk, the
    churn_risk section of config/lifecycle.yml (checked by
    lifecycle.analytics_config). -#}

{#- The churn_risk settings; fails the compile when the var is missing or lacks
    a key. Parsing (no vars) gets an inert placeholder. -#}
{% macro churn_risk_settings() -%}
    {%- set keys = [
        'max_score', 'high_from', 'medium_from', 'max_reasons',
        'backtest_horizon_days', 'inactivity', 'activity_drop', 'spend_drop',
        'open_tickets', 'low_csat'] -%}
    {%- set cfg = var('lifecycle__churn_risk', none) -%}
    {%- if cfg is none -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error(
                "var lifecycle__churn_risk is required (the churn_risk section"
                ~ " of config/lifecycle.yml; lifecycle.dbt_runner passes it)") }}
        {%- endif -%}
        {{ return({
            'max_score': 0, 'high_from': 0, 'medium_from': 0, 'max_reasons': 1,
            'backtest_horizon_days': 0, 'inactivity': [],
            'activity_drop': {'window_days': 1, 'min_drop_share': 1,
                              'min_previous_active_days': 1, 'points': 0},
            'spend_drop': {'window_days': 1, 'min_drop_share': 1,
                           'min_previous_spend_usd': 1, 'points': 0},
            'open_tickets': {'points_per_ticket': 0, 'max_points': 0},
            'low_csat': {'at_most': 1, 'window_days': 1, 'points': 0}}) }}
    {%- endif -%}
    {%- for key in keys if key not in cfg -%}
        {{ exceptions.raise_compiler_error(
            "var lifecycle__churn_risk has no key '" ~ key
            ~ "' (config/lifecycle.yml churn_risk)") }}
    {%- endfor -%}
    {{ return(cfg) }}
{%- endmacro %}

{#- A date `days` days before the SQL date expression `day`, as a date. -#}
{% macro churn_risk_days_before(day, days) -%}
    cast({{ dbt.dateadd('day', -1 * (days | int), day) }} as date)
{%- endmacro %}

{#- One row per customer who is current (stage not prospect or churned) on the
    scoring date, scored from what happened on or before that date only:
    activity, orders, tickets and ratings after it are filtered out, a ticket
    counts as open if it was created by then and not yet solved or closed, and
    the stage is the span holding the scoring date. `scoring_date` is a SQL date
    expression. Renders a complete query (with ... select * from final). -#}
{% macro churn_risk_scores(scoring_date) -%}
{%- set cfg = lifecycle.churn_risk_settings() -%}
{%- set activity_drop = cfg['activity_drop'] -%}
{%- set spend_drop = cfg['spend_drop'] -%}
{%- set tickets_rule = cfg['open_tickets'] -%}
{%- set csat_rule = cfg['low_csat'] -%}
{%- set activity_window = activity_drop['window_days'] | int -%}
{%- set spend_window = spend_drop['window_days'] | int -%}
{%- set tiers = cfg['inactivity'] | sort(attribute='days', reverse=true) -%}
{%- set per_ticket = tickets_rule['points_per_ticket'] | int -%}
{%- set max_ticket_points = tickets_rule['max_points'] | int -%}
{%- set text = dbt.type_string() -%}
with

activity_days as (
    select * from {{ ref('int_customer_activity_days') }}
    where activity_date <= {{ scoring_date }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where customer_id is not null
        and status <> 'cancelled'
        and placed_date <= {{ scoring_date }}
),

stage_spans as (
    select * from {{ ref('fct_customer_stage_spans') }}
    where valid_from <= {{ scoring_date }}
        and valid_to > {{ scoring_date }}
),

tickets as (
    select * from {{ ref('stg_support__tickets') }}
    where cast(created_at as date) <= {{ scoring_date }}
),

ratings as (
    select * from {{ ref('stg_support__satisfaction_ratings') }}
    where cast(rated_at as date) <= {{ scoring_date }}
        and cast(rated_at as date)
        > {{ lifecycle.churn_risk_days_before(scoring_date,
                                              csat_rule['window_days']) }}
),

support_records as (
    select * from {{ ref('int_customers_matched') }}
    where source_system = 'support'
),

current_customers as (
    select
        customer_id,
        stage as lifecycle_stage
    from stage_spans
    where stage not in ('prospect', 'churned')
),

activity_summary as (
    select
        customer_id,
        max(activity_date) as last_activity_date,
        count(distinct case
            when activity_date > {{ lifecycle.churn_risk_days_before(
                scoring_date, activity_window) }}
                then activity_date
        end) as recent_active_days,
        count(distinct case
            when activity_date > {{ lifecycle.churn_risk_days_before(
                scoring_date, 2 * activity_window) }}
                and activity_date <= {{ lifecycle.churn_risk_days_before(
                    scoring_date, activity_window) }}
                then activity_date
        end) as previous_active_days
    from activity_days
    group by customer_id
),

order_summary as (
    select
        customer_id,
        sum(case
            when placed_date > {{ lifecycle.churn_risk_days_before(
                scoring_date, spend_window) }}
                then coalesce(total_amount_usd, 0)
            else 0
        end) as recent_spend_usd,
        sum(case
            when placed_date > {{ lifecycle.churn_risk_days_before(
                scoring_date, 2 * spend_window) }}
                and placed_date <= {{ lifecycle.churn_risk_days_before(
                    scoring_date, spend_window) }}
                then coalesce(total_amount_usd, 0)
            else 0
        end) as previous_spend_usd
    from orders
    group by customer_id
),

{#- Open at the end of the scoring date: not solved by then, and not in a
    closed state already known by then (the latest version, if it is not open
    and was written on or before the scoring date). #}
open_tickets as (
    select
        support_records.customer_id,
        count(*) as open_ticket_count
    from tickets
    inner join support_records
        on tickets.ticket_id = support_records.record_id
    where (
        tickets.solved_at is null
        or cast(tickets.solved_at as date) > {{ scoring_date }}
    )
    and (
        tickets.is_open
        or cast(tickets.updated_at as date) > {{ scoring_date }}
    )
    group by support_records.customer_id
),

{#- The lowest score in the window; of equal ones, the latest. #}
ranked_ratings as (
    select
        support_records.customer_id,
        ratings.score,
        cast(ratings.rated_at as date) as rated_date,
        row_number() over (
            partition by support_records.customer_id
            order by ratings.score, ratings.rated_at desc, ratings.rating_id
        ) as rating_rank
    from ratings
    inner join support_records
        on ratings.ticket_id = support_records.record_id
),

metrics as (
    select
        current_customers.customer_id,
        current_customers.lifecycle_stage,
        activity_summary.last_activity_date,
        {{ dbt.datediff('activity_summary.last_activity_date', scoring_date,
                        'day') }} as days_since_last_activity,
        coalesce(activity_summary.recent_active_days, 0) as recent_active_days,
        coalesce(activity_summary.previous_active_days, 0)
            as previous_active_days,
        coalesce(order_summary.recent_spend_usd, 0) as recent_spend_usd,
        coalesce(order_summary.previous_spend_usd, 0) as previous_spend_usd,
        coalesce(open_tickets.open_ticket_count, 0) as open_ticket_count,
        ranked_ratings.score as lowest_recent_csat,
        {{ dbt.datediff('ranked_ratings.rated_date', scoring_date, 'day') }}
            as days_since_lowest_csat
    from current_customers
    left join activity_summary
        on current_customers.customer_id = activity_summary.customer_id
    left join order_summary
        on current_customers.customer_id = order_summary.customer_id
    left join open_tickets
        on current_customers.customer_id = open_tickets.customer_id
    left join ranked_ratings
        on current_customers.customer_id = ranked_ratings.customer_id
        and ranked_ratings.rating_rank = 1
),

{#- Drops compare in exact decimals: (previous - recent) >= share x previous.
    The activity drop is a slow-down of a customer still active in the recent
    window; one who stopped altogether is the inactivity rule's case. #}
points as (
    select
        *,
        case
            {%- for tier in tiers %}
            when days_since_last_activity >= {{ tier['days'] | int }}
                then {{ tier['points'] | int }}
            {%- endfor %}
            else 0
        end as inactivity_points,
        case
            when recent_active_days > 0
                and previous_active_days
                >= {{ activity_drop['min_previous_active_days'] | int }}
                and previous_active_days - recent_active_days
                >= {{ activity_drop['min_drop_share'] }} * previous_active_days
                then {{ activity_drop['points'] | int }}
            else 0
        end as activity_drop_points,
        case
            when previous_spend_usd
                >= {{ spend_drop['min_previous_spend_usd'] }}
                and previous_spend_usd - recent_spend_usd
                >= {{ spend_drop['min_drop_share'] }} * previous_spend_usd
                then {{ spend_drop['points'] | int }}
            else 0
        end as spend_drop_points,
        case
            when open_ticket_count * {{ per_ticket }} > {{ max_ticket_points }}
                then {{ max_ticket_points }}
            else open_ticket_count * {{ per_ticket }}
        end as open_ticket_points,
        case
            when lowest_recent_csat <= {{ csat_rule['at_most'] | int }}
                then {{ csat_rule['points'] | int }}
            else 0
        end as low_csat_points
    from metrics
),

{#- Every rule that fired, with its reason in words. #}
reasons as (
    select
        customer_id,
        1 as rule_order,
        'inactivity' as reason_code,
        inactivity_points as points,
        'no activity for ' || cast(days_since_last_activity as {{ text }})
        || ' days' as reason
    from points
    where inactivity_points > 0
    union all
    select
        customer_id,
        2 as rule_order,
        'activity_drop' as reason_code,
        activity_drop_points as points,
        'active days down '
        || cast(cast(round(100.0 * (previous_active_days - recent_active_days)
            / previous_active_days) as integer) as {{ text }})
        || '% vs previous {{ activity_window }} days ('
        || cast(recent_active_days as {{ text }}) || ' vs '
        || cast(previous_active_days as {{ text }}) || ')' as reason
    from points
    where activity_drop_points > 0
    union all
    select
        customer_id,
        3 as rule_order,
        'spend_drop' as reason_code,
        spend_drop_points as points,
        'spend down '
        || cast(cast(round(100.0 * (previous_spend_usd - recent_spend_usd)
            / previous_spend_usd) as integer) as {{ text }})
        || '% vs previous {{ spend_window }} days' as reason
    from points
    where spend_drop_points > 0
    union all
    select
        customer_id,
        4 as rule_order,
        'open_tickets' as reason_code,
        open_ticket_points as points,
        cast(open_ticket_count as {{ text }})
        || case when open_ticket_count = 1 then ' open ticket'
            else ' open tickets' end as reason
    from points
    where open_ticket_points > 0
    union all
    select
        customer_id,
        5 as rule_order,
        'low_csat' as reason_code,
        low_csat_points as points,
        'CSAT ' || cast(lowest_recent_csat as {{ text }})
        || case
            when days_since_lowest_csat = 0 then ' today'
            when days_since_lowest_csat = 1 then ' yesterday'
            else ' ' || cast(days_since_lowest_csat as {{ text }})
                || ' days ago'
        end as reason
    from points
    where low_csat_points > 0
),

ranked_reasons as (
    select
        *,
        row_number() over (
            partition by customer_id
            order by points desc, rule_order
        ) as reason_rank
    from reasons
),

reason_summary as (
    select
        customer_id,
        count(*) as reason_count,
        max(case when reason_rank = 1 then reason_code end) as top_reason_code,
        {%- for rank in range(1, (cfg['max_reasons'] | int) + 1) %}
        max(case when reason_rank = {{ rank }} then reason end)
            as reason_{{ rank }}{{ "," if not loop.last }}
        {%- endfor %}
    from ranked_reasons
    group by customer_id
),

scored as (
    select
        points.*,
        case
            when points.inactivity_points + points.activity_drop_points
                + points.spend_drop_points + points.open_ticket_points
                + points.low_csat_points > {{ cfg['max_score'] | int }}
                then {{ cfg['max_score'] | int }}
            else points.inactivity_points + points.activity_drop_points
                + points.spend_drop_points + points.open_ticket_points
                + points.low_csat_points
        end as risk_score,
        coalesce(reason_summary.reason_count, 0) as reason_count,
        reason_summary.top_reason_code,
        reason_summary.reason_1
        {%- for rank in range(2, (cfg['max_reasons'] | int) + 1) %}
        || coalesce('; ' || reason_summary.reason_{{ rank }}, '')
        {%- endfor %} as reasons
    from points
    left join reason_summary
        on points.customer_id = reason_summary.customer_id
),

final as (
    select
        customer_id,
        {{ scoring_date }} as scoring_date,
        lifecycle_stage,
        cast(risk_score as integer) as risk_score,
        case
            when risk_score >= {{ cfg['high_from'] | int }} then 'high'
            when risk_score >= {{ cfg['medium_from'] | int }} then 'medium'
            else 'low'
        end as risk_level,
        cast(reason_count as integer) as reason_count,
        top_reason_code,
        reasons,
        last_activity_date,
        cast(days_since_last_activity as integer) as days_since_last_activity,
        cast(recent_active_days as integer) as recent_active_days,
        cast(previous_active_days as integer) as previous_active_days,
        cast(recent_spend_usd as decimal(18, 2)) as recent_spend_usd,
        cast(previous_spend_usd as decimal(18, 2)) as previous_spend_usd,
        cast(open_ticket_count as integer) as open_ticket_count,
        cast(lowest_recent_csat as integer) as lowest_recent_csat,
        cast(inactivity_points as integer) as inactivity_points,
        cast(activity_drop_points as integer) as activity_drop_points,
        cast(spend_drop_points as integer) as spend_drop_points,
        cast(open_ticket_points as integer) as open_ticket_points,
        cast(low_csat_points as integer) as low_csat_points
    from scored
)

select * from final
{%- endmacro %}
