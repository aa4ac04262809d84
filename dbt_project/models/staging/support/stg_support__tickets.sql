with

source as (
    select * from {{ source('support', 'tickets') }}
    where _delivery_date <= '{{ var("as_of_date") }}'
),

renamed as (
    select
        cast(id as varchar) as ticket_id,
        nullif(trim(requester_name), '') as requester_name,
        {{ lifecycle.normalize_email('requester_email') }} as email,
        {# Tickets carry no country: only international phone forms resolve. #}
        {{ lifecycle.normalize_phone('requester_phone', "''", "''") }} as phone,
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
        {{ lifecycle.latest_first('ticket_id', 'updated_at') }} as version_rank
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
        channel,
        status in ('new', 'open', 'pending') as is_open,
        created_at,
        updated_at,
        solved_at
    from versioned
    where version_rank = 1
)

select * from final
