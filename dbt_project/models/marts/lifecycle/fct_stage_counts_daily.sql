{#- Customers in each lifecycle stage at the end of every day (the calendar of
    fct_churn_by_period) up to the as-of date: the one home of "how many were in
    stage X on day D", read by the operations and executive tables. -#}
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

final as (
    select
        days.stage_date,
        {% for stage in stages %}
        sum(case when spans.stage = '{{ stage }}' then 1 else 0 end)
            as stage_{{ stage }}{{ ',' if not loop.last }}
        {% endfor %}
    from days
    inner join spans
        on spans.valid_from <= days.stage_date
        and spans.valid_to > days.stage_date
    group by days.stage_date
)

select * from final
