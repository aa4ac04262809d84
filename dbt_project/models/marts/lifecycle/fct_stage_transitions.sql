{#- One row per stage change of a customer by the as-of date: the day, the stage left and
    entered, and what triggered it: first seen; activity that day (an order, app use, a
    support ticket, or with stage_unit account another customer of the account, in that
    order when several); inactivity; or the new/reactivated window ending. The customer's
    stage timeline (int_customer_stage_timeline) bounded by the as-of date. -#}
with

bounded as (
    {{ lifecycle.stage_timeline_as_of() }}
),

final as (
    select
        customer_id,
        valid_from as transition_date,
        from_stage,
        stage as to_stage,
        trigger
    from bounded
)

select * from final
