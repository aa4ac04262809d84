{#- The event stream folded to one row per app user, event name, event day and delivery
    day, with the first and last moment and the sign-up channel: small enough for every
    model downstream that needs events per user (activity, identity's first-seen, the
    customer's app summary, activation milestones) to read it instead of the stream, and
    incremental like the events it reads. Free of business rules (what counts as activity,
    how late is too late), so changing config/lifecycle.yml never needs a full refresh.
    Sign-ups are kept (identity and activation read them); the activity history leaves
    them out. -#}
{{ config(**lifecycle.delivery_day_incremental()) }}
with

events as (
    select * from {{ ref('base_app__events') }}
    {% if is_incremental() -%}
    where {{ lifecycle.is_reprocessed_delivery() }}
    {%- endif %}
),

final as (
    select
        app_user_id,
        event_name,
        event_date,
        delivery_date,
        count(*) as event_count,
        min(occurred_at) as first_occurred_at,
        max(occurred_at) as last_occurred_at,
        max(signup_channel) as signup_channel
    from events
    group by app_user_id, event_name, event_date, delivery_date
)

select * from final
