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
        acquisition_channel,
        lifecycle_stage,
        cast(order_count as bigint) as order_count,
        net_revenue,
        last_activity_date,
        email is not null as is_contactable,
        {{ lifecycle.as_of_date() }} as as_of_date
    from customers
)

select * from final
