{#- Every version of every refund ever delivered, typed: incremental by delivery day like
    base_orders__order_versions; stg_orders__refunds picks each refund's latest version
    delivered by the as-of date. -#}
{{ config(**lifecycle.delivery_day_incremental()) }}
with

source as (
    select * from {{ lifecycle.raw_source('orders', 'refunds') }}
    {% if is_incremental() -%}
    where {{ lifecycle.is_reprocessed_raw_delivery() }}
    {%- endif %}
),

final as (
    select
        cast(refund_id as {{ dbt.type_string() }}) as refund_id,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(amount as decimal(18, 2)) as refund_amount,
        upper(trim(currency)) as currency,
        nullif(trim(reason), '') as reason,
        {{ lifecycle.to_utc_timestamp('refunded_at') }} as refunded_at,
        cast(_delivery_date as date) as delivery_date,
        _line as delivery_line
    from source
)

select * from final
