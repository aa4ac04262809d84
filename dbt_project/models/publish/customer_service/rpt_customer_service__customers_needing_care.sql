{#- Customers with an open ticket or a poor average satisfaction, most valuable first. -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
    where open_ticket_count > 0 or avg_csat <= 2
),

final as (
    select
        customer_id,
        email,
        phone,
        first_name,
        last_name,
        lifecycle_stage,
        net_revenue,
        cast(open_ticket_count as bigint) as open_ticket_count,
        cast(ticket_count as bigint) as ticket_count,
        avg_csat,
        last_activity_date,
        {{ lifecycle.as_of_date() }} as as_of_date
    from customers
)

select * from final
