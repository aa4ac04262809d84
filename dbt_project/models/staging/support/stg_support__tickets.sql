with

source as (
    select * from {{ source('support', 'tickets') }}
    where {{ lifecycle.delivered_by_as_of() }}
),

renamed as (
    select
        cast(id as {{ dbt.type_string() }}) as ticket_id,
        nullif(trim(requester_name), '') as requester_name,
        {{ lifecycle.normalize_email('requester_email') }} as email,
        {#- Tickets name no country: only international phone forms resolve. #}
        {%- set no_country = 'cast(null as ' ~ dbt.type_string() ~ ')' %}
        {{ lifecycle.normalize_phone(
            'requester_phone', no_country, no_country
        ) }} as phone,
        nullif(trim(subject), '') as subject,
        nullif(lower(trim(type)), '') as ticket_type,
        nullif(lower(trim(priority)), '') as priority,
        lower(trim(status)) as status,
        nullif(lower(trim(channel)), '') as channel,
        {{ lifecycle.to_utc_timestamp('created_at') }} as created_at,
        {{ lifecycle.to_utc_timestamp('updated_at') }} as updated_at,
        {{ lifecycle.to_utc_timestamp('solved_at') }} as solved_at,
        _delivery_date,
        _line
    from source
),

versioned as (
    select
        *,
        {{ lifecycle.latest_first('ticket_id', 'updated_at') }} as version_rank,
        cast(min(_delivery_date) over (partition by ticket_id) as date)
            as first_delivered_on
    from renamed
),

final as (
    select
        ticket_id,
        requester_name,
        email,
        phone,
        subject,
        ticket_type,
        priority,
        status,
        status in ('new', 'open', 'pending') as is_open,
        channel,
        created_at,
        updated_at,
        solved_at,
        first_delivered_on
    from versioned
    where version_rank = 1
)

select * from final
