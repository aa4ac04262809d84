with

source as (
    select * from {{ source('crm', 'accounts') }}
    where {{ lifecycle.delivered_by_as_of() }}
),

countries as (
    select * from {{ ref('country_codes') }}
),

renamed as (
    select
        cast(source.id as {{ dbt.type_string() }}) as account_id,
        nullif(trim(source.owner_id), '') as owner_id,
        trim(source.name) as account_name,
        nullif(trim(source.industry), '') as industry,
        nullif(trim(source.type), '') as account_type,
        countries.country_code,
        {{ lifecycle.to_utc_timestamp('source.created_date') }} as created_at,
        {{ lifecycle.to_utc_timestamp('source.last_modified_date') }}
            as updated_at,
        source._delivery_date,
        source._line
    from source
    left join countries
        on lower(trim(source.billing_country)) = countries.country_alias
),

versioned as (
    select
        *,
        {{ lifecycle.latest_first('account_id', 'updated_at') }} as version_rank,
        cast(min(_delivery_date) over (partition by account_id) as date)
            as first_delivered_on
    from renamed
),

final as (
    select
        account_id,
        owner_id,
        account_name,
        industry,
        account_type,
        country_code,
        created_at,
        updated_at,
        first_delivered_on
    from versioned
    where version_rank = 1
)

select * from final
