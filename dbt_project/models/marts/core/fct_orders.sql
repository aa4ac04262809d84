with

orders as (
    select * from {{ ref('stg_orders__orders') }}
),

line_items as (
    select * from {{ ref('stg_orders__line_items') }}
),

refunds as (
    select * from {{ ref('stg_orders__refunds') }}
),

customers as (
    select * from {{ ref('int_customers_matched') }}
    where source_system = 'orders'
),

items_per_order as (
    select
        order_id,
        sum(quantity) as item_count
    from line_items
    group by order_id
),

refunds_per_order as (
    select
        order_id,
        sum(refund_amount_reporting) as refunded_amount_reporting
    from refunds
    group by order_id
),

final as (
    select
        orders.order_id,
        customers.customer_id,
        orders.shop_customer_id,
        orders.placed_at,
        cast(orders.placed_at as date) as order_date,
        orders.status,
        orders.channel,
        orders.currency,
        orders.total_amount,
        orders.total_amount_reporting,
        cast(
            coalesce(refunds_per_order.refunded_amount_reporting, 0)
            as decimal(18, 2)
        ) as refunded_amount_reporting,
        cast(
            case
                when orders.status in ('cancelled', 'pending') then 0
                else orders.total_amount_reporting
                    - coalesce(refunds_per_order.refunded_amount_reporting, 0)
            end as decimal(18, 2)
        ) as net_amount_reporting,
        coalesce(items_per_order.item_count, 0) as item_count,
        orders.status not in ('cancelled', 'pending') as is_revenue
    from orders
    left join customers
        on orders.shop_customer_id = customers.record_id
    left join items_per_order
        on orders.order_id = items_per_order.order_id
    left join refunds_per_order
        on orders.order_id = refunds_per_order.order_id
)

select * from final
