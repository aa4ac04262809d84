with

source as (
    select * from {{ source('orders', 'refunds') }}
    where _delivery_date <= '{{ var("as_of_date") }}'
),

rates as (
    select * from {{ ref('currency_rates') }}
),

renamed as (
    select
        cast(refund_id as varchar) as refund_id,
        cast(order_id as varchar) as order_id,
        cast(amount as decimal(18, 2)) as refund_amount,
        upper(trim(currency)) as currency,
        nullif(trim(reason), '') as reason,
        {{ lifecycle.to_utc_timestamp('refunded_at') }} as refunded_at,
        _delivery_date,
        _line
    from source
),

versioned as (
    select
        *,
        {{ lifecycle.latest_first('refund_id', 'refunded_at') }} as version_rank
    from renamed
),

final as (
    select
        versioned.refund_id,
        versioned.order_id,
        versioned.refund_amount,
        versioned.currency,
        cast(
            versioned.refund_amount * refund_rate.usd_per_unit
            / reporting_rate.usd_per_unit as decimal(18, 2)
        ) as refund_amount_reporting,
        versioned.reason,
        versioned.refunded_at
    from versioned
    left join rates as refund_rate
        on versioned.currency = refund_rate.currency
        and cast({{ dbt.date_trunc('month', 'versioned.refunded_at') }} as date)
        = refund_rate.rate_month
    left join rates as reporting_rate
        on reporting_rate.currency = '{{ var("lifecycle__reporting_currency") }}'
        and refund_rate.rate_month = reporting_rate.rate_month
    where versioned.version_rank = 1
)

select * from final
