{#- Everyone marketing may address: stage, value and whether they can be
    emailed. Holds email and names (marketing is allowed personal data). -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

final as (
    select
        customer_id,
        email,
        first_name,
        last_name,
        country_code,
        coalesce(acquisition_channel, 'unknown') as acquisition_channel,
        lifecycle_stage,
        order_count,
        net_revenue_usd,
        last_activity_date,
        email is not null as is_contactable,
        {{ lifecycle.as_of_date() }} as as_of_date
    from customers
)

select * from final
