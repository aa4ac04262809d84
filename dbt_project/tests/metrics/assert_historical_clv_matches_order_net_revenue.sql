{#- Historical CLV loses and invents no money: summed over customers it equals
    the net revenue of fct_orders over matched customers' orders placed by the
    as-of date (to the cent). Returns a row when they differ. -#}
with

customer_value as (
    select sum(net_revenue_usd) as net_revenue_usd
    from {{ ref('fct_customer_historical_clv') }}
),

orders as (
    select sum(net_usd) as net_revenue_usd
    from {{ ref('fct_orders') }}
    where customer_id is not null
        and placed_date <= {{ lifecycle.as_of_date() }}
),

compared as (
    select
        coalesce(customer_value.net_revenue_usd, 0) as clv_net_revenue_usd,
        coalesce(orders.net_revenue_usd, 0) as order_net_revenue_usd
    from customer_value
    cross join orders
)

select * from compared
where abs(clv_net_revenue_usd - order_net_revenue_usd) >= 0.01
