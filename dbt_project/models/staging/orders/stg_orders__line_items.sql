with

source as (
    select * from {{ source('orders', 'line_items') }}
    where {{ lifecycle.delivered_by_as_of() }}
),

renamed as (
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
        _delivery_date,
        _line
    from source
),

versioned as (
    select
        *,
        {{ lifecycle.latest_first('line_item_id', 'updated_at') }}
            as version_rank,
        cast(min(_delivery_date) over (partition by line_item_id) as date)
            as first_delivered_on
    from renamed
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
        first_delivered_on
    from versioned
    where version_rank = 1
)

select * from final
