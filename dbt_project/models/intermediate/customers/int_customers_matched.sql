{#- A first, deliberately simple identity rule: one customer per normalized email, else
    per phone. Records with neither cannot be matched and are left out. The identity
    issue replaces this with transitive matching across emails, phones and shared ids. -#}
with

identities as (
    select * from {{ ref('int_identities_unioned') }}
),

final as (
    select
        source_system,
        record_id,
        {{ dbt.hash("coalesce('email:' || email, 'phone:' || phone)") }} as customer_id,
        email,
        phone,
        country_code,
        first_seen_at
    from identities
    where email is not null or phone is not null
)

select * from final
