with

source as (
    select * from {{ source('crm', 'owners') }}
    where {{ lifecycle.delivered_by_as_of() }}
),

renamed as (
    select
        cast(id as {{ dbt.type_string() }}) as owner_id,
        trim(name) as owner_name,
        {{ lifecycle.normalize_email('email') }} as owner_email,
        nullif(trim(team), '') as team,
        {#- The extract writes booleans as 'true'/'false'; unset = active. #}
        coalesce(lower(trim(is_active)) = 'true', true) as is_active,
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
