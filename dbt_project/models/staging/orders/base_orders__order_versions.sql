{#- Every version of every order ever delivered, typed but not yet standardized: the
    only model that reads the order exports, incremental by delivery day like
    base_app__events (macros/incremental.sql). Holds deliveries after the as-of date when
    an old day is backfilled; stg_orders__orders picks each order's latest version
    delivered by the as-of date. -#}
{{ config(**lifecycle.delivery_day_incremental()) }}
with

source as (
    select * from {{ lifecycle.raw_source('orders', 'orders') }}
    {% if is_incremental() -%}
    where {{ lifecycle.is_reprocessed_raw_delivery() }}
    {%- endif %}
),

final as (
    select
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        customer__customer_id,
        customer__crm_contact_id,
        customer__app_user_id,
        customer__email,
        customer__phone,
        shipping_address__country,
        shipping_address__city,
        status,
        channel,
        currency,
        total_amount,
        placed_at,
        {{ lifecycle.to_utc_timestamp('updated_at') }} as updated_at,
        cast(_delivery_date as date) as delivery_date,
        _line as delivery_line
    from source
)

select * from final
