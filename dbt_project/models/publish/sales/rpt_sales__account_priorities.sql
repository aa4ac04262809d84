{#- CRM-known customers in the order sales should call them: at risk first (save
    them), then active and new (repeat offers), then churned (win back), then
    prospects; within a stage the most valuable first. Customer ids only. -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
    where contact_id is not null
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

owners as (
    select * from {{ ref('stg_crm__owners') }}
),

joined as (
    select
        customers.customer_id,
        customers.contact_id,
        customers.account_id,
        accounts.account_name,
        coalesce(customers.owner_id, accounts.owner_id) as owner_id,
        owners.owner_name,
        owners.team as owner_team,
        customers.lifecycle_stage,
        case customers.lifecycle_stage
            when 'at_risk' then 1
            when 'reactivated' then 2
            when 'active' then 3
            when 'new' then 4
            when 'churned' then 5
            else 6
        end as stage_rank,
        customers.net_revenue_usd,
        customers.order_count,
        cast(customers.last_order_at as date) as last_order_date,
        customers.days_since_last_activity,
        customers.open_ticket_count
    from customers
    left join accounts
        on customers.account_id = accounts.account_id
    left join owners
        on coalesce(customers.owner_id, accounts.owner_id) = owners.owner_id
),

final as (
    select
        customer_id,
        contact_id,
        account_id,
        account_name,
        owner_id,
        owner_name,
        owner_team,
        lifecycle_stage,
        net_revenue_usd,
        order_count,
        last_order_date,
        days_since_last_activity,
        open_ticket_count,
        cast(
            row_number() over (
                order by stage_rank, net_revenue_usd desc, customer_id
            ) as integer
        ) as call_priority,
        {{ lifecycle.as_of_date() }} as as_of_date
    from joined
)

select * from final
