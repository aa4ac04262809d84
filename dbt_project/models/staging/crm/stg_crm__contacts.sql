with

source as (
    select * from {{ source('crm', 'contacts') }}
    where {{ lifecycle.delivered_by_as_of() }}
),

countries as (
    select * from {{ ref('country_codes') }}
),

renamed as (
    select
        -- ids
        cast(source.id as {{ dbt.type_string() }}) as contact_id,
        nullif(trim(source.account_id), '') as account_id,
        nullif(trim(source.owner_id), '') as owner_id,
        -- person
        nullif(trim(source.first_name), '') as first_name,
        nullif(trim(source.last_name), '') as last_name,
        {{ lifecycle.normalize_email('source.email') }} as email,
        {{ lifecycle.normalize_phone(
            'source.phone', 'countries.calling_code', 'countries.trunk_prefix'
        ) }} as phone,
        countries.country_code,
        nullif(trim(source.lead_source), '') as lead_source,
        {#- The extract writes booleans as 'true'/'false'; unset = not opted out. #}
        coalesce(lower(trim(source.has_opted_out_of_email)) = 'true', false)
            as has_opted_out_of_email,
        -- timestamps
        {{ lifecycle.to_utc_timestamp('source.created_date') }} as created_at,
        {{ lifecycle.to_utc_timestamp('source.last_modified_date') }}
            as updated_at,
        -- lineage
        source._delivery_date,
        source._line
    from source
    left join countries
        on lower(trim(source.mailing_country)) = countries.country_alias
),

versioned as (
    select
        *,
        {{ lifecycle.latest_first('contact_id', 'updated_at') }} as version_rank,
        cast(min(_delivery_date) over (partition by contact_id) as date)
            as first_delivered_on
    from renamed
),

final as (
    select
        contact_id,
        account_id,
        owner_id,
        first_name,
        last_name,
        email,
        phone,
        country_code,
        lead_source,
        has_opted_out_of_email,
        created_at,
        updated_at,
        first_delivered_on
    from versioned
    where version_rank = 1
)

select * from final
