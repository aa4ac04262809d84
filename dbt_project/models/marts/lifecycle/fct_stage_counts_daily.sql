{#- Customers in each lifecycle stage at the end of every day (the calendar of
    fct_churn_by_period) up to the as-of date: the one home of "how many were in
    stage X on day D", read by the operations and executive tables.

    Counted as a running sum of spans begun minus spans ended (valid_to is
    exclusive), as fct_churn_by_period counts active customers: one pass over the
    spans and one over the days. Joining every day to the spans that cover it
    reads each span once per day it lasts, which grew with the history (0.6 s of
    a 100,000-people night at two years, against 0.02 s). -#}
{%- set stages = [
    'prospect', 'new', 'active', 'reactivated', 'at_risk', 'churned',
] -%}
with

days as (
    select period_start as stage_date
    from {{ ref('fct_churn_by_period') }}
    where period_grain = 'day'
),

spans as (
    select * from {{ ref('fct_customer_stage_spans') }}
),

span_changes as (
    select
        valid_from as change_date,
        stage,
        1 as change
    from spans
    union all
    select
        valid_to as change_date,
        stage,
        -1 as change
    from spans
),

daily_changes as (
    select
        days.stage_date,
        {% for stage in stages %}
        sum(case when span_changes.stage = '{{ stage }}' then span_changes.change else 0 end)
            as change_{{ stage }}{{ ',' if not loop.last }}
        {% endfor %}
    from days
    left join span_changes
        on days.stage_date = span_changes.change_date
    group by days.stage_date
),

running as (
    select
        stage_date,
        {% for stage in stages %}
        sum(change_{{ stage }}) over (
            order by stage_date rows between unbounded preceding and current row
        ) as stage_{{ stage }}{{ ',' if not loop.last }}
        {% endfor %}
    from daily_changes
),

{#- Days before the first customer was seen have no row. #}
first_span as (
    select min(valid_from) as first_valid_from
    from spans
),

final as (
    select
        running.stage_date,
        {% for stage in stages %}
        cast(running.stage_{{ stage }} as bigint)
            as stage_{{ stage }}{{ ',' if not loop.last }}
        {% endfor %}
    from running
    inner join first_span
        on running.stage_date >= first_span.first_valid_from
)

select * from final
