{#- One row per CRM user who owns contacts or accounts (sales staff). -#}
with

owners as (
    select * from {{ ref('stg_crm__owners') }}
),

final as (
    select
        owner_id,
        owner_name,
        team,
        is_active
    from owners
)

select * from final
