{#- The latest version of each order line delivered by the as-of date. Incremental like
    stg_orders__orders (macros/incremental.sql, latest_version_incremental). -#}
{{ config(**lifecycle.latest_version_incremental(
    'line_item_id', 'base_orders__line_item_versions'
)) }}
with

source as (
    select * from {{ ref('base_orders__line_item_versions') }} as versions
    where delivery_date <= {{ lifecycle.as_of_date() }}
        {{ lifecycle.missing_records_only('line_item_id', 'versions') }}
),

versioned as (
    select
        *,
        {{ lifecycle.latest_first(
            'line_item_id', 'updated_at', 'delivery_date', 'delivery_line'
        ) }} as version_rank,
        min(delivery_date) over (partition by line_item_id) as first_delivered_on
    from source
),

final as (
    select
        line_item_id,
        order_id,
        sku,
        product_name,
        category,
        quantity,
        unit_price,
        cast(quantity * unit_price as decimal(18, 2)) as line_amount,
        currency,
        updated_at,
        delivery_date as delivered_on,
        first_delivered_on
    from versioned
    where version_rank = 1
)

select * from final
