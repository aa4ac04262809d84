{#- One row per customer per day with that day's stage, for BI tools that want the daily
    form. A view over the spans: nothing is stored, and a query filtered to a few days or
    customers reads only those. Days start in 2015, when the company was founded
    (config/sources.yml company_founded_year). -#}
{{ config(materialized='view') }}
with

spans as (
    select * from {{ ref('fct_customer_stage_spans') }}
),

days as (
    {{ dbt.date_spine(
        'day',
        "cast('2015-01-01' as date)",
        dbt.dateadd('day', 1, lifecycle.as_of_date())
    ) }}
),

final as (
    select
        spans.customer_id,
        cast(days.date_day as date) as stage_date,
        spans.stage
    from spans
    inner join days
        on days.date_day >= spans.valid_from
        and days.date_day < spans.valid_to
)

select * from final
