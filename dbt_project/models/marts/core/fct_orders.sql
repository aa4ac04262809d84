{#- One row per order with its customer, items and refunds; money in the order
    currency and in US dollars at the rate of the month the order was placed
    (refunds too, so a fully refunded order nets to zero). -#}
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

shop_customers as (
    select * from {{ ref('int_customers_matched') }}
    where source_system = 'orders'
),

items_per_order as (
    select
        order_id,
        count(*) as line_count,
        sum(quantity) as item_count
    from line_items
    group by order_id
),

refunds_per_order as (
    select
        order_id,
        sum(refund_amount) as refunded_amount,
        max(refunded_at) as last_refunded_at
    from refunds
    group by order_id
),

joined as (
    select
        orders.order_id,
        shop_customers.customer_id,
        orders.shop_customer_id,
        orders.placed_at,
        orders.placed_date,
        orders.status,
        orders.is_revenue,
        orders.channel,
        orders.currency,
        orders.usd_rate,
        orders.total_amount,
        orders.total_amount_usd,
        coalesce(refunds_per_order.refunded_amount, 0) as refunded_amount,
        refunds_per_order.last_refunded_at,
        coalesce(items_per_order.line_count, 0) as line_count,
        coalesce(items_per_order.item_count, 0) as item_count
    from orders
    left join shop_customers
        on orders.shop_customer_id = shop_customers.record_id
    left join items_per_order
        on orders.order_id = items_per_order.order_id
    left join refunds_per_order
        on orders.order_id = refunds_per_order.order_id
),

final as (
    select
        order_id,
        customer_id,
        shop_customer_id,
        placed_at,
        placed_date,
        status,
        is_revenue,
        channel,
        currency,
        total_amount,
        cast(refunded_amount as decimal(18, 2)) as refunded_amount,
        total_amount_usd,
        cast(refunded_amount * usd_rate as decimal(18, 2)) as refunded_usd,
        cast(
            case
                when is_revenue
                    then total_amount_usd - refunded_amount * usd_rate
                else 0
            end as decimal(18, 2)
        ) as net_usd,
        last_refunded_at,
        cast(line_count as integer) as line_count,
        cast(item_count as integer) as item_count
    from joined
)

select * from final
