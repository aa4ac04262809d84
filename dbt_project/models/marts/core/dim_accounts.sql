{#- One row per CRM account (company): name, industry and owner. -#}
with

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

final as (
    select
        account_id,
        account_name,
        industry,
        account_type,
        country_code,
        owner_id
    from accounts
)

select * from final
