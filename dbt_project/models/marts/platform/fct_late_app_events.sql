{#- Per app delivery day up to the as-of date: how many of its events the
    activity history applies and how many arrived too late to apply, by the
    one late-data rule (macros/late_data.sql) int_customer_activity_history
    applies. Sign-ups are not counted: they are not activity, and identity
    reads them however late they arrive. -#}
with

event_days as (
    select * from {{ ref('int_app_user_event_days') }}
    where delivery_date <= {{ lifecycle.as_of_date() }}
        and event_name <> 'sign_up'
),

classified as (
    select
        delivery_date,
        event_date,
        event_count,
        case
            when {{ lifecycle.app_event_is_applied(
                'event_date', 'delivery_date') }}
                then 'applied'
            when not ({{ lifecycle.app_event_arrived_in_time(
                'event_date', 'delivery_date') }})
                then 'too_late'
            else 'dated_after_as_of'
        end as outcome
    from event_days
),

final as (
    select
        delivery_date,
        cast(sum(event_count) as bigint) as events_delivered,
        cast(
            sum(case when outcome = 'applied' then event_count else 0 end)
            as bigint
        ) as events_applied,
        cast(
            sum(case when outcome = 'too_late' then event_count else 0 end)
            as bigint
        ) as events_too_late,
        cast(
            sum(
                case
                    when outcome = 'dated_after_as_of' then event_count else 0
                end
            ) as bigint
        ) as events_dated_after_as_of,
        min(event_date) as oldest_event_date,
        cast({{ lifecycle.late_data_lookback_days() }} as integer)
            as lookback_days,
        {{ lifecycle.as_of_date() }} as as_of_date
    from classified
    group by delivery_date
)

select * from final
