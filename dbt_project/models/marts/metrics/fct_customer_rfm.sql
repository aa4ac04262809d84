{#- One row per customer with at least one revenue order by the as-of date:
    recency, frequency and monetary value, their quintile scores (1-5) and the
    named segment of config/lifecycle.yml `rfm_segments` (first match wins). -#}
with

customer_value as (
    select * from {{ ref('fct_customer_historical_clv') }}
),

scored as (
    select
        customer_id,
        last_order_date,
        days_since_last_order as recency_days,
        order_count as frequency,
        net_revenue_usd as monetary_usd,
        {#- Most recent buyers get 5: order by days since, longest first. #}
        {{ lifecycle.quintile_score('days_since_last_order desc') }}
            as r_score,
        {{ lifecycle.quintile_score('order_count') }} as f_score,
        {{ lifecycle.quintile_score('net_revenue_usd') }} as m_score
    from customer_value
),

final as (
    select
        customer_id,
        last_order_date,
        recency_days,
        frequency,
        monetary_usd,
        r_score,
        f_score,
        m_score,
        cast(r_score as {{ dbt.type_string() }})
            || cast(f_score as {{ dbt.type_string() }})
            || cast(m_score as {{ dbt.type_string() }}) as rfm_cell,
        {{ lifecycle.rfm_segment_case('r_score', 'f_score', 'm_score') }}
            as rfm_segment
    from scored
)

select * from final
