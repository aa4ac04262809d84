{#- The event stream folded to one row per app user, event name, event day and delivery
    day: small enough to rebuild the lifecycle from every night, and incremental like
    the events it reads. Free of business rules (what counts as activity, how late is
    too late), so changing config/lifecycle.yml never needs a full refresh. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ lifecycle.delete_reprocessed_deliveries() }}",
    partition_by=lifecycle.delivery_partitioning(),
) }}
with

events as (
    select * from {{ ref('base_app__events') }}
    where event_name <> 'sign_up'
    {% if is_incremental() -%}
        and delivery_date >= cast('{{ lifecycle.reprocess_from_text() }}' as date)
    {%- endif %}
),

final as (
    select
        app_user_id,
        event_name,
        event_date,
        delivery_date,
        count(*) as event_count
    from events
    group by app_user_id, event_name, event_date, delivery_date
)

select * from final
