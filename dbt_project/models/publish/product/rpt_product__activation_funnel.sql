{#- Of each month's sign-ups (and all of them), how many reached each
    activation step in funnel order, how many were lost at each, and how long
    each step took (fct_activation_funnel). -#}
with

funnel as (
    select * from {{ ref('fct_activation_funnel') }}
),

final as (
    select
        cohort,
        cohort_month,
        cast(step_order as integer) as step_order,
        step_name,
        cast(customers as bigint) as customers,
        cast(customers_lost as bigint) as customers_lost,
        cast(share_of_sign_ups as decimal(7, 4)) as share_of_sign_ups,
        cast(share_of_previous_step as decimal(7, 4)) as share_of_previous_step,
        cast(share_lost_at_step as decimal(7, 4)) as share_lost_at_step,
        cast(median_days_from_sign_up as decimal(9, 1))
            as median_days_from_sign_up,
        as_of_date
    from funnel
)

select * from final
