{#- Every version of every order line ever delivered, typed: incremental by delivery day
    like base_orders__order_versions; stg_orders__line_items picks each line's latest
    version delivered by the as-of date. -#}
{{ config(**lifecycle.delivery_day_incremental()) }}
with

source as (
    select * from {{ lifecycle.raw_source('orders', 'line_items') }}
    {% if is_incremental() -%}
    where {{ lifecycle.is_reprocessed_raw_delivery() }}
    {%- endif %}
),

final as (
    select
        cast(line_item_id as {{ dbt.type_string() }}) as line_item_id,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        trim(sku) as sku,
        nullif(trim(product_name), '') as product_name,
        nullif(lower(trim(category)), '') as category,
        cast(quantity as integer) as quantity,
        cast(unit_price as decimal(18, 2)) as unit_price,
        upper(trim(currency)) as currency,
        {{ lifecycle.to_utc_timestamp('updated_at') }} as updated_at,
        cast(_delivery_date as date) as delivery_date,
        _line as delivery_line
    from source
)

select * from final
