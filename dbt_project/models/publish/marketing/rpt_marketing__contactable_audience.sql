{#- Customers marketing may email (consent, and an email address), with stage,
    RFM segment and value, to build campaigns and win-back audiences. -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
    where has_email_consent
        and email is not null
),

rfm as (
    select * from {{ ref('fct_customer_rfm') }}
),

customer_value as (
    select * from {{ ref('fct_customer_value') }}
),

final as (
    select
        customers.customer_id,
        customers.email,
        customers.first_name,
        customers.last_name,
        customers.country_code,
        coalesce(customers.acquisition_channel, 'unknown')
            as acquisition_channel,
        customers.lifecycle_stage,
        customers.stage_since,
        coalesce(rfm.rfm_segment, 'no_purchase') as rfm_segment,
        cast(rfm.r_score as integer) as r_score,
        cast(rfm.f_score as integer) as f_score,
        cast(rfm.m_score as integer) as m_score,
        customers.order_count,
        cast(rfm.last_order_date as date) as last_order_date,
        customers.last_activity_date,
        cast(customer_value.historical_clv_usd as decimal(18, 2))
            as historical_clv_usd,
        cast(customer_value.predicted_clv_usd as decimal(18, 2))
            as predicted_clv_usd,
        cast(
            customer_value.p_alive as {{ lifecycle.type_double() }}
        ) as p_alive,
        {{ lifecycle.as_of_date() }} as as_of_date
    from customers
    left join rfm
        on customers.customer_id = rfm.customer_id
    left join customer_value
        on customers.customer_id = customer_value.customer_id
)

select * from final
