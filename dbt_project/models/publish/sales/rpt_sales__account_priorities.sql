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

final as (
    select
        customers.customer_id,
        customers.contact_id,
        customers.account_id,
        accounts.account_name,
        coalesce(customers.owner_id, accounts.owner_id) as owner_id,
        owners.owner_name,
        customers.lifecycle_stage,
        customers.net_revenue,
        cast(customers.order_count as bigint) as order_count,
        cast(customers.last_order_at as date) as last_order_date,
        cast(customers.days_since_last_activity as bigint)
            as days_since_last_activity,
        cast(row_number() over (
            order by
                case customers.lifecycle_stage
                    when 'at_risk' then 1
                    when 'active' then 2
                    when 'new' then 3
                    when 'churned' then 4
                    else 5
                end,
                customers.net_revenue desc,
                customers.customer_id
        ) as bigint) as call_priority,
        {{ lifecycle.as_of_date() }} as as_of_date
    from customers
    left join accounts
        on customers.account_id = accounts.account_id
    left join owners
        on coalesce(customers.owner_id, accounts.owner_id) = owners.owner_id
)

select * from final
