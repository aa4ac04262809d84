{#- One row per customer per stretch of days in one lifecycle stage (valid_from inclusive,
    valid_to exclusive), from the day the customer was first seen to the as-of date: the
    customer's stage timeline (int_customer_stage_timeline, where the stage rule lives)
    bounded by the as-of date. -#}
with

bounded as (
    {{ lifecycle.stage_timeline_as_of() }}
),

final as (
    select
        customer_id,
        stage,
        valid_from,
        valid_to,
        is_current
    from bounded
)

select * from final
