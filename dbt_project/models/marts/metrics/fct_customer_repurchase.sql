{#- One row per customer with at least one revenue order by the as-of date:
    when they bought again, whether within 30, 60 and 90 days of the first
    order (null while the window has not passed), and the days between their
    consecutive orders. -#}
{%- set windows = [30, 60, 90] -%}
with

order_sequence as (
    select * from {{ ref('fct_customer_order_sequence') }}
),

per_customer as (
    select
        customer_id,
        min(placed_date) as first_order_date,
        max(case when order_number = 2 then placed_date end)
            as second_order_date,
        max(placed_date) as last_order_date,
        count(*) as order_count,
        avg(days_since_previous_order) as avg_days_between_orders,
        {{ lifecycle.median('days_since_previous_order') }}
            as median_days_between_orders
    from order_sequence
    group by customer_id
),

measured as (
    select
        *,
        {{ dbt.datediff('first_order_date', lifecycle.as_of_date(), 'day') }}
            as days_since_first_order,
        {{ dbt.datediff('first_order_date', 'second_order_date', 'day') }}
            as days_to_second_order
    from per_customer
),

final as (
    select
        customer_id,
        first_order_date,
        second_order_date,
        last_order_date,
        cast(order_count as integer) as order_count,
        cast(days_since_first_order as integer) as days_since_first_order,
        cast(days_to_second_order as integer) as days_to_second_order,
        {%- for days in windows %}
        case
            when days_since_first_order < {{ days }} then null
            when days_to_second_order <= {{ days }} then true
            else false
        end as repurchased_within_{{ days }}d,
        {%- endfor %}
        cast(avg_days_between_orders as {{ lifecycle.type_double() }})
            as avg_days_between_orders,
        cast(median_days_between_orders as {{ lifecycle.type_double() }})
            as median_days_between_orders
    from measured
)

select * from final
