{#- Which app events came too late to apply to the activity history, per
    delivery day (fct_late_app_events). -#}
with

late_events as (
    select * from {{ ref('fct_late_app_events') }}
),

final as (
    select
        delivery_date,
        events_delivered,
        events_applied,
        events_too_late,
        events_dated_after_as_of,
        oldest_event_date,
        lookback_days,
        as_of_date
    from late_events
)

select * from final
