{#- One row for the as-of date: repurchase rates within 30, 60 and 90 days of
    the first order, and the days between consecutive orders over all
    customers. -#}
{%- set windows = [30, 60, 90] -%}
with

customers as (
    select * from {{ ref('fct_customer_repurchase') }}
),

order_sequence as (
    select * from {{ ref('fct_customer_order_sequence') }}
),

window_counts as (
    select
        count(*) as buying_customers,
        sum(case when order_count > 1 then 1 else 0 end) as repeat_customers,
        {%- for days in windows %}
        count(repurchased_within_{{ days }}d) as eligible_customers_{{ days }}d,
        sum(
            case when repurchased_within_{{ days }}d then 1 else 0 end
        ) as repurchased_customers_{{ days }}d{{ "," if not loop.last }}
        {%- endfor %}
    from customers
),

gaps as (
    select
        count(days_since_previous_order) as order_gaps,
        avg(days_since_previous_order) as avg_days_between_orders,
        {{ lifecycle.median('days_since_previous_order') }}
            as median_days_between_orders
    from order_sequence
),

final as (
    select
        {{ lifecycle.as_of_date() }} as as_of_date,
        cast(window_counts.buying_customers as bigint) as buying_customers,
        cast(window_counts.repeat_customers as bigint) as repeat_customers,
        {%- for days in windows %}
        cast(window_counts.eligible_customers_{{ days }}d as bigint)
            as eligible_customers_{{ days }}d,
        cast(
            coalesce(window_counts.repurchased_customers_{{ days }}d, 0)
            as bigint
        ) as repurchased_customers_{{ days }}d,
        cast(window_counts.repurchased_customers_{{ days }}d
            as {{ lifecycle.type_double() }})
            / nullif(window_counts.eligible_customers_{{ days }}d, 0)
            as repurchase_rate_{{ days }}d,
        {%- endfor %}
        cast(gaps.order_gaps as bigint) as order_gaps,
        cast(gaps.avg_days_between_orders as {{ lifecycle.type_double() }})
            as avg_days_between_orders,
        cast(gaps.median_days_between_orders as {{ lifecycle.type_double() }})
            as median_days_between_orders
    from window_counts
    cross join gaps
)

select * from final
