{#- Customers per lifecycle stage x RFM segment: size, how many may be
    emailed, and their RFM and value profile. -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

rfm as (
    select * from {{ ref('fct_customer_rfm') }}
),

customer_value as (
    select * from {{ ref('fct_customer_value') }}
),

joined as (
    select
        customers.customer_id,
        customers.lifecycle_stage,
        coalesce(rfm.rfm_segment, 'no_purchase') as rfm_segment,
        customers.has_email_consent and customers.email is not null
            as is_contactable,
        rfm.recency_days,
        rfm.frequency,
        rfm.monetary_usd,
        customer_value.historical_clv_usd,
        customer_value.predicted_clv_usd,
        customer_value.p_alive
    from customers
    left join rfm
        on customers.customer_id = rfm.customer_id
    left join customer_value
        on customers.customer_id = customer_value.customer_id
),

final as (
    select
        lifecycle_stage,
        rfm_segment,
        cast(count(*) as bigint) as customers,
        cast(sum(case when is_contactable then 1 else 0 end) as bigint)
            as contactable_customers,
        {{ lifecycle.to_decimal('avg(recency_days)', 10, 1) }}
            as avg_recency_days,
        {{ lifecycle.to_decimal('avg(frequency)', 10, 2) }} as avg_frequency,
        {{ lifecycle.to_decimal('avg(monetary_usd)', 18, 2) }}
            as avg_monetary_usd,
        cast(sum(historical_clv_usd) as decimal(18, 2)) as historical_clv_usd,
        cast(sum(predicted_clv_usd) as decimal(18, 2)) as predicted_clv_usd,
        {{ lifecycle.to_decimal('avg(p_alive)', 7, 4) }} as avg_p_alive,
        {{ lifecycle.as_of_date() }} as as_of_date
    from joined
    group by lifecycle_stage, rfm_segment
)

select * from final
