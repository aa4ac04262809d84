{#- Stage changes per month: from which stage to which, and why
    (fct_stage_transitions), counted. -#}
with

transitions as (
    select * from {{ ref('fct_stage_transitions') }}
    where transition_date <= {{ lifecycle.as_of_date() }}
),

monthly as (
    select
        cast({{ dbt.date_trunc('month', 'transition_date') }} as date)
            as transition_month,
        coalesce(from_stage, 'none') as from_stage,
        to_stage,
        trigger,
        count(*) as transitions,
        count(distinct customer_id) as customers
    from transitions
    group by
        cast({{ dbt.date_trunc('month', 'transition_date') }} as date),
        coalesce(from_stage, 'none'),
        to_stage,
        trigger
),

final as (
    select
        transition_month,
        from_stage,
        to_stage,
        trigger,
        cast(transitions as bigint) as transitions,
        cast(customers as bigint) as customers
    from monthly
)

select * from final
