{#- One row per cohort type (purchase, app) x breakdown (overall, by
    acquisition channel) x cohort month x months since the cohort month, up to
    the month of the as-of date: cohort size, customers retained in that month
    and the retention rate. -#}
with

orders as (
    select * from {{ ref('fct_orders') }}
    where is_revenue
        and customer_id is not null
        and placed_date <= {{ lifecycle.as_of_date() }}
),

app_activities as (
    select * from {{ ref('int_customer_activity_days') }}
    where app_events > 0
        and activity_date <= {{ lifecycle.as_of_date() }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

{#- Founding of the company (config/sources.yml company_founded_year) to the
    month of the as-of date. #}
month_spine as (
    {{ dbt.date_spine(
        'month',
        "cast('2015-01-01' as date)",
        dbt.dateadd('month', 1, dbt.date_trunc('month', lifecycle.as_of_date()))
    ) }}
),

calendar as (
    select cast(date_month as date) as activity_month
    from month_spine
),

active_months as (
    select distinct
        'purchase' as cohort_type,
        customer_id,
        cast({{ dbt.date_trunc('month', 'placed_date') }} as date)
            as activity_month
    from orders
    union all
    select distinct
        'app' as cohort_type,
        customer_id,
        cast({{ dbt.date_trunc('month', 'activity_date') }} as date)
            as activity_month
    from app_activities
),

cohorts as (
    select
        cohort_type,
        customer_id,
        min(activity_month) as cohort_month
    from active_months
    group by cohort_type, customer_id
),

{#- Every cohort member counts once in the overall triangle and once in the
    triangle of their acquisition channel. #}
members as (
    select
        cohorts.cohort_type,
        'overall' as breakdown,
        'all' as acquisition_channel,
        cohorts.customer_id,
        cohorts.cohort_month
    from cohorts
    union all
    select
        cohorts.cohort_type,
        'acquisition_channel' as breakdown,
        coalesce(customers.acquisition_channel, 'unknown')
            as acquisition_channel,
        cohorts.customer_id,
        cohorts.cohort_month
    from cohorts
    left join customers
        on cohorts.customer_id = customers.customer_id
),

cohort_sizes as (
    select
        cohort_type,
        breakdown,
        acquisition_channel,
        cohort_month,
        count(*) as cohort_size
    from members
    group by cohort_type, breakdown, acquisition_channel, cohort_month
),

retained as (
    select
        members.cohort_type,
        members.breakdown,
        members.acquisition_channel,
        members.cohort_month,
        active_months.activity_month,
        count(*) as retained_customers
    from members
    inner join active_months
        on members.cohort_type = active_months.cohort_type
        and members.customer_id = active_months.customer_id
    group by
        members.cohort_type,
        members.breakdown,
        members.acquisition_channel,
        members.cohort_month,
        active_months.activity_month
),

triangle as (
    select
        cohort_sizes.cohort_type,
        cohort_sizes.breakdown,
        cohort_sizes.acquisition_channel,
        cohort_sizes.cohort_month,
        calendar.activity_month,
        cohort_sizes.cohort_size
    from cohort_sizes
    inner join calendar
        on calendar.activity_month >= cohort_sizes.cohort_month
),

final as (
    select
        triangle.cohort_type,
        triangle.breakdown,
        triangle.acquisition_channel,
        triangle.cohort_month,
        cast(
            {{ dbt.datediff(
                'triangle.cohort_month', 'triangle.activity_month', 'month'
            ) }} as integer
        ) as months_since_start,
        triangle.activity_month,
        cast(triangle.cohort_size as bigint) as cohort_size,
        cast(coalesce(retained.retained_customers, 0) as bigint)
            as retained_customers,
        cast(
            coalesce(retained.retained_customers, 0)
            as {{ lifecycle.type_double() }}
        ) / triangle.cohort_size as retention_rate,
        cast({{ dbt.dateadd('month', 1, 'triangle.activity_month') }} as date)
            <= cast({{ dbt.dateadd('day', 1, lifecycle.as_of_date()) }} as date)
            as is_complete_month
    from triangle
    left join retained
        on triangle.cohort_type = retained.cohort_type
        and triangle.breakdown = retained.breakdown
        and triangle.acquisition_channel = retained.acquisition_channel
        and triangle.cohort_month = retained.cohort_month
        and triangle.activity_month = retained.activity_month
)

select * from final
