{#- One row per revenue order of a customer placed by the as-of date, numbered
    in the order placed, with the days since that customer's previous revenue
    order. The one home of "consecutive orders" for the repurchase metrics. -#}
with

orders as (
    select * from {{ ref('fct_orders') }}
    where is_revenue
        and customer_id is not null
        and placed_date <= {{ lifecycle.as_of_date() }}
),

sequenced as (
    select
        customer_id,
        order_id,
        placed_at,
        placed_date,
        row_number() over (
            partition by customer_id order by placed_at, order_id
        ) as order_number,
        lag(placed_date) over (
            partition by customer_id order by placed_at, order_id
        ) as previous_order_date
    from orders
),

final as (
    select
        customer_id,
        order_id,
        placed_at,
        placed_date,
        cast(order_number as integer) as order_number,
        previous_order_date,
        cast(
            {{ dbt.datediff('previous_order_date', 'placed_date', 'day') }}
            as integer
        ) as days_since_previous_order
    from sequenced
)

select * from final
