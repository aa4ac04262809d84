with

source as (
    select * from {{ source('crm', 'owners') }}
    where _delivery_date <= '{{ var("as_of_date") }}'
),

renamed as (
    select
        cast(id as varchar) as owner_id,
        trim(name) as owner_name,
        {{ lifecycle.normalize_email('email') }} as owner_email,
        nullif(trim(team), '') as team,
        coalesce(cast(is_active as boolean), true) as is_active,
        {{ lifecycle.to_utc_timestamp('last_modified_date') }} as updated_at,
        _delivery_date,
        _line
    from source
),

versioned as (
    select
        *,
        {{ lifecycle.latest_first('owner_id', 'updated_at') }} as version_rank
    from renamed
),

final as (
    select
        owner_id,
        owner_name,
        owner_email,
        team,
        is_active,
        updated_at
    from versioned
    where version_rank = 1
)

select * from final
