{#- A funnel step never holds more customers than the step before it, in any
    cohort (each step counts customers who reached every earlier step). -#}
with

funnel as (
    select * from {{ ref('fct_activation_funnel') }}
),

with_previous as (
    select
        cohort,
        step_order,
        customers,
        lag(customers) over (
            partition by cohort order by step_order
        ) as previous_customers
    from funnel
)

select *
from with_previous
where customers > previous_customers
