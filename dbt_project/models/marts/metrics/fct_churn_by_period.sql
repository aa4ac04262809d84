{#- One row per period grain (day, week, month) x period, from the period of
    the first stage transition to the period holding the as-of date: customers
    active at the start and end, who became new, reactivated and churned, the
    net movement and the churn rate. -#}
{%- set grains = ['day', 'week', 'month'] -%}
{%- set active_stages = ['new', 'active', 'reactivated', 'at_risk'] -%}
with

spans as (
    select * from {{ ref('fct_customer_stage_spans') }}
    where valid_from <= {{ lifecycle.as_of_date() }}
),

transitions as (
    select * from {{ ref('fct_stage_transitions') }}
    where transition_date <= {{ lifecycle.as_of_date() }}
),

{#- Founding of the company (config/sources.yml company_founded_year) to the
    as-of date. #}
day_spine as (
    {{ dbt.date_spine(
        'day',
        "cast('2015-01-01' as date)",
        dbt.dateadd('day', 1, lifecycle.as_of_date())
    ) }}
),

calendar as (
    select cast(date_day as date) as calendar_date
    from day_spine
),

{#- Spans in a stage that counts as a customer (not prospect, not churned). #}
active_spans as (
    select
        customer_id,
        valid_from,
        valid_to
    from spans
    where stage in ('{{ active_stages | join("', '") }}')
),

span_starts as (
    select
        valid_from as calendar_date,
        count(*) as spans_started
    from active_spans
    group by valid_from
),

span_ends as (
    select
        valid_to as calendar_date,
        count(*) as spans_ended
    from active_spans
    group by valid_to
),

{#- Customers in an active stage on each day: spans begun minus spans ended
    (valid_to is exclusive), summed up to that day. #}
daily_active as (
    select
        calendar.calendar_date,
        sum(
            coalesce(span_starts.spans_started, 0)
            - coalesce(span_ends.spans_ended, 0)
        ) over (
            order by calendar.calendar_date
            rows between unbounded preceding and current row
        ) as active_customers
    from calendar
    left join span_starts
        on calendar.calendar_date = span_starts.calendar_date
    left join span_ends
        on calendar.calendar_date = span_ends.calendar_date
),

first_transition as (
    select min(transition_date) as first_transition_date
    from transitions
),

periods as (
    {%- for grain in grains %}
    select distinct
        '{{ grain }}' as period_grain,
        cast({{ dbt.date_trunc(grain, 'calendar.calendar_date') }} as date)
            as period_start
    from calendar
    inner join first_transition
        on calendar.calendar_date >= first_transition.first_transition_date
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

bounded_periods as (
    select
        period_grain,
        period_start,
        case
            {%- for grain in grains %}
            when period_grain = '{{ grain }}'
                then cast({{ dbt.dateadd(grain, 1, 'period_start') }} as date)
            {%- endfor %}
        end as period_end
    from periods
),

movements as (
    {%- for grain in grains %}
    select
        '{{ grain }}' as period_grain,
        cast({{ dbt.date_trunc(grain, 'transition_date') }} as date)
            as period_start,
        count(distinct case when to_stage = 'new' then customer_id end)
            as new_customers,
        count(distinct case when to_stage = 'reactivated' then customer_id end)
            as reactivated_customers,
        count(distinct case when to_stage = 'churned' then customer_id end)
            as churned_customers
    from transitions
    group by cast({{ dbt.date_trunc(grain, 'transition_date') }} as date)
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

joined as (
    select
        bounded_periods.period_grain,
        bounded_periods.period_start,
        bounded_periods.period_end,
        bounded_periods.period_end
            <= cast({{ dbt.dateadd('day', 1, lifecycle.as_of_date()) }} as date)
            as is_complete,
        coalesce(active_at_start.active_customers, 0)
            as active_customers_at_start,
        coalesce(movements.new_customers, 0) as new_customers,
        coalesce(movements.reactivated_customers, 0) as reactivated_customers,
        coalesce(movements.churned_customers, 0) as churned_customers,
        coalesce(active_at_end.active_customers, 0) as active_customers_at_end
    from bounded_periods
    {#- At the start: at the end of the day before the period. #}
    left join daily_active as active_at_start
        on active_at_start.calendar_date = cast(
            {{ dbt.dateadd('day', -1, 'bounded_periods.period_start') }}
            as date
        )
    {#- At the end: the period's last day, or the as-of date if earlier. #}
    left join daily_active as active_at_end
        on active_at_end.calendar_date = least(
            cast(
                {{ dbt.dateadd('day', -1, 'bounded_periods.period_end') }}
                as date
            ),
            {{ lifecycle.as_of_date() }}
        )
    left join movements
        on bounded_periods.period_grain = movements.period_grain
        and bounded_periods.period_start = movements.period_start
),

final as (
    select
        period_grain,
        period_start,
        period_end,
        is_complete,
        cast(active_customers_at_start as bigint) as active_customers_at_start,
        cast(new_customers as bigint) as new_customers,
        cast(reactivated_customers as bigint) as reactivated_customers,
        cast(churned_customers as bigint) as churned_customers,
        cast(
            new_customers + reactivated_customers - churned_customers
            as bigint
        ) as net_customer_movement,
        cast(active_customers_at_end as bigint) as active_customers_at_end,
        cast(churned_customers as {{ lifecycle.type_double() }})
            / nullif(active_customers_at_start, 0) as churn_rate
    from joined
)

select * from final
