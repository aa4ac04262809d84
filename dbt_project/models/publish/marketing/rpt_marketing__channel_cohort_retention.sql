{#- Retention triangles per acquisition channel: purchase and app cohorts by
    month, and the share still buying (using the app) each month after. -#}
with

retention as (
    select * from {{ ref('fct_cohort_retention') }}
    where breakdown = 'acquisition_channel'
),

final as (
    select
        cohort_type,
        acquisition_channel,
        cohort_month,
        cast(months_since_start as integer) as months_since_start,
        activity_month,
        cast(cohort_size as bigint) as cohort_size,
        cast(retained_customers as bigint) as retained_customers,
        {{ lifecycle.to_decimal('retention_rate', 7, 4) }} as retention_rate,
        is_complete_month
    from retention
)

select * from final
