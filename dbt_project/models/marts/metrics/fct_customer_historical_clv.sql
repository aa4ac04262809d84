{#- One row per customer with at least one revenue order by the as-of date:
    what they have brought in so far (historical CLV), in US dollars. -#}
with

orders as (
    select * from {{ ref('fct_orders') }}
    where customer_id is not null
        and placed_date <= {{ lifecycle.as_of_date() }}
),

per_customer as (
    select
        customer_id,
        min(case when is_revenue then placed_date end) as first_order_date,
        max(case when is_revenue then placed_date end) as last_order_date,
        sum(case when is_revenue then 1 else 0 end) as order_count,
        sum(case when is_revenue then total_amount_usd else 0 end)
            as gross_revenue_usd,
        sum(case when is_revenue then refunded_usd else 0 end) as refunds_usd,
        sum(net_usd) as net_revenue_usd
    from orders
    group by customer_id
),

final as (
    select
        customer_id,
        first_order_date,
        last_order_date,
        cast(order_count as integer) as order_count,
        cast(gross_revenue_usd as decimal(18, 2)) as gross_revenue_usd,
        cast(refunds_usd as decimal(18, 2)) as refunds_usd,
        cast(net_revenue_usd as decimal(18, 2)) as net_revenue_usd,
        {{ lifecycle.to_decimal('net_revenue_usd / order_count', 18, 2) }}
            as avg_order_value_usd,
        cast(
            {{ dbt.datediff(
                'first_order_date', lifecycle.as_of_date(), 'day'
            ) }} as integer
        ) as tenure_days,
        cast(
            {{ dbt.datediff(
                'last_order_date', lifecycle.as_of_date(), 'day'
            ) }} as integer
        ) as days_since_last_order
    from per_customer
    where order_count > 0
)

select * from final
