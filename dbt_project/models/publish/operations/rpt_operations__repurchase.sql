{#- Repurchase on the as-of date: who bought again within 30, 60 and 90 days
    of their first order, and the days between orders. -#}
with

summary as (
    select * from {{ ref('fct_repurchase_summary') }}
),

final as (
    select
        as_of_date,
        cast(buying_customers as bigint) as buying_customers,
        cast(repeat_customers as bigint) as repeat_customers,
        {% for days in [30, 60, 90] %}
        cast(eligible_customers_{{ days }}d as bigint)
            as eligible_customers_{{ days }}d,
        cast(repurchased_customers_{{ days }}d as bigint)
            as repurchased_customers_{{ days }}d,
        {{ lifecycle.to_decimal('repurchase_rate_' ~ days ~ 'd', 7, 4) }}
            as repurchase_rate_{{ days }}d,
        {% endfor %}
        {{ lifecycle.to_decimal('avg_days_between_orders', 10, 1) }}
            as avg_days_between_orders,
        {{ lifecycle.to_decimal('median_days_between_orders', 10, 1) }}
            as median_days_between_orders
    from summary
)

select * from final
