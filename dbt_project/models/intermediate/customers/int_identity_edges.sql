{#- Which match keys each identity record carries: its own id, its normalized email and
    phone, and the ids of other systems it names (an order's CRM contact and app user). -#}
with

identities as (
    select * from {{ ref('int_identities_unioned') }}
),

orders as (
    select * from {{ ref('stg_orders__orders') }}
),

own_ids as (
    select record_key, 'id:' || record_key as match_key from identities
),

emails as (
    select record_key, 'email:' || email as match_key
    from identities
    where email is not null
),

phones as (
    select record_key, 'phone:' || phone as match_key
    from identities
    where phone is not null
),

shared_crm_ids as (
    select distinct
        'orders:' || shop_customer_id as record_key,
        'id:crm:' || crm_contact_id as match_key
    from orders
    where crm_contact_id is not null
),

shared_app_ids as (
    select distinct
        'orders:' || shop_customer_id as record_key,
        'id:app:' || app_user_id as match_key
    from orders
    where app_user_id is not null
),

final as (
    select * from own_ids
    union
    select * from emails
    union
    select * from phones
    union
    select * from shared_crm_ids
    union
    select * from shared_app_ids
)

select * from final
