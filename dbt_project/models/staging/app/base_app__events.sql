{#- Every app event ever delivered, once, from its first delivery: the only model that
    reads the event stream, so it is incremental. A run re-reads the deliveries from
    lifecycle.reprocess_from() on (the look-back window, plus any delivery that arrived
    or changed since the last build) and replaces exactly those; events first delivered
    earlier are kept. A full refresh reads every delivery and gives the same table.
    Deliveries after the as-of date (present when an old day is backfilled) are kept
    too: stg_app__events shows only what was delivered by the as-of date. -#}
{{ config(**lifecycle.delivery_day_incremental()) }}
with

source as (
    select * from {{ lifecycle.raw_source('app', 'events') }}
    {% if is_incremental() -%}
    where {{ lifecycle.is_reprocessed_raw_delivery() }}
    {%- endif %}
),

countries as (
    select * from {{ ref('country_codes') }}
),

renamed as (
    select
        cast(source.message_id as {{ dbt.type_string() }}) as event_id,
        cast(source.user_id as {{ dbt.type_string() }}) as app_user_id,
        lower(trim(source.event)) as event_name,
        {{ lifecycle.to_utc_timestamp(
            'source.' ~ adapter.quote('timestamp')
        ) }} as occurred_at,
        {{ lifecycle.to_utc_timestamp('source.received_at') }} as received_at,
        -- traits (sign_up events)
        {{ lifecycle.normalize_email('source.traits__email') }} as email,
        {{ lifecycle.normalize_phone(
            'source.traits__phone', 'countries.calling_code',
            'countries.trunk_prefix'
        ) }} as phone,
        countries.country_code,
        -- properties and context
        nullif(trim(source.properties__plan), '') as plan,
        nullif(lower(trim(source.properties__signup_channel)), '')
            as signup_channel,
        nullif(trim(source.properties__feature), '') as feature,
        cast(source.properties__session_seconds as integer) as session_seconds,
        nullif(trim(source.context__app_version), '') as app_version,
        nullif(lower(trim(source.context__os)), '') as os,
        -- lineage
        source._delivery_date,
        source._line
    from source
    left join countries
        on lower(trim(source.context__country)) = countries.country_alias
),

{#- At-least-once delivery: a message can arrive again in a later file. Events
    never change, so the first delivery is kept. #}
first_delivery as (
    select
        *,
        row_number() over (
            partition by event_id
            order by _delivery_date, _line
        ) as delivery_rank
    from renamed
),

final as (
    select
        event_id,
        app_user_id,
        event_name,
        occurred_at,
        cast(occurred_at as date) as event_date,
        received_at,
        cast(_delivery_date as date) as delivery_date,
        email,
        phone,
        country_code,
        plan,
        signup_channel,
        feature,
        session_seconds,
        app_version,
        os
    from first_delivery
    where delivery_rank = 1
    {% if is_incremental() -%}
        and not exists (
            select 1 from {{ this }} as kept
            where kept.event_id = first_delivery.event_id
        )
    {%- endif %}
)

select * from final
