{#- One row per customer: value to date (historical CLV, net of refunds) and predicted
    value over the configured horizon (BG/NBD x Gamma-Gamma, lifecycle.predict). -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

history as (
    select * from {{ ref('fct_customer_historical_clv') }}
),

predicted as (
    select * from {{ source('predictions', 'customer_value') }}
    where as_of_date = {{ lifecycle.as_of_date() }}
),

fit as (
    select
        max(horizon_months) as horizon_months,
        max(status) as fit_status
    from {{ source('predictions', 'model_fits') }}
    where as_of_date = {{ lifecycle.as_of_date() }}
),

final as (
    select
        customers.customer_id,
        customers.lifecycle_stage,
        customers.order_count,
        customers.first_order_at,
        customers.last_order_at,
        cast(
            coalesce(history.net_revenue_usd, 0) as decimal(18, 2)
        ) as historical_clv_usd,
        predicted.repeat_orders,
        predicted.p_alive,
        predicted.expected_orders,
        predicted.expected_order_value_usd,
        cast(predicted.predicted_clv_usd as decimal(18, 2)) as predicted_clv_usd,
        cast(
            coalesce(history.net_revenue_usd, 0)
            + coalesce(predicted.predicted_clv_usd, 0)
            as decimal(18, 2)
        ) as total_clv_usd,
        fit.horizon_months as clv_horizon_months,
        fit.fit_status as clv_fit_status
    from customers
    left join history
        on customers.customer_id = history.customer_id
    left join predicted
        on customers.customer_id = predicted.customer_id
    cross join fit
)

select * from final
