{#- Two rows: customers who logged in within the early-login window of signing
    up, and those who did not, among sign-ups old enough to be judged (at least
    activation churn_outcome_days before the as-of date); for each, how many
    entered `churned` within that many days of signing up, the churn rate, and
    how it compares with the other group. -#}
with

milestones as (
    select * from {{ ref('fct_activation_milestones') }}
    where is_churn_judged
),

login_groups as (
    select true as has_login_in_window
    union all
    select false as has_login_in_window
),

counted as (
    select
        has_login_in_window,
        count(*) as customers,
        sum(case when is_churned_in_outcome_window then 1 else 0 end)
            as churned_customers
    from milestones
    group by has_login_in_window
),

grouped as (
    select
        login_groups.has_login_in_window,
        coalesce(counted.customers, 0) as customers,
        coalesce(counted.churned_customers, 0) as churned_customers
    from login_groups
    left join counted
        on login_groups.has_login_in_window = counted.has_login_in_window
),

rated as (
    select
        this_group.has_login_in_window,
        this_group.customers,
        this_group.churned_customers,
        case
            when this_group.customers > 0
                then 1.0 * this_group.churned_customers / this_group.customers
        end as churn_rate,
        case
            when other_group.customers > 0
                then 1.0 * other_group.churned_customers / other_group.customers
        end as other_group_churn_rate
    from grouped as this_group
    inner join grouped as other_group
        on this_group.has_login_in_window <> other_group.has_login_in_window
),

final as (
    select
        case
            when has_login_in_window then 'login_in_window'
            else 'no_login_in_window'
        end as login_group,
        has_login_in_window,
        cast(customers as bigint) as customers,
        cast(churned_customers as bigint) as churned_customers,
        {{ lifecycle.to_decimal('churn_rate', 7, 4) }} as churn_rate,
        {{ lifecycle.to_decimal('other_group_churn_rate', 7, 4) }}
            as other_group_churn_rate,
        {% call lifecycle.decimal_of(9, 4) -%}
            case
                when other_group_churn_rate > 0
                    then churn_rate / other_group_churn_rate
            end
        {%- endcall %} as churn_rate_ratio,
        {{ lifecycle.lifecycle_days('activation_login_window_days') }}
            as login_window_days,
        {{ lifecycle.lifecycle_days('activation_churn_outcome_days') }}
            as churn_outcome_days,
        {{ lifecycle.as_of_date() }} as as_of_date
    from rated
)

select * from final
