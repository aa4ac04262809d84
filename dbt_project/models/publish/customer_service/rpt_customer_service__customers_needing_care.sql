{#- Customers with an open ticket or a poor average satisfaction (2 or less),
    with value and stage, most valuable first. Holds contact details (customer
    service is allowed personal data). -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
    where open_ticket_count > 0
        or avg_csat <= 2
),

final as (
    select
        customer_id,
        email,
        phone,
        first_name,
        last_name,
        case
            when open_ticket_count > 0 and avg_csat <= 2
                then 'open_ticket_and_low_csat'
            when open_ticket_count > 0 then 'open_ticket'
            else 'low_csat'
        end as care_reason,
        lifecycle_stage,
        net_revenue_usd,
        open_ticket_count,
        ticket_count,
        avg_csat,
        last_activity_date,
        {{ lifecycle.as_of_date() }} as as_of_date
    from customers
)

select * from final
