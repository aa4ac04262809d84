{#- One row per sign-up cohort (month, and 'all') per activation step:
    sign-up -> first login -> first key action (feature use) -> third use (third
    day with app activity) -> first purchase. Customers counted at a step
    reached it and every step before it (fct_activation_milestones), so counts
    never rise from one step to the next. -#}
{%- set steps = [
    (1, 'sign_up', 'signed_up_date'),
    (2, 'first_login', 'first_login_date'),
    (3, 'first_key_action', 'first_key_action_date'),
    (4, 'third_use', 'third_use_date'),
    (5, 'first_purchase', 'first_purchase_date'),
] -%}
with

milestones as (
    select * from {{ ref('fct_activation_milestones') }}
),

step_names as (
    {%- for step_order, step_name, _ in steps %}
    select
        {{ step_order }} as step_order,
        '{{ step_name }}' as step_name
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

{#- One row per customer per step reached, with the days it took. #}
step_days as (
    {%- for step_order, _, column in steps %}
    select
        customer_id,
        signup_cohort_month,
        {{ step_order }} as step_order,
        {{ dbt.datediff('signed_up_date', column, 'day') }}
            as days_from_sign_up
    from milestones
    where {{ column }} is not null
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

cohort_steps as (
    select
        substr(cast(signup_cohort_month as {{ dbt.type_string() }}), 1, 7)
            as cohort,
        signup_cohort_month as cohort_month,
        step_order,
        count(*) as customers,
        {{ lifecycle.median('days_from_sign_up') }} as median_days
    from step_days
    group by signup_cohort_month, step_order
    union all
    select
        'all' as cohort,
        cast(null as date) as cohort_month,
        step_order,
        count(*) as customers,
        {{ lifecycle.median('days_from_sign_up') }} as median_days
    from step_days
    group by step_order
),

cohorts as (
    select distinct
        cohort,
        cohort_month
    from cohort_steps
),

{#- Every cohort gets every step, zero where nobody reached it. #}
grid as (
    select
        cohorts.cohort,
        cohorts.cohort_month,
        step_names.step_order,
        step_names.step_name,
        coalesce(cohort_steps.customers, 0) as customers,
        cohort_steps.median_days
    from cohorts
    cross join step_names
    left join cohort_steps
        on cohorts.cohort = cohort_steps.cohort
        and step_names.step_order = cohort_steps.step_order
),

with_previous as (
    select
        *,
        coalesce(
            lag(customers) over (partition by cohort order by step_order),
            customers
        ) as previous_customers,
        max(case when step_order = 1 then customers end)
            over (partition by cohort) as sign_ups
    from grid
),

final as (
    select
        cohort,
        cohort_month,
        cast(step_order as integer) as step_order,
        cast(step_name as {{ dbt.type_string() }}) as step_name,
        cast(customers as bigint) as customers,
        cast(previous_customers - customers as bigint) as customers_lost,
        {% call lifecycle.decimal_of(7, 4) -%}
            case when sign_ups > 0 then 1.0 * customers / sign_ups end
        {%- endcall %} as share_of_sign_ups,
        {% call lifecycle.decimal_of(7, 4) -%}
            case
                when previous_customers > 0
                    then 1.0 * customers / previous_customers
            end
        {%- endcall %} as share_of_previous_step,
        {% call lifecycle.decimal_of(7, 4) -%}
            case
                when previous_customers > 0
                    then 1.0 * (previous_customers - customers)
                    / previous_customers
            end
        {%- endcall %} as share_lost_at_step,
        {{ lifecycle.to_decimal('median_days', 9, 1) }}
            as median_days_from_sign_up,
        {{ lifecycle.as_of_date() }} as as_of_date
    from with_previous
)

select * from final
