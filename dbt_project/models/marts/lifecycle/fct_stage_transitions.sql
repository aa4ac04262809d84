{#- One row per stage change of a customer: the day, the stage left and entered, and what
    triggered it: first seen; activity that day (an order, app use, a support ticket, or
    with stage_unit account another customer of the account, in that order when several);
    inactivity; or the new/reactivated window ending. -#}
with

spans as (
    select * from {{ ref('fct_customer_stage_spans') }}
),

activity_days as (
    select * from {{ ref('int_customer_activity_days') }}
),

ordered as (
    select
        customer_id,
        valid_from as transition_date,
        lag(stage) over (
            partition by customer_id order by valid_from
        ) as from_stage,
        stage as to_stage
    from spans
),

final as (
    select
        ordered.customer_id,
        ordered.transition_date,
        ordered.from_stage,
        ordered.to_stage,
        case
            when ordered.from_stage is null then 'first_seen'
            when activity_days.orders > 0 then 'order'
            when activity_days.app_events > 0 then 'app_activity'
            when activity_days.support_tickets > 0 then 'support_ticket'
            when activity_days.active_account_peers > 0 then 'account_activity'
            when ordered.to_stage in ('at_risk', 'churned') then 'inactivity'
            else 'window_ended'
        end as trigger
    from ordered
    left join activity_days
        on ordered.customer_id = activity_days.customer_id
        and ordered.transition_date = activity_days.activity_date
)

select * from final
