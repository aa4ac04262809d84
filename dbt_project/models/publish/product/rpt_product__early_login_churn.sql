{#- Do sign-ups who log in early churn less? The two groups of
    fct_activation_early_login_churn side by side. -#}
with

groups as (
    select * from {{ ref('fct_activation_early_login_churn') }}
),

final as (
    select
        login_group,
        has_login_in_window,
        cast(customers as bigint) as customers,
        cast(churned_customers as bigint) as churned_customers,
        cast(churn_rate as decimal(7, 4)) as churn_rate,
        cast(other_group_churn_rate as decimal(7, 4)) as other_group_churn_rate,
        cast(churn_rate_ratio as decimal(9, 4)) as churn_rate_ratio,
        cast(login_window_days as integer) as login_window_days,
        cast(churn_outcome_days as integer) as churn_outcome_days,
        as_of_date
    from groups
)

select * from final
